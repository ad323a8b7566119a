"""The job routes through ``chalice.test.Client`` and moto (docs/ARCHITECTURE.md, "HTTP layer")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.clock import iso
from chalicelib.jobs import rules
from chalicelib.jobs.model import Job, JobType, WorkerEvent
from chalicelib.jobs.service import COULD_NOT_START
from tests.api_support import Api, api_under_test
from tests.fakes import RecordingInvoker, put_bank
from tests.moto_account import Aws
from tests.podcasts.support import put_report

BANK = "9900001"
REPORT_START = f"/api/research/{BANK}/generate-background"
PODCAST_START = f"/api/research/{BANK}/podcast/generate-background"
STATUS = f"/api/research/{BANK}/job-status?type="
JOB_KEYS = {
    "jobId", "idrssd", "type", "status", "progress", "stage", "message", "error", "errorCode",
    "params", "startedBy", "correlationId", "bankName",
    "attempt", "createdAt", "updatedAt", "startedAt", "finishedAt", "expiresAt", "result",
    "maxAttempts", "lastBeatAt", "heartbeatSeconds", "leaseSeconds",
}  # fmt: skip


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    put_bank(aws.banks_table, BANK)
    with api_under_test(aws) as under_test:
        yield under_test


def body(response: Any) -> Any:
    return json.loads(response.body)


def claim(api: Api, job_id: str) -> Job:
    event = WorkerEvent(job_id, BANK, JobType.REPORT, {})
    return api.runtime.store.claim(event, "run-1", "request-1")


# Start ------------------------------------------------------------------------------------


def test_start_creates_a_job_and_hands_it_to_a_worker(api: Api) -> None:
    response = api.post(REPORT_START)
    assert response.status_code == 202
    data = body(response)
    assert data["created"] is True and data["hasJob"] is True
    job = data["job"]
    assert set(job) == JOB_KEYS
    assert job["status"] == "pending" and job["progress"] == 0 and job["idrssd"] == BANK
    assert response.headers["Location"] == f"/api/research/{BANK}/job-status?type=report"
    assert response.headers["Retry-After"] == "2"
    assert [event.job_id for event in api.invoker.events] == [job["jobId"]]


def test_a_second_start_joins_with_200(api: Api) -> None:
    first = body(api.post(REPORT_START))["job"]
    second = api.post(REPORT_START)
    assert second.status_code == 200
    assert body(second)["created"] is False
    assert body(second)["job"]["jobId"] == first["jobId"]
    assert second.headers["Location"].endswith("type=report")
    assert len(api.invoker.events) == 1


def test_the_seed_clients_empty_form_post_starts_a_report(api: Api) -> None:
    # axios sends a body-less POST as application/x-www-form-urlencoded
    response = api.post(REPORT_START, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 202


@pytest.mark.parametrize("empty", ["", "   ", "{}", "\n"])
def test_an_empty_body_is_an_empty_object(api: Api, empty: str) -> None:
    assert api.post(REPORT_START, empty).status_code == 202


def test_a_podcast_start_keeps_its_experts(api: Api) -> None:
    put_report(api.aws, BANK)
    response = api.post(PODCAST_START, json.dumps({"experts": ["credit", "capital"]}))
    assert response.status_code == 202
    assert body(response)["job"]["params"] == {"experts": ["credit", "capital"]}
    assert body(response)["job"]["type"] == "podcast"
    assert api.invoker.events[0].type is JobType.PODCAST


def test_an_unknown_bank_is_404(api: Api) -> None:
    response = api.post("/api/research/9999999/generate-background")
    assert response.status_code == 404
    assert body(response)["code"] == "bank_not_found"
    assert api.jobs_items() == []


def test_a_bank_known_by_name_only_is_409_no_data(api: Api) -> None:
    put_bank(api.aws.banks_table, "852218", "JPMorgan Chase Bank, N.A.", quarters=0)
    response = api.post("/api/research/852218/generate-background")
    assert response.status_code == 409
    data = body(response)
    assert data["code"] == "no_data"
    assert "JPMorgan Chase Bank" in data["error"] and "make " not in data["error"]
    assert "make import FFIEC=" in data["detail"]  # for whoever runs the service
    assert api.jobs_items() == []


def test_a_worker_that_cannot_be_started_is_503_and_the_job_fails(aws: Aws) -> None:
    put_bank(aws.banks_table, BANK)
    broken = RecordingInvoker(fail_with=RuntimeError("Lambda is down"))
    with api_under_test(aws, invoker=lambda _: broken) as api:
        response = api.post(REPORT_START)
        assert response.status_code == 503
        assert body(response) == {"error": COULD_NOT_START, "code": "worker_unavailable"}
        status = body(api.get(STATUS + "report"))
        assert status["job"]["status"] == "failed"
        assert status["job"]["error"] == rules.NOT_STARTED[JobType.REPORT]
        assert "Lambda is down" not in json.dumps(status)


def test_an_unexpected_error_is_a_500_without_internals(aws: Aws) -> None:
    put_bank(aws.banks_table, BANK)
    with api_under_test(aws) as api:

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise KeyError("ResourceNotFound: a bug, not the request's fault")

        api.runtime.store.start = broken  # type: ignore[method-assign]
        response = api.post(REPORT_START)
        assert response.status_code == 500
        data = body(response)
        assert data["code"] == "internal_error"
        assert "Traceback" not in response.body.decode() and "ResourceNotFound" not in data["error"]


def test_a_missing_table_is_a_503_with_a_sentence_and_no_internals(aws: Aws) -> None:
    put_bank(aws.banks_table, BANK)
    aws.dynamodb.delete_table(TableName=aws.names.jobs_table)
    with api_under_test(aws) as api:
        response = api.post(REPORT_START)
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        data = body(response)
        assert data["code"] == "unavailable" and data["error"].endswith(".")
        assert "ResourceNotFound" not in response.body.decode()


# Job status -------------------------------------------------------------------------------


def test_no_job_yet(api: Api) -> None:
    response = api.get(STATUS + "report")
    assert response.status_code == 200
    assert body(response) == {"hasJob": False}
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" in response.headers and "Retry-After" not in response.headers


def test_status_carries_what_the_seed_client_reads(api: Api) -> None:
    api.post(REPORT_START)
    response = api.get(STATUS + "report")
    data = body(response)
    # checkForActiveJobs / pollJobStatus read exactly these
    assert data["hasJob"] is True
    job = data["job"]
    assert job["status"] in ("pending", "running")
    assert isinstance(job["message"], str) and job["message"]
    assert isinstance(job["progress"], int)
    assert job["error"] is None
    assert set(job) == JOB_KEYS
    assert response.headers["Retry-After"] == "2"
    assert response.headers["Cache-Control"] == "no-store"


def test_if_none_match_gets_304_until_the_job_changes(api: Api) -> None:
    api.post(REPORT_START)
    first = api.get(STATUS + "report")
    etag = first.headers["ETag"]
    unchanged = api.get(STATUS + "report", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.body == b""
    assert unchanged.headers["ETag"] == etag
    api.clock.advance(1)
    job_id = body(first)["job"]["jobId"]
    claim(api, job_id)
    changed = api.get(STATUS + "report", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and body(changed)["job"]["status"] == "running"
    assert changed.headers["ETag"] != etag


def test_a_job_says_its_budget_and_when_its_run_was_last_heard(api: Api) -> None:
    """``maxAttempts`` and ``lastBeatAt`` (with the beat and lease they are read with):
    queued, nothing heard; claimed, heard; a heartbeat, heard again (and a new ETag, so that
    a conditional poll learns it); a retry's claim, attempt 2 of 3."""
    started = body(api.post(REPORT_START))["job"]
    assert started["maxAttempts"] == 3 and started["lastBeatAt"] is None
    assert (started["heartbeatSeconds"], started["leaseSeconds"]) == (30, 90)
    api.clock.advance(4)
    running = claim(api, started["jobId"])
    claimed = api.get(STATUS + "report")
    job = body(claimed)["job"]
    assert job["lastBeatAt"] == iso(api.clock.now()) and job["attempt"] == 1
    api.clock.advance(31)
    api.runtime.worker.store.heartbeat(running)
    beat = api.get(STATUS + "report", headers={"If-None-Match": claimed.headers["ETag"]})
    assert beat.status_code == 200 and body(beat)["job"]["lastBeatAt"] == iso(api.clock.now())
    api.clock.advance(91)  # silent past its lease: a retry takes over
    event = WorkerEvent(started["jobId"], BANK, JobType.REPORT, {})
    api.runtime.worker.store.claim(event, "run-2", "request-2")
    retried = body(api.get(STATUS + "report"))["job"]
    assert (retried["attempt"], retried["maxAttempts"]) == (2, 3)
    assert retried["lastBeatAt"] == iso(api.clock.now())


