"""The worker protocol: claim → pipeline with progress → complete or fail
(docs/ARCHITECTURE.md, "Worker protocol")."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.jobs.errors import JobFailed, Redeliver
from chalicelib.jobs.model import Job, JobType, Status
from chalicelib.jobs.pipelines import NOT_AVAILABLE
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.jobs.store import JobStore
from chalicelib.jobs.worker import UNEXPECTED, JobRunner
from chalicelib.logs import get_logger
from tests.fakes import FakeClock, delivery
from tests.moto_account import Aws

REPORT = JobType.REPORT


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The structured log lines written while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(get_logger().handlers[0].formatter)
    get_logger().addHandler(handler)
    yield stream
    get_logger().removeHandler(handler)


def event_for(job: Job) -> dict[str, Any]:
    return {"jobId": job.job_id, "idrssd": job.idrssd, "type": str(job.type), "params": job.params}


class StagedPipeline:
    """Reports through named stages, recording what the store showed at each step."""

    def __init__(self, store: JobStore, clock: FakeClock, steps_per_stage: int = 1) -> None:
        self.store = store
        self.clock = clock
        self.steps_per_stage = steps_per_stage
        self.seen: list[int] = []

    def __call__(self, job: Job, progress: ProgressReporter) -> dict[str, Any]:
        stages = ["load", "analyze", "write", "save"]
        for index, stage in enumerate(stages):
            for step in range(self.steps_per_stage):
                value = index * 25 + (step * 25) // self.steps_per_stage
                progress.report(value, stage, f"{stage} {step}")
                self.clock.advance(0.01)
            current = self.store.get(job.idrssd, job.type)
            assert current is not None
            self.seen.append(current.progress)
        return {"url": f"/api/research/{job.idrssd}/report"}


def test_a_job_runs_through_its_stages_to_completion(store: JobStore, clock: FakeClock) -> None:
    pipeline = StagedPipeline(store, clock)
    runner = JobRunner(store, {REPORT: pipeline}, clock)
    job, _ = store.start("1", REPORT, {})
    outcome = runner.handle(event_for(job), delivery(clock))
    assert outcome.result == "completed"
    assert pipeline.seen == [0, 25, 50, 75]
    done = store.get("1", REPORT)
    assert done is not None and done.status is Status.COMPLETED and done.progress == 100
    assert done.result == {"url": "/api/research/1/report"}


def test_a_type_without_a_pipeline_fails_with_a_sentence(store: JobStore, clock: FakeClock) -> None:
    runner = JobRunner(store, {}, clock)
    job, _ = store.start("1", JobType.PODCAST, {"experts": ["credit"]})
    outcome = runner.handle(event_for(job), delivery(clock))
    assert outcome.result == "failed"
    seen = store.get("1", JobType.PODCAST)
    assert seen is not None and seen.status is Status.FAILED
    assert seen.error == NOT_AVAILABLE[JobType.PODCAST]


def test_a_domain_error_fails_the_job_with_its_sentence(store: JobStore, clock: FakeClock) -> None:
    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        progress.report(10, "load", "Loading")
        raise JobFailed("No quarters of data are loaded for this bank.")

    job, _ = store.start("1", REPORT, {})
    JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED
    assert seen.error == "No quarters of data are loaded for this bank."
    assert seen.progress == 10


def test_an_unexpected_error_fails_with_a_generic_sentence_and_logs_details(
    store: JobStore, clock: FakeClock, logs: io.StringIO
) -> None:
    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        raise KeyError("internal-detail-xyz")

    job, _ = store.start("1", REPORT, {})
    outcome = JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert outcome.result == "failed"
    seen = store.get("1", REPORT)
    assert seen is not None and seen.error == UNEXPECTED[REPORT]
    assert "internal-detail-xyz" not in json.dumps(seen.to_api())
    entries = [json.loads(line) for line in logs.getvalue().splitlines()]
    failure = next(entry for entry in entries if entry["message"] == "job failed unexpectedly")
    assert failure["jobId"] == job.job_id
    assert "internal-detail-xyz" in failure["exception"]


def test_a_second_delivery_of_the_same_event_does_nothing(
    store: JobStore, clock: FakeClock
) -> None:
    runs: list[str] = []

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        runs.append(job.job_id)
        return {}

    runner = JobRunner(store, {REPORT: pipeline}, clock)
    job, _ = store.start("1", REPORT, {})
    event = event_for(job)
    assert runner.handle(event, delivery(clock)).result == "completed"
    finished = store.get("1", REPORT)
    assert runner.handle(event, delivery(clock)).result == "skipped"
    assert runs == [job.job_id]
    assert store.get("1", REPORT) == finished


def test_a_duplicate_delivery_while_running_asks_to_be_retried(
    store: JobStore, clock: FakeClock
) -> None:
    runs: list[str] = []
    duplicate: list[str] = []
    runner: JobRunner

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        runs.append(job.job_id)
        # At-least-once delivery: the same event again while this run holds a live lease.
        with pytest.raises(Redeliver) as retry:
            runner.handle(event_for(job), delivery(clock))
        duplicate.append(retry.value.reason)
        return {}

    runner = JobRunner(store, {REPORT: pipeline}, clock)
    job, _ = store.start("1", REPORT, {})
    assert runner.handle(event_for(job), delivery(clock)).result == "completed"
    assert runs == [job.job_id] and duplicate == ["another run holds a live lease"]
    # Lambda's retry of the duplicate, after the job finished, goes quietly.
    assert runner.handle(event_for(job), delivery(clock)).result == "skipped"


def test_a_cancelled_worker_stops_at_its_next_stage(store: JobStore, clock: FakeClock) -> None:
    reached: list[str] = []

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        progress.report(10, "load", "Loading")
        reached.append("load")
        store.cancel(job.idrssd, job.type)  # a user presses Cancel meanwhile
        progress.report(40, "analyze", "Analyzing")
        reached.append("analyze")
        return {}

    job, _ = store.start("1", REPORT, {})
    outcome = JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert outcome.result == "lost"
    assert reached == ["load"]
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED and seen.progress == 10
    assert seen.error_code == "cancelled"


def test_check_cancelled_notices_within_a_second(store: JobStore, clock: FakeClock) -> None:
    lines_done: list[int] = []

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        for line in range(100):
            if line == 30:
                store.cancel(job.idrssd, job.type)
            progress.check_cancelled()
            lines_done.append(line)
            clock.advance(0.1)
        return {}

    job, _ = store.start("1", REPORT, {})
    outcome = JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert outcome.result == "lost"
    assert 30 <= len(lines_done) <= 41


def test_a_superseded_worker_stops_and_leaves_the_new_job_alone(
    store: JobStore, clock: FakeClock
) -> None:
    new_ids: list[str] = []

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        progress.report(10, "load", "Loading")
        clock.advance(2_000)  # this worker stalls past its lease; another start replaces it
        new_job, created = store.start(job.idrssd, job.type, {})
        assert created
        new_ids.append(new_job.job_id)
        progress.report(50, "analyze", "Analyzing")
        return {}

    job, _ = store.start("1", REPORT, {})
    outcome = JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert outcome.result == "lost"
    seen = store.get("1", REPORT)
    assert seen is not None and seen.job_id == new_ids[0] and seen.status is Status.PENDING


def test_progress_writes_are_coalesced(store: JobStore, clock: FakeClock, aws: Aws) -> None:
    writes: list[str] = []
    aws.jobs_table.meta.client.meta.events.register(
        "before-call.dynamodb.UpdateItem", lambda params, **_: writes.append("update")
    )
    # 4 stages x 250 reports, 10 ms apart: 10 s of work reporting 1 000 times.
    pipeline = StagedPipeline(store, clock, steps_per_stage=250)
    job, _ = store.start("1", REPORT, {})
    JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    seconds_of_work, stages = 10, 4
    # claim + at most one write a second + one per stage change (completion is a transaction)
    assert len(writes) <= 1 + seconds_of_work + stages + 1
    assert len(writes) >= 1 + stages


def test_progress_reports_never_go_backwards(store: JobStore, clock: FakeClock) -> None:
    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        progress.report(60, "analyze", "Analyzing")
        progress.report(20, "write", "A careless lower value")
        progress.report(150, "save", "Too high")
        return {}

    job, _ = store.start("1", REPORT, {})
    steps: list[int] = []
    original = store.report_progress

    def spy(job: Job, progress: int, stage: str, message: str) -> None:
        steps.append(progress)
        original(job, progress, stage, message)

    store.report_progress = spy  # type: ignore[method-assign]
    JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert steps == [60, 60, 99]


def test_the_artifact_is_stored_before_the_job_says_completed(
    store: JobStore, clock: FakeClock, aws: Aws
) -> None:
    s3, bucket = aws.s3, aws.bucket
    seen_at_completion: list[bool] = []
    original = store.complete

    def spy(job: Job, result: dict[str, Any], message: str, publication: Any = None) -> Job:
        keys = [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        seen_at_completion.append(f"reports/1/{job.job_id}.json" in keys)
        return original(job, result, message, publication)

    store.complete = spy  # type: ignore[method-assign]

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        s3.put_object(Bucket=bucket, Key=f"reports/1/{job.job_id}.json", Body=b"{}")
        return {"url": "/api/research/1/report"}

    job, _ = store.start("1", REPORT, {})
    JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert seen_at_completion == [True]


def test_a_failed_artifact_write_never_completes_the_job(
    store: JobStore, clock: FakeClock, aws: Aws
) -> None:
    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        aws.s3.put_object(Bucket="no-such-bucket", Key="x", Body=b"{}")
        return {"url": "/never"}

    job, _ = store.start("1", REPORT, {})
    outcome = JobRunner(store, {REPORT: pipeline}, clock).handle(event_for(job), delivery(clock))
    assert outcome.result == "failed"
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED and seen.result is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "text",
        [],
        {},
        {"jobId": 1, "idrssd": "1", "type": "report"},
        {"jobId": "x", "idrssd": "1", "type": "essay"},
    ],
)
def test_a_malformed_event_is_rejected_without_writes(
    store: JobStore, clock: FakeClock, payload: Any
) -> None:
    outcome = JobRunner(store, {}, clock).handle(payload, delivery(clock))
    assert outcome.result == "rejected"
