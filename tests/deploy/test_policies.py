"""Least privilege, proven both ways: each policy grants exactly what its function uses.

The AWS calls are recorded (botocore events) while the API serves a start (with its
per-caller limit), a poll, a cancel, bank search and profile and every other route; while
each worker runs a job to completion (the podcast with eSpeak NG and a clock that moves
as speech is made, so that its cancellation checks read the job) and runs one that loses
its job as it publishes (so that it discards its artifacts); and while the failure-queue
consumer fails a job Lambda gave up on. Each call is mapped to the IAM action and ARN it
needs, and each policy must grant exactly those (no action more, no resource wider) plus
what Lambda does with the function's role (logs, the on-failure queue) and what the
configured model and Polly need, which moto cannot answer. A new call in the code is
checked without any change here; a new kind of call fails with a sentence saying where
to teach it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import runtime
from chalicelib.bootstrap import bootstrap
from chalicelib.experts import Voice
from chalicelib.jobs.invokers import LambdaInvoker
from chalicelib.jobs.model import JobType, WorkerEvent
from chalicelib.jobs.store import JobStore
from chalicelib.podcasts.audio import Clip
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.runtime import Runtime
from devstack.emulator import make_dynamodb_writes_atomic
from devstack.resources import create_all
from ingest.importer import BankImporter
from tests.api_support import settings_for_tests
from tests.conftest import NAMES, REGION
from tests.deploy.iam import (
    EXCEPTIONS_FILE,
    FUNCTIONS,
    PARTITION,
    STACK,
    Need,
    Resolver,
    as_list,
    differences,
    encryption_needs,
    load_policy,
    missing,
    needs_of,
    statements,
)
from tests.fakes import Call, FakeClock, counting_calls

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"
BANK = "9900001"  # a synthetic sample bank with figures
OTHER_BANK = "9900002"  # another
THIRD_BANK = "9900003"  # and a third
BATCH_QUEUE = f"{STACK}-batch-items"  # BatchItemQueue's name in the stack the policies name

# Calls the code makes only in AWS (moto cannot answer them): checked like recorded ones.
CALLS_ONLY_IN_AWS = {
    "report_worker": [("bedrock-runtime", "Converse", {"modelId": "BedrockModelId"})],
    "batch_items": [("bedrock-runtime", "Converse", {"modelId": "BedrockModelId"})],
    "podcast_worker": [
        ("bedrock-runtime", "Converse", {"modelId": "BedrockModelId"}),
        ("polly", "SynthesizeSpeech", {}),
    ],
}
SECONDS_PER_SPOKEN_LINE = 2.0  # how far the clock moves while a line is synthesized

# Request bodies for routes that need one to get past validation.
REPORT_START = "/api/research/{idrssd}/generate-background"
PODCAST_START = "/api/research/{idrssd}/podcast/generate-background"
JSON = {"Content-Type": "application/json"}
WORKER_OF = {JobType.REPORT: "report_worker", JobType.PODCAST: "podcast_worker"}
BODIES = {PODCAST_START: '{"experts": ["credit"]}'}


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


class TimedVoice:
    """eSpeak NG, with the clock moving as each line is spoken, as it does in a real run:
    the worker's once-a-second progress writes and cancellation checks then happen."""

    def __init__(self, engine: VoiceEngine, clock: FakeClock) -> None:
        self._engine, self._clock = engine, clock

    @property
    def name(self) -> str:
        return self._engine.name

    @property
    def max_chars(self) -> int:
        return self._engine.max_chars

    def synthesize(self, text: str, voice: Voice) -> Clip:
        clip = self._engine.synthesize(text, voice)
        self._clock.advance(SECONDS_PER_SPOKEN_LINE)
        return clip


class RecordingRuntime(Runtime):
    def voice_engine(self) -> VoiceEngine:
        return TimedVoice(super().voice_engine(), self.clock)  # type: ignore[arg-type]


def _path_for(route: str) -> str:
    return route.replace("{idrssd}", BANK)


