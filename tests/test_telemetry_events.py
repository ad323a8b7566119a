"""The other events a job tells its operators (joins, cancellations, skipped deliveries, jobs
failed without a run, stuck jobs, AWS call latency and throttles, imports), and its traces:
the job's annotations and the link from the API's trace to the worker's."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib import logs, telemetry
from chalicelib.bedrock import Converse
from chalicelib.experts import expert_by_id
from chalicelib.jobs.model import JobType, WorkerEvent
from chalicelib.podcasts.polly import PollyEngine
from chalicelib.runtime import Runtime
from ingest.importer import BankImporter
from tests.api_support import Api, api_under_test
from tests.fakes import FakeClock, converse_answer, put_bank, stubbed_bedrock
from tests.moto_account import Aws
from tests.telemetry_support import emf_points, log_lines, named
from tests.test_telemetry import START, Stages

BANK = "9900001"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "ffiec"


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    put_bank(aws.banks_table, BANK)

    def pipelines(built: Runtime) -> dict[JobType, Any]:
        return {JobType.REPORT: Stages(cast(FakeClock, built.clock))}

    with api_under_test(aws, pipelines=pipelines) as under_test:
        yield under_test


def job_of(response: Any) -> dict[str, Any]:
    job: dict[str, Any] = json.loads(response.body)["job"]
    return job


def test_joins_and_cancellations_count_by_type(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    started = job_of(api.post(START))
    api.post(START)
    cancelled = api.delete(f"/api/research/{BANK}/job?type=report")
    assert cancelled.status_code == 200
    points = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(points, "JobsStarted", JobType="report")] == [1]
    assert [p.total for p in named(points, "JobsJoined", JobType="report")] == [1]
    cancel = named(points, "JobsCancelled", JobType="report")
    assert [p.total for p in cancel] == [1] and cancel[0].properties["jobId"] == started["jobId"]
    assert not [p for p in points if p.name == "JobsFailed"], "a cancellation is no failure"


def test_a_delivery_for_a_finished_job_is_skipped_with_its_reason(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    api.post(START)
    payload = api.invoker.events[-1].to_payload()
    api.delete(f"/api/research/{BANK}/job?type=report")
    assert api.client.lambda_.invoke("report_worker", payload).payload["outcome"] == "skipped"
    points = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(points, "DeliveriesSkipped", JobType="report")] == [1]
    gone = named(points, "DeliveriesSkipped", JobType="report", Reason="gone")
    assert [p.total for p in gone] == [1]


def test_a_job_lambda_gave_up_on_fails_by_its_code_and_its_lines_carry_the_request(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    job = job_of(api.post(START))
    event: WorkerEvent = api.invoker.events[-1]
    record = {
        "requestContext": {"requestId": "r-1", "condition": "RetriesExhausted"},
        "requestPayload": event.to_payload() | {"correlationId": job["correlationId"]},
    }
    message = {"body": json.dumps(record), "messageId": "m-1", "receiptHandle": "h-1"}
    sqs_event = {"Records": [message | {"eventSourceARN": "arn:aws:sqs:us-east-1:1:q"}]}
    logs._correlations.clear()  # a fresh consumer process knows only what the record says
    with log_lines() as lines:
        api.client.lambda_.invoke("worker_failures", sqs_event)
    points = emf_points(capsys.readouterr().out)
    by_code = named(points, "JobsFailed", JobType="report", Reason="retries_exhausted")
    assert [p.total for p in by_code] == [1]
    assert [p.total for p in named(points, "JobsFailed", JobType="report")] == [1]
    about_the_job = [line for line in lines if line.get("jobId") == job["jobId"]]
    assert about_the_job and {line["correlation_id"] for line in about_the_job} == {
        job["correlationId"]
    }


def test_a_reader_that_finds_a_dead_job_counts_it_as_stuck(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    job = job_of(api.post(START))
    timing = api.runtime.store.timing
    api.clock.advance(timing.claim_window_seconds + 1)  # never claimed: nothing will now
    assert api.status(BANK)["errorCode"] == "not_started"
    stuck = named(emf_points(capsys.readouterr().out), "StuckJobsSeen", JobType="report")
    assert [p.total for p in stuck] == [1]
    assert stuck[0].properties == {"jobId": job["jobId"], "reason": "not_started"}


def test_a_live_job_is_not_stuck(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.post(START)
    api.status(BANK)
    assert not [p for p in emf_points(capsys.readouterr().out) if p.name == "StuckJobsSeen"]


def test_bedrock_calls_are_timed_and_throttles_counted(capsys: pytest.CaptureFixture[str]) -> None:
    with stubbed_bedrock() as (client, stubber):
        stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
        stubber.add_response("converse", converse_answer("Fine."))
        converse = Converse(lambda: client, "amazon.nova-lite-v1:0", sleep=lambda _: None)
        converse(
            "system", "prompt", max_tokens=10, temperature=0.0,
            refused=RuntimeError, unreachable=RuntimeError,
        )  # fmt: skip
    telemetry.flush()
    points = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(points, "BedrockThrottles")] == [1]
    latency = named(points, "BedrockLatency")
    assert len(latency) == 1 and len(latency[0].values) == 1 and latency[0].unit == "Milliseconds"


def test_polly_calls_are_timed_and_throttles_counted(capsys: pytest.CaptureFixture[str]) -> None:
    client = boto3.client("polly", region_name="us-east-1")
    pcm = b"\0\0" * 160
    answer = {"AudioStream": StreamingBody(io.BytesIO(pcm), len(pcm)), "ContentType": "audio/pcm"}
    expert = expert_by_id("credit")
    assert expert is not None
    voice = expert.voice
    with Stubber(client) as stubber:
        stubber.add_client_error("synthesize_speech", "ThrottlingException", http_status_code=400)
        stubber.add_response("synthesize_speech", answer)
        PollyEngine(lambda: client, sleep=lambda _: None).synthesize("Hi.", voice)
    telemetry.flush()
    points = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(points, "PollyThrottles")] == [1]
    assert [len(p.values) for p in named(points, "PollyLatency")] == [1]


def test_an_import_reports_its_rows_banks_and_duration(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = BankImporter(aws.banks_table).import_path(SAMPLE)
    points = emf_points(capsys.readouterr().out)
    assert [p.total for p in named(points, "ImportRows")] == [summary.rows_read] != [0]
    assert [p.total for p in named(points, "ImportBanks")] == [summary.banks]
    assert [p.values for p in named(points, "ImportDuration")] == [(round(summary.seconds * 1000),)]


# Tracing ---------------------------------------------------------------------------------------


class FakeTracer:
    """What ``chalicelib.telemetry`` asks of Powertools' Tracer, recorded: which subsegment
    each annotation went to."""

    disabled = False

    def __init__(self) -> None:
        self.open: list[str] = []
        self.annotations: dict[str, dict[str, Any]] = {}
        self.provider = self

    @contextlib.contextmanager
    def in_subsegment(self, name: str) -> Iterator[None]:
        self.open.append(name)
        self.annotations.setdefault(name, {})
        try:
            yield
        finally:
            self.open.pop()

    def put_annotation(self, key: str, value: Any) -> None:
        assert self.open, "annotations need a subsegment"
        self.annotations[self.open[-1]][key] = value


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> FakeTracer:
    fake = FakeTracer()
    monkeypatch.setattr(telemetry, "tracer", fake)
    return fake


def test_the_start_and_the_worker_are_annotated_and_linked_by_the_trace_header(
    api: Api, traced: FakeTracer, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = job_of(api.post(START))
    route = traced.annotations["## POST /api/research/{idrssd}/generate-background"]
    assert route == {
        "correlationId": job["correlationId"], "jobId": job["jobId"], "jobType": "report",
    }  # fmt: skip

    header = "Root=1-5f84c7a9-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", header)
    with logs.invocation(None, job["correlationId"]):
        payload = telemetry.outgoing(api.invoker.events[-1].to_payload())
    assert payload["traceHeader"] == header
    assert payload["correlationId"] == job["correlationId"]

    api.client.lambda_.invoke("report_worker", payload)
    worker = traced.annotations["## report_worker"]
    assert worker["upstreamTraceId"] == "1-5f84c7a9-0123456789abcdef01234567"
    assert worker["jobId"] == job["jobId"] and worker["correlationId"] == job["correlationId"]
    assert worker["attempt"] == 1 and worker["jobType"] == "report"


def test_without_tracing_the_event_carries_no_trace_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-a-b;Sampled=1")
    assert telemetry.tracer.disabled  # outside Lambda, Powertools turns it off
    with logs.invocation(None, "request-1"):
        payload = telemetry.outgoing({"jobId": "j"})
    assert payload == {"jobId": "j", "correlationId": "request-1"}
    assert telemetry.outgoing({"jobId": "j"}) == {"jobId": "j"}


def test_trace_root_reads_the_header() -> None:
    assert telemetry.trace_root("Root=1-abc-def;Parent=1;Sampled=0") == "1-abc-def"
    assert telemetry.trace_root("Parent=1") is None and telemetry.trace_root(None) is None