def test_a_finished_job_has_no_retry_after(api: Api) -> None:
    job_id = body(api.post(REPORT_START))["job"]["jobId"]
    running = claim(api, job_id)
    api.runtime.store.complete(running, {"url": f"/api/research/{BANK}/report"}, "Report ready")
    response = api.get(STATUS + "report")
    job = body(response)["job"]
    assert job["status"] == "completed" and job["progress"] == 100
    assert job["result"] == {"url": f"/api/research/{BANK}/report"}
    assert "Retry-After" not in response.headers


def test_a_dead_job_reads_failed_and_a_new_start_replaces_it(api: Api) -> None:
    job_id = body(api.post(REPORT_START))["job"]["jobId"]
    claim(api, job_id)
    api.clock.advance(91)  # the run stopped writing: its 90 s lease ran out
    assert body(api.get(STATUS + "report"))["job"]["status"] == "running"  # a retry may come
    api.clock.advance(150)  # …and Lambda's retries are over
    job = body(api.get(STATUS + "report"))["job"]
    assert job["status"] == "failed" and "stopped making progress" in job["error"]
    assert job["errorCode"] == "worker_lost"
    restarted = api.post(REPORT_START)
    assert restarted.status_code == 202 and body(restarted)["job"]["jobId"] != job_id


