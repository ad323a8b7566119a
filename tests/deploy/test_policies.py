"""Least privilege: no wildcards but the documented ones, and every call the code makes allowed.

The AWS calls are recorded (botocore events) while the API serves a start, a poll, a
cancel, bank search and profile and every other route, and while a worker runs each job
type; each call is mapped to the IAM action and ARN it needs and checked against the
policy of the function that made it. A new call in the code is checked without any
change here; a new kind of call fails with a sentence saying where to teach it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.jobs.invokers import LambdaInvoker
from chalicelib.jobs.model import JobType, WorkerEvent
from chalicelib.runtime import Runtime
from ingest.importer import BankImporter
from tests.api_support import settings_for_tests
from tests.conftest import NAMES
from tests.deploy.iam import (
    EXCEPTIONS_FILE,
    FUNCTIONS,
    Need,
    Resolver,
    as_list,
    load_policy,
    missing,
    needs_of,
    statements,
)
from tests.fakes import Call, FakeClock, counting_calls

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"
BANK = "9900001"  # a synthetic sample bank with figures

# Calls the code makes only in AWS (moto cannot answer them): checked like recorded ones.
CALLS_ONLY_IN_AWS = {
    "report_worker": [("bedrock-runtime", "Converse", {"modelId": "BedrockModelId"})],
    "podcast_worker": [
        ("bedrock-runtime", "Converse", {"modelId": "BedrockModelId"}),
        ("polly", "SynthesizeSpeech", {}),
    ],
}

# Request bodies for routes that need one to get past validation.
REPORT_START = "/api/research/{idrssd}/generate-background"
JSON = {"Content-Type": "application/json"}
WORKER_OF = {JobType.REPORT: "report_worker", JobType.PODCAST: "podcast_worker"}
BODIES = {"/api/research/{idrssd}/podcast/generate-background": '{"experts": ["credit"]}'}


def _exceptions() -> list[dict[str, str]]:
    document = json.loads(EXCEPTIONS_FILE.read_text(encoding="utf-8"))
    found: list[dict[str, str]] = document["exceptions"]
    return found


# Static checks -------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_has_no_wildcard_action_or_undocumented_wildcard_resource(function: str) -> None:
    policy = load_policy(function)
    assert policy["Version"] == "2012-10-17"
    documented = {(item["sid"], item["action"]) for item in _exceptions()}
    for statement in statements(policy):
        assert statement["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
        assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"]), "Sid says why, in CamelCase"
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions), f"wildcard action in {statement}"
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                undocumented = {(statement["Sid"], action) for action in actions} - documented
                assert not undocumented, (
                    f"{function}: Resource '*' for {sorted(undocumented)} is not a documented "
                    f"exception in {EXCEPTIONS_FILE.name}"
                )
            elif isinstance(resource, str):
                # A literal ARN must name this stack's things, never any account or region.
                assert not re.match(r"arn:[^:]*:[^:]*:\*", resource), resource


def test_every_documented_exception_is_used_and_explained() -> None:
    used = {
        (statement["Sid"], action)
        for function in FUNCTIONS
        for statement in statements(load_policy(function))
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    for item in _exceptions():
        assert (item["sid"], item["action"]) in used, f"stale exception {item}"
        assert len(item["why"]) > 40 and item["source"].startswith("https://")


def test_the_checker_refuses_what_a_policy_does_not_grant() -> None:
    resolver = Resolver(NAMES)
    api = load_policy("api_handler")
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/{NAMES.jobs_table}"
    assert missing(api, [Need("dynamodb:GetItem", table)], resolver) == []
    assert missing(api, [Need("dynamodb:DeleteItem", table)], resolver)
    assert missing(api, [Need("dynamodb:GetItem", table + "-other")], resolver)
    assert missing(api, [Need("polly:SynthesizeSpeech", "*")], resolver)


# Recorded calls ------------------------------------------------------------------------


@dataclass
class Recorded:
    by_function: dict[str, list[Call]]


def _fake_invoke(payloads: list[dict[str, Any]]) -> Any:
    """Answers Lambda ``Invoke`` as AWS would for an Event invoke, keeping the payload."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        payloads.append(json.loads(params["body"]))
        return AWSResponse("https://lambda", 202, {}, None), {"StatusCode": 202}

    return handler


def _path_for(route: str) -> str:
    return route.replace("{idrssd}", BANK)


