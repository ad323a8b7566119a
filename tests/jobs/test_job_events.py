"""The job core's events (``chalicelib/jobs/events.py``): what the runner and the service
tell the observer they are given, in order, with what the run measured of itself."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.jobs.errors import JobFailed
from chalicelib.jobs.events import RunTimes
from chalicelib.jobs.model import Caller, Job, JobType, WorkerEvent
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.jobs.rules import Refusal
from chalicelib.jobs.service import JobService
from chalicelib.jobs.store import JobStore
from chalicelib.jobs.worker import JobRunner
from tests.fakes import FakeClock, delivery
from tests.moto_account import Aws

REPORT = JobType.REPORT


class Recorder:
    """A ``JobEvents`` that writes each call down."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.times: RunTimes | None = None

    def requested(self, job: Job, created: bool) -> None:
        self.calls.append(("requested", created))

    def cancelled(self, job: Job) -> None:
        self.calls.append(("cancelled",))

    def abandoned(self, event: WorkerEvent, reason: str) -> None:
        self.calls.append(("abandoned", reason))

    def stuck(self, stored: Job, shown: Job) -> None:
        self.calls.append(("stuck", shown.error_code))

    def skipped(self, event: WorkerEvent, refusal: Refusal) -> None:
        self.calls.append(("skipped", refusal))

    def claimed(self, job: Job, now: float) -> None:
        self.calls.append(("claimed", now))

    def stage_ended(self, job: Job, stage: str, spent_ms: int) -> None:
        self.calls.append(("stage_ended", stage, spent_ms))

    def finished(self, job: Job, now: float, times: RunTimes, code: str | None) -> None:
        self.calls.append(("finished", now, code))
        self.times = times


class Banks:
    def require_data(self, idrssd: str) -> str:
        return "A bank"


class Invoker:
    def __init__(self) -> None:
        self.events: list[WorkerEvent] = []

    def invoke(self, event: WorkerEvent) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def store(aws: Aws, clock: FakeClock, recorder: Recorder) -> JobStore:
    return JobStore(aws.jobs_table, clock, events=recorder)


def two_stages(clock: FakeClock) -> Any:
    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        for value, stage in ((10, "load"), (50, "write")):
            progress.report(value, stage, stage)
            clock.advance(0.25)
        return {}

    return pipeline


def test_a_run_tells_its_claim_each_stage_and_its_end_with_what_it_measured(
    store: JobStore, clock: FakeClock, recorder: Recorder
) -> None:
    job, _ = store.start("1", REPORT, {})
    start = clock.now()
    JobRunner(store, {REPORT: two_stages(clock)}, clock).handle(
        {"jobId": job.job_id, "idrssd": "1", "type": "report"}, delivery(clock)
    )
    assert recorder.calls == [
        ("claimed", start),
        ("stage_ended", "starting", 0),
        ("stage_ended", "load", 250),
        ("stage_ended", "write", 250),
        ("finished", start + 0.5, None),
    ]
    assert recorder.times is not None
    assert recorder.times.writes == 2
    assert recorder.times.spent == {"starting": 0, "load": 250, "write": 250}


def test_a_failing_run_ends_with_its_code(
    store: JobStore, clock: FakeClock, recorder: Recorder
) -> None:
    def no_data(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        clock.advance(1)
        raise JobFailed("There is no data for this bank.", "no_data")

    job, _ = store.start("1", REPORT, {})
    JobRunner(store, {REPORT: no_data}, clock).handle(
        {"jobId": job.job_id, "idrssd": "1", "type": "report"}, delivery(clock)
    )
    assert recorder.calls[-2:] == [
        ("stage_ended", "starting", 1000),
        ("finished", clock.now(), "no_data"),
    ]


def test_a_delivery_for_a_finished_job_is_told_as_skipped(
    store: JobStore, clock: FakeClock, recorder: Recorder
) -> None:
    job, _ = store.start("1", REPORT, {})
    payload = {"jobId": job.job_id, "idrssd": "1", "type": "report"}
    runner = JobRunner(store, {REPORT: two_stages(clock)}, clock)
    runner.handle(payload, delivery(clock))
    recorder.calls.clear()
    assert runner.handle(payload, delivery(clock)).result == "skipped"
    assert recorder.calls == [("skipped", Refusal.GONE)]


def test_the_service_tells_starts_joins_and_cancels_and_hands_over_the_request_id(
    store: JobStore, recorder: Recorder
) -> None:
    invoker = Invoker()
    service = JobService(store, Banks(), invoker)
    alice = Caller(identity="alice", correlation_id="request-1")
    service.start("1", REPORT, {}, alice)
    service.start("1", REPORT, {}, alice)
    service.cancel("1", REPORT, alice)
    assert recorder.calls == [("requested", True), ("requested", False), ("cancelled",)]
    assert [event.correlation_id for event in invoker.events] == ["request-1"]
    assert invoker.events[0].to_payload()["correlationId"] == "request-1"


def test_a_reader_that_finds_a_dead_job_tells_it_stuck_once_per_read(
    store: JobStore, clock: FakeClock, recorder: Recorder
) -> None:
    store.start("1", REPORT, {})
    store.get("1", REPORT)
    assert recorder.calls == []
    clock.advance(store.timing.claim_window_seconds + 1)
    store.get("1", REPORT)
    assert recorder.calls == [("stuck", "not_started")]
