"""Voice engines: Amazon Polly (botocore Stubber; moto's Polly returns 8 zero bytes) and
eSpeak NG (the wheel's library, the program, and neither)."""

from __future__ import annotations

import io
import json
import shutil
import stat
import wave
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.experts import HOST, PANEL, expert_by_id
from chalicelib.podcasts.audio import SILENCE_RMS, rms
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.errors import LINE_UNREAD, VOICES_REFUSED, SpeechError
from chalicelib.podcasts.espeak import (
    NO_ENGINE,
    NO_ENGINE_DETAIL,
    EspeakLibraryEngine,
    EspeakProgramEngine,
    _loader_paths,
    find_espeak,
    voice_candidates,
)
from chalicelib.podcasts.polly import MAX_CHARS, PollyEngine
from chalicelib.podcasts.script import split_at_sentences
from chalicelib.podcasts.template_writer import TemplateScriptWriter
from tests.api_support import api_under_test
from tests.moto_account import Aws
from tests.podcasts.support import podcast_pipelines, run_job, tone
from tests.reports.conftest import STRONG

CREDIT = PANEL[0]


def audio(pcm: bytes) -> dict[str, Any]:
    return {
        "AudioStream": StreamingBody(io.BytesIO(pcm), len(pcm)),
        "ContentType": "audio/pcm",
        "RequestCharacters": 10,
    }