def _serve_every_route(http: Any) -> None:
    """A poll, a search and a profile; a podcast started and cancelled; every route (so
    a podcast is started again)."""
    http.get(_path_for("/api/research/{idrssd}/job-status?type=report"))
    http.get("/api/banks?q=bank")
    http.get(_path_for("/api/banks/{idrssd}"))
    podcast = _path_for("/api/research/{idrssd}/podcast/generate-background")
    started = http.post(podcast, body=BODIES[PODCAST_START], headers=JSON)
    assert started.status_code == 202, started.body
    cancelled = http.delete(_path_for("/api/research/{idrssd}/job?type=podcast"))
    assert cancelled.status_code == 200, cancelled.body
    for path, methods in app.routes.items():
        for method in methods:
            query = "?type=report" if "{idrssd}" in path else ""
            headers = JSON if method in {"POST", "PUT", "PATCH"} else {}
            body = BODIES.get(path, "{}") if headers else ""
            http.request(method, _path_for(path) + query, headers=headers, body=body)


def _read_every_route(http: Any) -> None:
    """Every GET route once more, now that a podcast is published (its audio link too)."""
    for path, methods in app.routes.items():
        if "GET" in methods:
            query = "?type=podcast" if "{idrssd}" in path else ""
            http.get(_path_for(path) + query)


def _a_failure_record(client: Client, built: Runtime) -> Any:
    """What Lambda's on-failure destination sends about a job it gave up on."""
    job, _ = built.store.start(BANK, JobType.REPORT, {})
    record = {
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": WorkerEvent.for_job(job).to_payload(),
    }
    return client.events.generate_sqs_event(message_bodies=[json.dumps(record)])


def _cancel_before_publishing(
    built: Runtime, outside: JobStore, job_type: JobType, idrssd: str = BANK
) -> None:
    """Once: someone cancels ``idrssd``'s job just as its run sends the completion
    transaction (a batch's own transactions, on its items and counters, go through)."""
    # The run completes through the worker's side of the runtime.
    client = built.worker.dynamodb.meta.client

    def cancel(params: dict[str, Any], **_: Any) -> None:
        sent = json.loads(params["body"])  # the request as it goes out, in DynamoDB's JSON
        keys = [op.get("Key") or op.get("Item") or {} for entry in sent["TransactItems"]
                for op in entry.values()]  # fmt: skip
        if any(key.get("pk") == {"S": f"BANK#{idrssd}"} for key in keys):
            client.meta.events.unregister(event, cancel)
            outside.cancel(idrssd, job_type)

    event = "before-call.dynamodb.TransactWriteItems"
    client.meta.events.register(event, cancel)


@pytest.fixture(scope="module")
def aws_account() -> Iterator[dict[str, Any]]:
    """One moto account for the whole recording (the run is long: record it once)."""
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        **NAMES.as_env(),
        "BATCH_QUEUE": BATCH_QUEUE,
    }
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            patch.delenv(variable, raising=False)
        for variable, value in environment.items():
            patch.setenv(variable, value)
        make_dynamodb_writes_atomic()
        with mock_aws():
            names = replace(NAMES, batch_queue=BATCH_QUEUE)  # as the stack names it
            create_all(boto3.client("dynamodb"), boto3.client("s3"), names,
                       sqs_client=boto3.client("sqs"))  # fmt: skip
            table = boto3.resource("dynamodb").Table
            yield {"jobs_table": table(NAMES.jobs_table), "banks_table": table(NAMES.banks_table)}


