"""Counting AWS calls per operation (docs/ARCHITECTURE.md, invariant 7), with botocore's events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from chalicelib.bootstrap import bootstrap
from chalicelib.jobs.invokers import LambdaInvoker
from chalicelib.jobs.model import Job, JobType
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.runtime import Runtime
from tests.api_support import Api, api_under_test
from tests.fakes import CallLog, counting_calls, put_bank
from tests.moto_account import Aws
from tests.podcasts.support import put_report

BANK = "9900001"
FUNCTIONS = {JobType.REPORT: "bank-research-dev-report_worker", JobType.PODCAST: "podcast-fn"}


@pytest.fixture
def counted(aws: Aws) -> Iterator[tuple[Api, CallLog, Stubber]]:
    put_bank(aws.banks_table, BANK)
    stubs: list[Stubber] = []

    def lambda_invoker(runtime: Runtime) -> LambdaInvoker:
        client = runtime.session.client("lambda")
        stubber = Stubber(client)
        stubber.activate()
        stubs.append(stubber)
        return LambdaInvoker(lambda: client, FUNCTIONS)

    with (
        api_under_test(aws, invoker=lambda_invoker, settings={"STARTS_PER_MINUTE": "10"}) as api,
        counting_calls(api.runtime.session) as calls,
    ):
        api.runtime.invoker  # noqa: B018 - built now so that its stubber exists
        yield api, calls, stubs[0]


def test_a_poll_is_one_eventually_consistent_get_item(counted: Any) -> None:
    api, calls, _ = counted
    calls.clear()
    response = api.get(f"/api/research/{BANK}/job-status?type=report")
    assert response.status_code == 200
    assert calls.operations() == ["GetItem"]
    assert calls.calls[0].params.get("ConsistentRead", False) is False


def test_a_start_is_one_get_item_one_conditional_put_and_one_event_invoke(counted: Any) -> None:
    api, calls, stubber = counted
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": FUNCTIONS[JobType.REPORT],
            "InvocationType": "Event",
            "Payload": ANY,
        },
    )
    response = api.post(f"/api/research/{BANK}/generate-background")
    assert response.status_code == 202
    # The bank check, the caller's start counter (fair limits), the conditional write, the
    # event.
    assert calls.operations() == ["GetItem", "UpdateItem", "PutItem", "Invoke"]
    assert calls.calls[0].params["TableName"] == api.aws.names.banks_table
    put = calls.calls[2].params
    assert "ConditionExpression" in put and put["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert "ExpressionAttributeNames" in put
    payload = json.loads(calls.calls[3].params["Payload"])
    job = json.loads(response.body)["job"]
    # The request's id rides along, so that the worker's log lines carry it before its claim.
    assert payload == {
        "jobId": job["jobId"], "idrssd": BANK, "type": "report", "params": {},
        "correlationId": job["correlationId"],
    }  # fmt: skip
    stubber.assert_no_pending_responses()


def test_joining_an_active_job_invokes_nothing(counted: Any) -> None:
    api, calls, stubber = counted
    stubber.add_response("invoke", {"StatusCode": 202}, None)
    api.post(f"/api/research/{BANK}/generate-background")
    calls.clear()
    assert api.post(f"/api/research/{BANK}/generate-background").status_code == 200
    assert calls.operations() == ["GetItem", "UpdateItem", "PutItem"]


def test_a_podcast_start_checks_for_a_report_then_writes_once(counted: Any) -> None:
    api, calls, stubber = counted
    put_report(api.aws, BANK)
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": "podcast-fn", "InvocationType": "Event", "Payload": ANY},
    )
    body = json.dumps({"experts": ["credit"]})
    calls.clear()
    assert api.post(f"/api/research/{BANK}/podcast/generate-background", body).status_code == 202
    # The bank check, one GetItem of the report's publication (the podcast is made from
    # it), the conditional write and the event.
    assert calls.operations() == ["GetItem", "GetItem", "UpdateItem", "PutItem", "Invoke"]
    assert json.loads(calls.calls[-1].params["Payload"])["params"] == {"experts": ["credit"]}
    stubber.assert_no_pending_responses()


def test_a_podcast_start_without_a_report_writes_nothing(counted: Any) -> None:
    api, calls, _ = counted
    calls.clear()
    body = json.dumps({"experts": ["credit"]})
    response = api.post(f"/api/research/{BANK}/podcast/generate-background", body)
    assert response.status_code == 409
    assert json.loads(response.body)["code"] == "report_required"
    assert calls.operations() == ["GetItem", "GetItem"]


def test_a_job_writes_progress_within_the_bound(aws: Aws) -> None:
    put_bank(aws.banks_table, BANK)
    clock_holder: list[Any] = []

    def pipeline(job: Job, progress: ProgressReporter) -> dict[str, Any]:
        clock = clock_holder[0]
        for stage in ("load", "metrics", "peers", "write", "save"):
            for step in range(200):  # 2 s per stage, a report every 10 ms
                progress.report(step // 4, stage, f"{stage} {step}")
                clock.advance(0.01)
        return {}

    with api_under_test(aws, pipelines=lambda _: {JobType.REPORT: pipeline}) as api:
        clock_holder.append(api.clock)
        with counting_calls(api.runtime.session) as calls:
            job_id = json.loads(api.post(f"/api/research/{BANK}/generate-background").body)["job"]
            event = api.invoker.events[0]
            assert event.job_id == job_id["jobId"]
            calls.clear()
            bootstrap(api.runtime).work(event.to_payload(), None)
        writes = calls.count("UpdateItem") + calls.count("TransactWriteItems")
        seconds, stages = 10, 5
        # claim + complete + about one write a second + one per stage change
        assert writes <= 2 + seconds + stages + 1
        assert set(calls.operations()) == {"UpdateItem", "TransactWriteItems"}
        assert calls.count("TransactWriteItems") == 1
        assert (
            json.loads(api.get(f"/api/research/{BANK}/job-status?type=report").body)["job"][
                "status"
            ]
            == "completed"
        )


def test_reading_the_latest_report_is_one_get_item_and_one_get_object(counted: Any) -> None:
    api, calls, _ = counted
    put_report(api.aws, BANK)
    calls.clear()
    assert api.get(f"/api/research/{BANK}/report").status_code == 200
    assert calls.operations() == ["GetItem", "GetObject"]


def test_a_missing_report_costs_one_get_item(counted: Any) -> None:
    api, calls, _ = counted
    calls.clear()
    assert api.get(f"/api/research/{BANK}/report").status_code == 404
    assert calls.operations() == ["GetItem"]


def test_the_profile_reads_which_research_exists_in_one_batch(counted: Any) -> None:
    api, calls, _ = counted
    put_report(api.aws, BANK)
    calls.clear()
    profile = json.loads(api.get(f"/api/banks/{BANK}").body)
    assert profile["research"] == {"report": True, "podcast": False}
    jobs_reads = [c.operation for c in calls.calls if c.params.get("RequestItems") is not None]
    assert jobs_reads == ["BatchGetItem"]