@pytest.fixture
def polly() -> Any:
    client = boto3.client("polly", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


# Polly ---------------------------------------------------------------------------------------


def test_polly_asks_for_the_speakers_voice_as_16k_pcm(polly: Any) -> None:
    client, stubber = polly
    expected = {
        "Text": "Hello.",
        "TextType": "text",
        "VoiceId": "Joanna",
        "Engine": "neural",
        "OutputFormat": "pcm",
        "SampleRate": "16000",
    }
    stubber.add_response("synthesize_speech", audio(tone(0.1)), expected)
    clip = PollyEngine(lambda: client).synthesize("Hello.", CREDIT.voice)
    assert clip.sample_rate == 16000 and clip.seconds == pytest.approx(0.1)
    stubber.assert_no_pending_responses()


def test_polly_throttling_is_retried_with_backoff(polly: Any) -> None:
    client, stubber = polly
    stubber.add_client_error("synthesize_speech", "ThrottlingException", http_status_code=400)
    stubber.add_client_error("synthesize_speech", "ServiceFailureException", http_status_code=500)
    stubber.add_response("synthesize_speech", audio(tone(0.1)))
    sleeps: list[float] = []
    clip = PollyEngine(lambda: client, sleep=sleeps.append).synthesize("Hi.", CREDIT.voice)
    assert clip.pcm and sleeps == [2.0, 4.0]


@pytest.mark.parametrize(
    ("code", "sentence", "needle"),
    [
        ("ThrottlingException", "busy", "ThrottlingException"),
        ("AccessDeniedException", "not allowed", "allow polly:SynthesizeSpeech"),
        ("EngineNotSupportedException", "voices is not available", "Joanna"),
        ("InvalidSsmlException", "could not be recorded", "InvalidSsmlException"),
    ],
)
def test_a_failed_polly_call_is_a_sentence_with_its_detail_apart(
    polly: Any, code: str, sentence: str, needle: str
) -> None:
    client, stubber = polly
    for _ in range(4):
        stubber.add_client_error("synthesize_speech", code, http_status_code=400)
    with pytest.raises(SpeechError, match=sentence) as failure:
        PollyEngine(lambda: client, sleep=lambda _: None).synthesize("Hi.", CREDIT.voice)
    assert failure.value.message.endswith(".")
    assert "Polly" not in failure.value.message and needle not in failure.value.message
    assert needle in (failure.value.detail or "")  # what an operator can do, for the log


def polly_job(
    sample: Aws, stubber_setup: Any, experts: list[str]
) -> tuple[dict[str, Any], Stubber, list[float]]:
    """A podcast job whose Polly is a Stubber prepared by ``stubber_setup(stubber, lines)``."""
    client = boto3.client("polly", region_name="us-east-1")
    stubber = Stubber(client)
    sleeps: list[float] = []

    def engine() -> PollyEngine:
        return PollyEngine(lambda: client, sleep=sleeps.append)

    with api_under_test(sample, pipelines=podcast_pipelines(engine)) as api:
        run_job(api, STRONG, "report")
        report = api.runtime.reports.latest(STRONG)
        chosen = [e for e in (expert_by_id(i) for i in experts) if e is not None]
        script = TemplateScriptWriter().write(PodcastBrief.from_report(report), chosen)
        stubber_setup(stubber, script.lines)
        with stubber:
            job = run_job(api, STRONG, "podcast", {"experts": experts})
        return job, stubber, sleeps


def test_a_polly_podcast_uses_each_speakers_voice(sample: Aws) -> None:
    def setup(stubber: Stubber, lines: Any) -> None:
        for line in lines:
            speaker = HOST if line.speaker == "host" else expert_by_id(line.speaker)
            assert speaker is not None
            for piece in split_at_sentences(line.text, MAX_CHARS):
                stubber.add_response(
                    "synthesize_speech",
                    audio(tone(0.05)),
                    {
                        "Text": piece,
                        "TextType": "text",
                        "VoiceId": speaker.voice.polly_voice,
                        "Engine": speaker.voice.polly_engine,
                        "OutputFormat": "pcm",
                        "SampleRate": "16000",
                    },
                )

    job, stubber, _ = polly_job(sample, setup, ["capital", "markets"])
    assert job["status"] == "completed", job
    assert job["result"]["engine"] == "polly"
    stubber.assert_no_pending_responses()


def test_a_throttled_polly_call_is_retried_within_the_job(sample: Aws) -> None:
    def setup(stubber: Stubber, lines: Any) -> None:
        stubber.add_client_error("synthesize_speech", "ThrottlingException", http_status_code=400)
        for _ in lines:
            stubber.add_response("synthesize_speech", audio(tone(0.05)))

    job, stubber, sleeps = polly_job(sample, setup, ["credit"])
    assert job["status"] == "completed" and sleeps == [2.0]
    stubber.assert_no_pending_responses()


def test_a_failed_polly_call_fails_the_job_with_a_sentence(sample: Aws) -> None:
    def setup(stubber: Stubber, lines: Any) -> None:
        stubber.add_response("synthesize_speech", audio(tone(0.05)))
        stubber.add_client_error("synthesize_speech", "AccessDeniedException", http_status_code=403)

    job, _, _ = polly_job(sample, setup, ["credit"])
    assert job["status"] == "failed"
    assert job["error"] == VOICES_REFUSED  # the role's missing permission is the log's


def test_mocked_polly_silence_fails_the_job(sample: Aws) -> None:
    """moto's Polly answers 8 zero bytes: the job must say so, never publish silence."""
    from chalicelib.runtime import shipped_pipelines

    with api_under_test(sample, pipelines=shipped_pipelines) as api:
        assert api.runtime.settings.voice_engine == "polly"
        run_job(api, STRONG, "report")
        job = run_job(api, STRONG, "podcast", {"experts": ["credit"]})
        assert job["status"] == "failed" and "silence" in job["error"]


# eSpeak NG -----------------------------------------------------------------------------------


def test_voice_names_fall_back_to_the_library_names() -> None:
    assert voice_candidates("en-gb+m4") == ["en-gb+m4", "en+m4", "en"]
    assert voice_candidates("en-us") == ["en-us", "en"]
    assert voice_candidates("en") == ["en"]


needs_wheel = pytest.mark.skipif(_loader_paths() is None, reason="espeakng-loader not installed")


@needs_wheel
def test_the_wheels_library_speaks_in_every_panel_voice() -> None:
    paths = _loader_paths()
    assert paths is not None
    engine = EspeakLibraryEngine(*paths)
    lengths = set()
    for speaker in (HOST, *PANEL):
        clip = engine.synthesize("Return on assets was 0.95 percent this quarter.", speaker.voice)
        assert clip.sample_rate == 22050 and 1.5 < clip.seconds < 8
        assert rms(clip.pcm) > 10 * SILENCE_RMS
        lengths.add(len(clip.pcm))
    assert len(lengths) > 1  # the voices differ


def test_the_program_is_used_when_the_wheel_is_missing(tmp_path: Path) -> None:
    """A stand-in ``espeak-ng`` that records its arguments and writes a WAV file."""
    program = tmp_path / "espeak-ng"
    log = tmp_path / "calls.json"
    program.write_text(
        "#!/usr/bin/env python3\n"
        "import json, math, struct, sys, wave\n"
        f"log = {str(log)!r}\n"
        "args = sys.argv[1:]\n"
        "text = sys.stdin.read()\n"
        "json.dump({'args': args, 'text': text}, open(log, 'w'))\n"
        "with wave.open(args[args.index('-w') + 1], 'wb') as w:\n"
        "    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)\n"
        "    w.writeframes(b''.join(struct.pack('<h', int(5000 * math.sin(i / 5)))"
        " for i in range(22050)))\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    engine = find_espeak(loader_paths=lambda: None, which=lambda _: str(program))
    assert isinstance(engine, EspeakProgramEngine)
    clip = engine.synthesize("-v Hello; rm -rf /", CREDIT.voice)
    assert clip.sample_rate == 22050 and clip.seconds == pytest.approx(1.0)
    call = json.loads(log.read_text())
    assert call["text"] == "-v Hello; rm -rf /"  # through stdin, never as options
    assert call["args"][:2] == ["-v", "en-us+f3"] and "--stdin" in call["args"]


def test_a_failing_program_is_a_sentence(tmp_path: Path) -> None:
    program = tmp_path / "espeak-ng"
    program.write_text("#!/bin/sh\necho 'Error: voice does not exist' >&2\nexit 1\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(SpeechError) as failure:
        EspeakProgramEngine(str(program)).synthesize("Hi.", CREDIT.voice)
    assert failure.value.message == LINE_UNREAD  # the voice's name is the operator's
    assert "en-us+f3" in (failure.value.detail or "")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_the_real_program_speaks() -> None:
    engine = EspeakProgramEngine(shutil.which("espeak-ng") or "")
    clip = engine.synthesize("Capital ratios are comfortable.", PANEL[1].voice)
    assert clip.seconds > 1 and rms(clip.pcm) > 10 * SILENCE_RMS


def test_nothing_installed_says_what_to_install_in_its_detail() -> None:
    with pytest.raises(SpeechError) as failure:
        find_espeak(loader_paths=lambda: None, which=lambda _: None)
    assert failure.value.message == NO_ENGINE and "install" not in NO_ENGINE
    assert failure.value.detail == NO_ENGINE_DETAIL and "apt-get install espeak-ng" in (
        failure.value.detail or ""
    )


def test_read_wav_refuses_stereo() -> None:
    from chalicelib.podcasts.espeak import read_wav

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(bytes(400))
    with pytest.raises(SpeechError):
        read_wav(buffer.getvalue())