@pytest.fixture(scope="module")
def recorded(aws_account: dict[str, Any]) -> Iterator[Recorded]:
    importer = BankImporter(aws_account["banks_table"])
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

    clock = FakeClock()
    # The shipped pipelines (no ``pipelines=``): a worker makes the calls it makes in AWS.
    # The deployed start limit (STARTS_PER_MINUTE's default) and the local voice engine.
    settings = settings_for_tests(
        STARTS_PER_MINUTE="10", VOICE_ENGINE="espeak", BATCH_QUEUE=BATCH_QUEUE
    )
    built = RecordingRuntime(settings, clock=clock, invoker=lambda_invoker, sleep=clock.advance)
    outside = JobStore(aws_account["jobs_table"], clock, settings.timing())
    runtime.install(built)
    by_function: dict[str, list[Call]] = {name: [] for name in FUNCTIONS}

    def attribute(function: str, action: Callable[[], Any]) -> Any:
        first = len(log.calls)
        result = action()
        by_function[function] += log.calls[first:]
        return result

    def run_worker(job_type: JobType, expected: str) -> None:
        """Runs the last event the API sent for ``job_type`` as its Lambda would."""
        payload = [event for event in invoked if event["type"] == str(job_type)][-1]
        outcome = attribute(WORKER_OF[job_type], lambda: bootstrap(built).work(payload, None))
        assert outcome.result == expected, outcome

    def start(job_type: JobType) -> None:
        path = REPORT_START if job_type is JobType.REPORT else PODCAST_START
        answer = attribute(
            "api_handler",
            lambda: client.http.post(_path_for(path), body=BODIES.get(path, "{}"), headers=JSON),
        )
        assert answer.status_code == 202, answer.body

    # One recorder for the whole run: botocore copies the session's handlers into each
    # client as it is made, so a later registration would miss the clients already made.
    try:
        with counting_calls(built.session) as log, Client(app, stage_name="local") as client:
            start(JobType.REPORT)
            run_worker(JobType.REPORT, "completed")  # the routes below find a report
            attribute("api_handler", lambda: _serve_every_route(client.http))
            run_worker(JobType.PODCAST, "completed")  # the one every route's loop started
            attribute("api_handler", lambda: _read_every_route(client.http))
            for job_type in JobType:  # runs that lose their job as they publish
                clock.advance(61)  # past the start limit's minute
                start(job_type)
                _cancel_before_publishing(built, outside, job_type)
                run_worker(job_type, "lost")
            event = _a_failure_record(client, built)
            attribute("worker_failures", lambda: client.lambda_.invoke("worker_failures", event))
            assert built.store.get(BANK, JobType.REPORT).error_code == "retries_exhausted"  # type: ignore[union-attr]
            # One bank's report is up to date and skipped, the other's job is run.
            batch = _run_a_batch(client, attribute, [BANK, OTHER_BANK])
            assert batch["status"] == "completed", batch
            # A bank's report, lost as it publishes: the batch function discards it.
            _cancel_before_publishing(built, outside, JobType.REPORT, THIRD_BANK)
            batch = _run_a_batch(client, attribute, [THIRD_BANK])
            assert batch["failed"] == 1, batch
    finally:
        runtime.install(None)
    yield Recorded(by_function)


def _run_a_batch(
    client: Client, attribute: Callable[[str, Callable[[], Any]], Any], banks: list[str]
) -> dict[str, Any]:
    """A batch of ``banks``: started, read and listed by the API; its items consumed by the
    batch function as its SQS event source hands them over. The batch as it ended."""
    body = json.dumps({"type": "report", "banks": banks})
    started = attribute("api_handler", lambda: client.http.post("/api/batches", body=body,
                                                                  headers=JSON))  # fmt: skip
    assert started.status_code == 202, started.body
    batch_id = json.loads(started.body)["batch"]["batchId"]
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=BATCH_QUEUE)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    event = client.events.generate_sqs_event(message_bodies=[m["Body"] for m in messages])
    answer = attribute("batch_items", lambda: client.lambda_.invoke("batch_items", event))
    assert answer.payload == {"batchItemFailures": []}, answer.payload
    read = attribute("api_handler", lambda: client.http.get(f"/api/batches/{batch_id}"))
    assert attribute("api_handler", lambda: client.http.get("/api/batches")).status_code == 200
    batch: dict[str, Any] = json.loads(read.body)["batch"]
    return batch