def _serve_every_route(http: Any) -> None:
    """A poll, a cancel, a search and a profile; then every route there is."""
    http.get(_path_for("/api/research/{idrssd}/job-status?type=report"))
    http.delete(_path_for("/api/research/{idrssd}/job?type=report"))
    http.get("/api/banks?q=bank")
    http.get(_path_for("/api/banks/{idrssd}"))
    for path, methods in app.routes.items():
        for method in methods:
            query = "?type=report" if "{idrssd}" in path else ""
            headers = JSON if method in {"POST", "PUT", "PATCH"} else {}
            body = BODIES.get(path, "{}") if headers else ""
            http.request(method, _path_for(path) + query, headers=headers, body=body)


def _a_failure_record(client: Client, built: Runtime) -> Any:
    """What Lambda's on-failure destination sends about a job it gave up on."""
    job, _ = built.store.start(BANK, JobType.REPORT, {})
    record = {
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": WorkerEvent.for_job(job).to_payload(),
    }
    return client.events.generate_sqs_event(message_bodies=[json.dumps(record)])


@pytest.fixture
def recorded(aws: dict[str, Any]) -> Iterator[Recorded]:
    importer = BankImporter(aws["banks_table"])
    importer.import_path(SAMPLE)
    importer.load_reference_banks()
    resolver = Resolver(NAMES)
    worker_names = {
        JobType.REPORT: resolver.ref("ReportWorker"),
        JobType.PODCAST: resolver.ref("PodcastWorker"),
    }
    invoked: list[dict[str, Any]] = []

    def lambda_invoker(built: Runtime) -> LambdaInvoker:
        client = built.client("lambda")
        client.meta.events.register("before-call.lambda.Invoke", _fake_invoke(invoked))
        return LambdaInvoker(lambda: client, worker_names)

    # The shipped pipelines (no ``pipelines=``): a worker makes the calls it makes in AWS.
    built = Runtime(settings_for_tests(), clock=FakeClock(), invoker=lambda_invoker)
    runtime.install(built)
    by_function: dict[str, list[Call]] = {name: [] for name in FUNCTIONS}

    def run_worker(job_type: JobType) -> None:
        """Runs the event the API sent for ``job_type`` (or a fresh job's) as its Lambda would."""
        sent = [event for event in invoked if event["type"] == str(job_type)]
        if sent:
            payload = sent[-1]
        else:
            params = {"experts": ["credit"]} if job_type is JobType.PODCAST else {}
            payload = WorkerEvent.for_job(built.store.start(BANK, job_type, params)[0]).to_payload()
        first = len(log.calls)
        built.runner.handle(payload, built.delivery(None))
        by_function[WORKER_OF[job_type]] += log.calls[first:]

    # One recorder for the whole run: botocore copies the session's handlers into each
    # client as it is made, so a later registration would miss the clients already made.
    try:
        with counting_calls(built.session) as log, Client(app, stage_name="local") as client:
            client.http.post(_path_for(REPORT_START), body="{}", headers=JSON)
            by_function["api_handler"] += log.calls
            run_worker(JobType.REPORT)  # so that the routes below find a finished report
            first = len(log.calls)
            _serve_every_route(client.http)
            by_function["api_handler"] += log.calls[first:]
            run_worker(JobType.PODCAST)
            event = _a_failure_record(client, built)
            first = len(log.calls)
            client.lambda_.invoke("worker_failures", event)
            by_function["worker_failures"] += log.calls[first:]
            assert built.store.get(BANK, JobType.REPORT).error_code == "retries_exhausted"  # type: ignore[union-attr]
    finally:
        runtime.install(None)
    assert invoked, "the API's start should have invoked a worker"
    yield Recorded(by_function)


def test_the_exercise_covers_the_main_calls(recorded: Recorded) -> None:
    api = {(call.service, call.operation) for call in recorded.by_function["api_handler"]}
    assert {("dynamodb", "GetItem"), ("dynamodb", "PutItem"), ("dynamodb", "BatchGetItem")} <= api
    assert {("dynamodb", "UpdateItem"), ("lambda", "Invoke")} <= api
    for worker in ("report_worker", "podcast_worker"):
        assert ("dynamodb", "UpdateItem") in {
            (call.service, call.operation) for call in recorded.by_function[worker]
        }


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_allows_every_call_its_function_makes(recorded: Recorded, function: str) -> None:
    resolver = Resolver(NAMES)
    needs: list[Need] = []
    for call in recorded.by_function[function]:
        needs.extend(needs_of(call.service, call.operation, call.params))
    for service, operation, params in CALLS_ONLY_IN_AWS.get(function, []):
        concrete = {key: resolver.parameter(value) for key, value in params.items()}
        needs.extend(needs_of(service, operation, concrete))
    assert missing(load_policy(function), needs, resolver) == [], (
        f"add these to {function}'s policy file in .chalice/"
    )
