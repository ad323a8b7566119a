"""Podcast jobs end to end through ``chalice.test.Client`` and moto (issue 5)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from mutagen.mp3 import MP3

from chalicelib.bootstrap import bootstrap
from chalicelib.experts import HOST, expert_by_id
from chalicelib.jobs.errors import Redeliver
from chalicelib.jobs.items import latest_key
from chalicelib.jobs.model import JobType
from chalicelib.podcasts.audio import SILENCE_RMS, Clip, encode_mp3, rms
from chalicelib.podcasts.errors import SpeechError
from chalicelib.podcasts.espeak import NO_ENGINE, find_espeak
from chalicelib.podcasts.pipeline import REPORT_GONE
from chalicelib.runtime import shipped_pipelines
from tests.api_support import Api, api_under_test
from tests.faults import FaultInjector, key_ends_with
from tests.moto_account import Aws
from tests.podcasts.support import ToneEngine, podcast_pipelines, run_job
from tests.reports.conftest import STRONG

CHOSEN = ["credit", "capital"]


def body(response: Any) -> Any:
    return json.loads(response.body)


def mp3_frames_ok(data: bytes) -> bool:
    """The first bytes are an MPEG audio frame header (11 sync bits) or an ID3 tag."""
    return data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


@pytest.fixture
def espeak_api(sample: Aws) -> Iterator[tuple[Api, list[Clip]]]:
    """The shipped pipelines with eSpeak NG as the voice engine, recording the PCM encoded."""
    encoded: list[Clip] = []

    def encode(clip: Clip) -> bytes:
        encoded.append(clip)
        return encode_mp3(clip)

    with api_under_test(sample, pipelines=podcast_pipelines(find_espeak, encode=encode)) as api:
        yield api, encoded


def test_report_then_podcast_with_espeak_plays_a_real_mp3(
    espeak_api: tuple[Api, list[Clip]],
) -> None:
    api, encoded = espeak_api
    report = run_job(api, STRONG, "report")
    assert report["status"] == "completed"
    job = run_job(api, STRONG, "podcast", {"experts": CHOSEN})
    assert job["status"] == "completed" and job["progress"] == 100, job
    assert job["result"]["url"] == f"/api/research/{STRONG}/podcast"
    assert job["result"]["audioUrl"] == f"/api/research/{STRONG}/podcast/audio"

    # The PCM before encoding is speech, not silence.
    assert len(encoded) == 1 and rms(encoded[0].pcm) > 10 * SILENCE_RMS

    podcast = body(api.get(f"/api/research/{STRONG}/podcast"))
    assert podcast["jobId"] == job["jobId"] and podcast["engine"].startswith("espeak-ng")
    assert podcast["sourceReport"] == {"jobId": report["jobId"], "asOf": "20241231"}
    assert podcast["audioUrl"] == f"/api/research/{STRONG}/podcast/audio"
    assert [e["id"] for e in podcast["experts"]] == CHOSEN and podcast["host"]["id"] == "host"
    speakers = {line["speaker"] for line in podcast["script"]}
    assert speakers == {"host", *CHOSEN}
    text = " ".join(line["text"] for line in podcast["script"])
    for expert_id in CHOSEN:
        expert = expert_by_id(expert_id)
        assert expert is not None and expert.name in text
    assert all(line["name"] and line["text"] for line in podcast["script"])
    assert "synthetic" in podcast["script"][0]["text"]

    # The audio route redirects to a presigned S3 URL; the object is an MP3 of over a minute.
    audio = api.get(f"/api/research/{STRONG}/podcast/audio")
    assert audio.status_code == 302
    location = audio.headers["Location"]
    assert f"podcasts/{STRONG}/{job['jobId']}.mp3" in location and "X-Amz-Signature" in location
    assert "X-Amz-Expires=300" in location  # at most five minutes
    bucket = api.aws.bucket
    mp3 = api.aws.s3.get_object(Bucket=bucket, Key=f"podcasts/{STRONG}/{job['jobId']}.mp3")
    assert mp3["ContentType"] == "audio/mpeg"
    data = mp3["Body"].read()
    assert mp3_frames_ok(data)
    info: Any = MP3(io.BytesIO(data)).info
    assert info.length >= 60 and info.channels == 1 and info.bitrate == 64_000
    assert abs(info.length - podcast["durationSeconds"]) < 1.0
    beside = api.aws.s3.get_object(Bucket=bucket, Key=f"podcasts/{STRONG}/{job['jobId']}.json")
    assert json.loads(beside["Body"].read())["jobId"] == job["jobId"]


def test_a_podcast_needs_a_finished_report(sample: Aws) -> None:
    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        response = api.post(
            f"/api/research/{STRONG}/podcast/generate-background",
            json.dumps({"experts": ["credit"]}),
        )
        assert response.status_code == 409
        data = body(response)
        assert data["code"] == "report_required" and "report" in data["error"]
        assert data["error"].endswith(".")
        # Shown on the page as it is: a sentence with no route or command in it.
        assert "Generate the report first" in data["error"]
        assert not any(mark in data["error"] for mark in ("`", "make ", "/api/", "POST"))
        assert api.jobs_items() == []
        # Input is still checked first: a bad panel is a 400 even without a report.
        bad = api.post(f"/api/research/{STRONG}/podcast/generate-background", '{"experts": []}')
        assert bad.status_code == 400


def test_no_podcast_yet_is_404_on_both_routes(sample: Aws) -> None:
    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        for path in ("podcast", "podcast/audio"):
            response = api.get(f"/api/research/{STRONG}/{path}")
            assert response.status_code == 404 and body(response)["code"] == "no_podcast"
            bad = api.get(f"/api/research/abc/{path}")
            assert bad.status_code == 400 and body(bad)["code"] == "invalid_idrssd"


def test_a_report_that_vanished_before_the_worker_ran_fails_the_job(
    sample: Aws,
) -> None:
    with api_under_test(sample, pipelines=podcast_pipelines(ToneEngine)) as api:
        run_job(api, STRONG, "report")
        started = api.post(
            f"/api/research/{STRONG}/podcast/generate-background", '{"experts": ["credit"]}'
        )
        assert started.status_code == 202
        sample.jobs_table.delete_item(Key=latest_key(STRONG, JobType.REPORT))
        bootstrap(api.runtime).work(api.invoker.events[-1].to_payload(), None)
        job = body(api.get(f"/api/research/{STRONG}/job-status?type=podcast"))["job"]
        assert job["status"] == "failed" and job["error"] == REPORT_GONE
        assert job["errorCode"] == "report_required"


def test_no_voice_engine_fails_the_job_with_a_sentence_for_people(sample: Aws) -> None:
    def nothing_installed() -> Any:
        return find_espeak(loader_paths=lambda: None, which=lambda _: None)

    with api_under_test(sample, pipelines=podcast_pipelines(nothing_installed)) as api:
        run_job(api, STRONG, "report")
        job = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        # People read that the voices are not set up; what to install is for the log.
        assert job["status"] == "failed" and job["error"] == NO_ENGINE
        assert "install" not in job["error"] and "VOICE_ENGINE" not in job["error"]
        assert api.get(f"/api/research/{STRONG}/podcast").status_code == 404


def test_silent_audio_is_never_published(sample: Aws) -> None:
    class Mute(ToneEngine):
        def synthesize(self, text: str, voice: Any) -> Clip:
            return Clip(bytes(8), 16000)  # what moto's Polly returns

    with api_under_test(sample, pipelines=podcast_pipelines(Mute)) as api:
        run_job(api, STRONG, "report")
        job = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        assert job["status"] == "failed" and "silence" in job["error"]
        assert api.get(f"/api/research/{STRONG}/podcast").status_code == 404


def test_a_failure_mid_synthesis_keeps_the_previous_podcast_playable(
    sample: Aws,
) -> None:
    with api_under_test(sample, pipelines=podcast_pipelines(ToneEngine)) as api:
        run_job(api, STRONG, "report")
        first = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        assert first["status"] == "completed"

    def fail_at_line_five(count: int, _: str) -> None:
        if count == 5:
            raise SpeechError("Amazon Polly failed while reading a line of the script.")

    failing = podcast_pipelines(lambda: ToneEngine(fail_at_line_five))
    with api_under_test(sample, pipelines=failing) as api:
        job = run_job(api, STRONG, "podcast", {"experts": ["markets", "economy"]})
        assert job["status"] == "failed"
        assert job["error"] == "Amazon Polly failed while reading a line of the script."
        kept = body(api.get(f"/api/research/{STRONG}/podcast"))
        assert kept["jobId"] == first["jobId"]
        audio = api.get(f"/api/research/{STRONG}/podcast/audio")
        assert audio.status_code == 302 and first["jobId"] in audio.headers["Location"]
    keys = [o["Key"] for o in sample.s3.list_objects_v2(Bucket=sample.bucket)["Contents"]]
    assert not any(job["jobId"] in key for key in keys)  # nothing half-written


def test_cancelling_mid_synthesis_stops_it(sample: Aws) -> None:
    holder: list[Api] = []

    def cancel_at_line_three(count: int, _: str) -> None:
        api = holder[0]
        api.clock.advance(2.0)  # a second of speech work: the next check reads the job
        if count == 3:
            response = api.delete(f"/api/research/{STRONG}/job?type=podcast")
            assert response.status_code == 200

    engine = ToneEngine(cancel_at_line_three)
    with api_under_test(sample, pipelines=podcast_pipelines(lambda: engine)) as api:
        holder.append(api)
        run_job(api, STRONG, "report")
        job = run_job(api, STRONG, "podcast", {"experts": ["credit", "capital", "markets"]})
        assert job["status"] == "failed" and job["errorCode"] == "cancelled"
        assert 3 <= len(engine.calls) <= 4  # stopped at the next line, not at the end
        assert api.get(f"/api/research/{STRONG}/podcast").status_code == 404


def test_progress_is_reported_per_line_and_never_goes_down(sample: Aws) -> None:
    holder: list[Api] = []
    engine = ToneEngine(lambda _count, _text: holder[0].clock.advance(1.5))
    with api_under_test(sample, pipelines=podcast_pipelines(lambda: engine)) as api:
        holder.append(api)
        run_job(api, STRONG, "report")
        written: list[tuple[int, str, str]] = []
        store = api.runtime.worker.store  # the one the worker writes through
        original = store.report_progress

        def spy(job: Any, progress: int, stage: str, message: str) -> None:
            original(job, progress, stage, message)
            written.append((progress, stage, message))

        store.report_progress = spy  # type: ignore[method-assign]
        job = run_job(api, STRONG, "podcast", {"experts": ["credit", "markets"]})
        assert job["status"] == "completed"
        # Who speaks, as a sentence lists them ("A, B and C"), never "A and B, C".
        chosen = [expert_by_id("credit"), expert_by_id("markets")]
        names = [HOST.name, *(expert.name for expert in chosen if expert is not None)]
        script = [m for _, stage, m in written if stage == "script"]
        assert script == [f"Writing the conversation between {names[0]}, {names[1]} and {names[2]}"]
        stages = list(dict.fromkeys(stage for _, stage, _ in written))
        assert stages == ["load", "script", "voices", "assemble", "save"]
        line_messages = [m for _, stage, m in written if stage == "voices"]
        assert len(line_messages) == len(engine.calls)  # 1.5 s a line: every line is written
        assert line_messages[0].startswith("Recording line 1 of")
        values = [progress for progress, _, _ in written]
        assert values == sorted(values)
        # Each line says where it begins in the audio: the transcript follows the sound.
        podcast = json.loads(api.get(f"/api/research/{STRONG}/podcast").body)
        starts = [line["start"] for line in podcast["script"]]
        assert starts[0] == 0 and starts == sorted(set(starts))
        assert starts[-1] < podcast["durationSeconds"]


def _podcast_objects(sample: Aws, job_id: str) -> list[str]:
    listing = sample.s3.list_objects_v2(Bucket=sample.bucket, Prefix="podcasts/")
    return [item["Key"] for item in listing.get("Contents", []) if job_id in item["Key"]]


def test_the_mp3_and_the_script_are_stored_before_the_completion_publishes_them(
    sample: Aws,
) -> None:
    with api_under_test(sample, pipelines=podcast_pipelines(ToneEngine)) as api:
        run_job(api, STRONG, "report")
        order: list[str] = []

        def note(params: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name in {"PutObject", "TransactWriteItems"}:
                order.append(f"{model.name} {str(params.get('Key', '')).rsplit('.', 1)[-1]}")

        worker = api.runtime.worker  # the side the worker writes through
        for client in (worker.client("s3"), worker.jobs_table.meta.client):
            client.meta.events.register("before-parameter-build", note)
        job = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        assert job["status"] == "completed"
        assert order == ["PutObject mp3", "PutObject json", "TransactWriteItems "]


@pytest.mark.parametrize("failing", [".mp3", ".json"])
def test_a_refused_write_at_either_step_publishes_nothing_and_leaves_nothing(
    sample: Aws, failing: str
) -> None:
    with api_under_test(sample, pipelines=podcast_pipelines(ToneEngine)) as api:
        faults = FaultInjector().attach(api.runtime.session)
        run_job(api, STRONG, "report")
        first = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        faults.refuse("PutObject", "AccessDenied", when=key_ends_with(failing))
        job = run_job(api, STRONG, "podcast", {"experts": ["markets"]})
        assert job["status"] == "failed" and job["errorCode"] == "internal_error"
        assert body(api.get(f"/api/research/{STRONG}/podcast"))["jobId"] == first["jobId"]
        assert _podcast_objects(sample, job["jobId"]) == []


@pytest.mark.parametrize("failing", [".mp3", ".json"])
def test_a_throttled_write_at_either_step_hands_the_job_back_and_the_retry_publishes(
    sample: Aws, failing: str
) -> None:
    with api_under_test(sample, pipelines=podcast_pipelines(ToneEngine)) as api:
        faults = FaultInjector().attach(api.runtime.session)
        run_job(api, STRONG, "report")
        faults.server_error("PutObject", status=503, when=key_ends_with(failing))
        started = api.post(
            f"/api/research/{STRONG}/podcast/generate-background", '{"experts": ["credit"]}'
        )
        with pytest.raises(Redeliver):
            api.deliver()
        assert api.get(f"/api/research/{STRONG}/podcast").status_code == 404
        assert api.deliver().result == "completed"  # Lambda's retry
        served = body(api.get(f"/api/research/{STRONG}/podcast"))
        assert served["jobId"] == body(started)["job"]["jobId"]