def test_an_expired_job_reads_as_no_job(api: Api) -> None:
    api.post(REPORT_START)
    api.clock.advance(rules.JOB_TTL_SECONDS + 1)
    assert body(api.get(STATUS + "report")) == {"hasJob": False}


# Cancel -----------------------------------------------------------------------------------


def test_cancel_the_active_job(api: Api) -> None:
    job_id = body(api.post(REPORT_START))["job"]["jobId"]
    response = api.delete(f"/api/research/{BANK}/job?type=report")
    assert response.status_code == 200
    job = body(response)["job"]
    assert job["jobId"] == job_id and job["status"] == "failed"
    assert job["errorCode"] == "cancelled"
    assert job["error"] == "Cancelled by the person who started it."
    again = api.delete(f"/api/research/{BANK}/job?type=report")
    assert again.status_code == 404 and body(again)["code"] == "no_active_job"


# Experts and OpenAPI ----------------------------------------------------------------------


def test_the_expert_panel(api: Api) -> None:
    data = body(api.get("/api/podcast/experts"))
    assert data["maxExperts"] == 4
    assert len(data["experts"]) >= 6 and data["host"]["id"] == "host"
    for expert in [data["host"], *data["experts"]]:
        assert {"id", "name", "title", "focus", "voice"} <= set(expert)
        assert expert["voice"]["polly"] and expert["voice"]["espeak"]
    assert len({expert["id"] for expert in data["experts"]}) == len(data["experts"])


def test_every_route_is_in_the_openapi_document_and_back(api: Api) -> None:
    from app import app

    document = body(api.get("/api/openapi.json"))
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented == routed


# Workers as Lambda functions ----------------------------------------------------------------


def test_the_worker_lambda_runs_a_delivered_event(api: Api) -> None:
    api.post(REPORT_START)
    event = api.invoker.events[0].to_payload()
    result = api.client.lambda_.invoke("report_worker", event).payload
    assert result == {"jobId": event["jobId"], "outcome": "failed"}  # no report pipeline yet
    job = body(api.get(STATUS + "report"))["job"]
    assert job["status"] == "failed" and "not available" in job["error"]
    again = api.client.lambda_.invoke("report_worker", event).payload
    assert again == {"jobId": event["jobId"], "outcome": "skipped"}


def test_the_worker_lambda_ignores_a_malformed_event(api: Api) -> None:
    result = api.client.lambda_.invoke("podcast_worker", {"nonsense": True}).payload
    assert result == {"jobId": "", "outcome": "rejected"}