def _implied_needs(function: str, resolver: Resolver) -> list[Need]:
    """What Lambda itself does with the function's role, which no recording sees, and the
    calls moto cannot answer."""
    logical_id = FUNCTIONS[function]
    group = (
        f"arn:{PARTITION}:logs:{resolver.ref('AWS::Region')}:{resolver.ref('AWS::AccountId')}"
        f":log-group:/aws/lambda/{resolver.ref(logical_id)}:*"
    )
    needs = [Need("logs:CreateLogStream", group), Need("logs:PutLogEvents", group)]
    queue = resolver.arn("FailedWorkerEvents")
    destinations = [
        resource["Properties"]
        for resource in resolver.template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig"
        and resource["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]
    if destinations:  # Lambda sends the on-failure record with the function's role
        needs.append(Need("sqs:SendMessage", queue))
    polled = {"worker_failures": queue, "batch_items": resolver.arn("BatchItemQueue")}
    if function in polled:  # its SQS event source polls with its role
        actions = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
        needs += [Need(action, polled[function]) for action in actions]
    for service, operation, params in CALLS_ONLY_IN_AWS.get(function, []):
        concrete = {key: resolver.parameter(value) for key, value in params.items()}
        needs.extend(needs_of(service, operation, concrete))
        if service == "bedrock-runtime":  # the configured id may be an inference profile
            profile = (
                f"arn:{PARTITION}:bedrock:{resolver.ref('AWS::Region')}:"
                f"{resolver.ref('AWS::AccountId')}:inference-profile/{concrete['modelId']}"
            )
            needs.append(Need("bedrock:InvokeModel", profile))
    return needs


def needs_of_function(recorded: Recorded, function: str) -> list[Need]:
    resolver = Resolver(NAMES)
    needs: list[Need] = []
    for call in recorded.by_function[function]:
        needs.extend(needs_of(call.service, call.operation, call.params))
    needs += encryption_needs(needs, resolver)
    return needs + _implied_needs(function, resolver)


def test_the_exercise_covers_the_main_calls(recorded: Recorded) -> None:
    def kinds(function: str) -> set[tuple[str, str]]:
        return {(call.service, call.operation) for call in recorded.by_function[function]}

    api = kinds("api_handler")
    assert {("dynamodb", "GetItem"), ("dynamodb", "PutItem"), ("dynamodb", "BatchGetItem")} <= api
    assert {("dynamodb", "UpdateItem"), ("lambda", "Invoke")} <= api
    for worker in ("report_worker", "podcast_worker", "batch_items"):
        # Claimed, reported, published, and discarded what a lost run had written.
        assert {("dynamodb", "UpdateItem"), ("dynamodb", "TransactWriteItems")} <= kinds(worker)
        assert {("s3", "PutObject"), ("s3", "DeleteObject")} <= kinds(worker)
    # The podcast's cancellation checks read the job between lines.
    assert ("dynamodb", "GetItem") in kinds("podcast_worker")
    assert kinds("worker_failures")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_allows_every_call_its_function_makes(recorded: Recorded, function: str) -> None:
    needs = needs_of_function(recorded, function)
    assert missing(load_policy(function), needs, Resolver(NAMES)) == [], (
        f"add these to {function}'s policy file in .chalice/"
    )


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_grants_exactly_what_its_function_uses(recorded: Recorded, function: str) -> None:
    needs = needs_of_function(recorded, function)
    found = differences(load_policy(function), needs, Resolver(NAMES))
    assert not found, f"{function}'s policy file in .chalice/ differs from its use:\n" + "\n".join(
        found
    )


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [statement for statement in statements(policy) if statement["Sid"] == sid]
    return found


def _add_to_api_jobs(action: str) -> Callable[[dict[str, Any]], None]:
    def change(policy: dict[str, Any]) -> None:
        _statement(policy, "StartPollCancelJobsAndReadPublications")["Action"].append(action)

    return change


def _widen_report_objects(policy: dict[str, Any]) -> None:
    statement = _statement(policy, "WriteAndDiscardOwnReports")
    statement["Resource"] = [{"Fn::Sub": "${ArtifactsBucket.Arn}/*"}]


def _remove(sid: str, action: str) -> Callable[[dict[str, Any]], None]:
    def change(policy: dict[str, Any]) -> None:
        _statement(policy, sid)["Action"].remove(action)

    return change


@pytest.mark.parametrize(
    ("function", "change", "says"),
    [
        ("api_handler", _add_to_api_jobs("dynamodb:Scan"), "extra: dynamodb:Scan"),
        ("api_handler", _add_to_api_jobs("dynamodb:DeleteTable"), "extra: dynamodb:DeleteTable"),
        ("report_worker", _widen_report_objects, "/*"),
        (
            "podcast_worker",
            _remove("WriteAndDiscardOwnPodcasts", "s3:PutObject"),
            "missing: s3:PutObject",
        ),
        (
            "podcast_worker",
            _remove("ClaimProgressCompleteAndPublishOwnJob", "dynamodb:GetItem"),
            "missing: dynamodb:GetItem",
        ),
    ],
)
def test_the_exact_check_fails_on_a_wider_or_narrower_policy(
    recorded: Recorded, function: str, change: Callable[[dict[str, Any]], None], says: str
) -> None:
    needs, resolver = needs_of_function(recorded, function), Resolver(NAMES)
    assert differences(load_policy(function), needs, resolver) == []
    changed = copy.deepcopy(load_policy(function))
    change(changed)
    found = differences(changed, needs, resolver)
    assert any(says in line for line in found), found
