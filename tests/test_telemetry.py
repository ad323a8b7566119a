"""What a job tells its operators: the EMF metrics it emits (read back from captured stdout)
and the correlation id that ties its log lines to the request that started it.

Jobs go through the app as in AWS: a start through the API (``chalice.test.Client``), then
the worker's Lambda handler (``client.lambda_.invoke``), both behind the app's middleware.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from chalicelib import logs
from chalicelib.jobs.errors import JobFailed, Redeliver
from chalicelib.jobs.model import Job, JobType, WorkerEvent
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.runtime import Runtime
from tests.api_support import Api, api_under_test
from tests.fakes import FakeClock, put_bank
from tests.moto_account import Aws
from tests.telemetry_support import emf_points, log_lines, named

BANK = "9900001"
START = f"/api/research/{BANK}/generate-background"
REPORT = "report"
STAGE_SECONDS = 0.2
CLAIM_DELAY_SECONDS = 1.5


class Stages:
    """Reports through three stages, the fake clock moving 200 ms in each; then completes,
    fails with ``no_data``, or (on its first run only) meets throttling."""

    def __init__(self, clock: FakeClock, ending: str = "complete") -> None:
        self.clock = clock
        self.ending = ending
        self.runs = 0

    def __call__(self, job: Job, progress: ProgressReporter) -> dict[str, Any]:
        self.runs += 1
        for value, stage in ((10, "load"), (40, "write"), (90, "save")):
            progress.report(value, stage, f"Doing {stage}")
            self.clock.advance(STAGE_SECONDS)
        if self.ending == "fail":
            raise JobFailed("There is no data for this bank.", "no_data")
        if self.ending == "throttled-once" and self.runs == 1:
            error = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
            raise ClientError(error, "UpdateItem")
        return {"url": f"/api/research/{job.idrssd}/report"}


def api_with(aws: Aws, ending: str) -> Iterator[Api]:
    put_bank(aws.banks_table, BANK)

    def pipelines(built: Runtime) -> dict[JobType, Any]:
        return {JobType.REPORT: Stages(cast(FakeClock, built.clock), ending)}

    with api_under_test(aws, pipelines=pipelines) as api:
        yield api


@pytest.fixture
def completing(aws: Aws) -> Iterator[Api]:
    yield from api_with(aws, "complete")


@pytest.fixture
def failing(aws: Aws) -> Iterator[Api]:
    yield from api_with(aws, "fail")


@pytest.fixture
def flaky(aws: Aws) -> Iterator[Api]:
    yield from api_with(aws, "throttled-once")


def start(api: Api) -> dict[str, Any]:
    response = api.post(START)
    assert response.status_code == 202, response.body
    job: dict[str, Any] = json.loads(response.body)["job"]
    return job


def run_worker(api: Api) -> Any:
    """The worker's Lambda handler, given the event the API handed over."""
    event: WorkerEvent = api.invoker.events[-1]
    return api.client.lambda_.invoke("report_worker", event.to_payload()).payload


def test_a_completed_job_emits_its_funnel_timings_and_writes(
    completing: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    job = start(completing)
    completing.clock.advance(CLAIM_DELAY_SECONDS)
    assert run_worker(completing)["outcome"] == "completed"
    points = emf_points(capsys.readouterr().out)

    started = named(points, "JobsStarted", JobType=REPORT)
    assert [p.total for p in started] == [1] and started[0].properties["jobId"] == job["jobId"]
    assert [p.values for p in named(points, "StartToClaim", JobType=REPORT)] == [(1500,)]
    stages = {
        p.dimensions["Stage"]: p.values
        for p in points
        if p.name == "StageDuration" and p.dimensions["JobType"] == REPORT
    }
    assert stages == {"starting": (0,), "load": (200,), "write": (200,), "save": (200,)}
    assert [p.values for p in named(points, "JobDuration", JobType=REPORT)] == [(2100,)]
    assert [p.values for p in named(points, "ProgressWrites", JobType=REPORT)] == [(3,)]
    completed = named(points, "JobsCompleted", JobType=REPORT)
    assert [p.total for p in completed] == [1]
    assert completed[0].properties["jobId"] == job["jobId"]
    assert completed[0].properties["stageMs"] == {
        "starting": 0,
        "load": 200,
        "write": 200,
        "save": 200,
    }
    for absent in ("JobsFailed", "JobsRedelivered", "DeliveriesSkipped", "JobsJoined"):
        assert not [p for p in points if p.name == absent], absent
    assert {p.unit for p in points if p.name in {"StartToClaim", "JobDuration"}} == {"Milliseconds"}
    assert {p.dimensions["service"] for p in points} == {"bank-research"}


def test_a_failed_job_counts_once_by_type_and_once_by_its_error_code(
    failing: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    start(failing)
    assert run_worker(failing)["outcome"] == "failed"
    points = emf_points(capsys.readouterr().out)

    assert [p.total for p in named(points, "JobsFailed", JobType=REPORT)] == [1]
    by_reason = named(points, "JobsFailed", JobType=REPORT, Reason="no_data")
    assert [p.total for p in by_reason] == [1]
    assert not [p for p in points if p.name == "JobsCompleted"]
    assert [p.values for p in named(points, "ProgressWrites", JobType=REPORT)] == [(3,)]
    duration = named(points, "JobDuration", JobType=REPORT)
    assert duration[0].properties["outcome"] == "failed"
    assert duration[0].properties["reason"] == "no_data"


def test_a_redelivered_job_counts_its_second_claim_and_no_second_start_to_claim(
    flaky: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    start(flaky)
    with pytest.raises(Redeliver):  # throttled on its first run: handed back to Lambda
        run_worker(flaky)
    first = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(first, "StartToClaim", JobType=REPORT)] == [0]
    assert not [p for p in first if p.name in {"JobsCompleted", "JobsFailed", "JobDuration"}]

    flaky.clock.advance(60)  # Lambda's retry, a minute later
    assert run_worker(flaky)["outcome"] == "completed"
    second = emf_points(capsys.readouterr().out)
    redelivered = named(second, "JobsRedelivered", JobType=REPORT)
    assert [p.total for p in redelivered] == [1] and redelivered[0].properties["attempt"] == 2
    assert not named(second, "StartToClaim", JobType=REPORT)
    assert [p.total for p in named(second, "JobsCompleted", JobType=REPORT)] == [1]
    completed = named(second, "JobDuration", JobType=REPORT)
    assert completed[0].properties["attempt"] == 2
    assert completed[0].values == (round((3 * STAGE_SECONDS + 60 + 3 * STAGE_SECONDS) * 1000),)


def test_the_request_id_of_the_start_is_on_the_job_and_every_worker_line(
    completing: Api,
) -> None:
    with log_lines() as api_lines:
        job = start(completing)
    correlation = job["correlationId"]
    assert correlation and api_lines, "the start logs, and its job keeps the request id"
    assert {line.get("correlation_id") for line in api_lines} == {correlation}

    # The worker runs in a process of its own: it learns the id from the job it claims
    # (the event handed over here carries none).
    logs._correlations.clear()
    with log_lines() as worker_lines:
        run_worker(completing)
    assert len(worker_lines) >= 2  # claimed, completed
    assert {line.get("correlation_id") for line in worker_lines} == {correlation}
    assert {line.get("jobId") for line in worker_lines} == {job["jobId"]}
    for line in worker_lines:
        assert line["service"] == "bank-research"
        assert line["function_name"] == "report_worker" and line["function_request_id"]
        assert isinstance(line["cold_start"], bool)
