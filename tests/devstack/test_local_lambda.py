"""The local Lambda endpoint, driven through boto3 as the app drives it, with tiny handlers.

Times are scaled (``SCALE``): a function timeout of 50 s lasts 1 s, Lambda's retry delays
of about 1 and 2 minutes last 1.2 and 2.4 s. Bounds below are lower bounds on waiting
(behaviour), never upper bounds on speed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.lambda_local.endpoint import LambdaEndpoint
from devstack.lambda_local.functions import Catalog, FunctionSpec, QueueSource
from devstack.lambda_local.service import LocalLambda
from devstack.lambda_local.settings import LambdaSettings, parse_faults

SCALE = 0.02
REGION = "us-east-1"


def spec(
    short: str,
    handler: str,
    timeout: int = 50,
    retries: int = 2,
    age: int = 3600,
    queue: str | None = None,
) -> FunctionSpec:
    return FunctionSpec(
        name=f"test-{short}",
        short_name=short,
        handler=f"tests.devstack.handlers.{handler}",
        timeout_seconds=timeout,
        memory_mb=256,
        max_retries=retries,
        max_event_age_seconds=age,
        on_failure_queue=queue,
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Running:
    local_lambda: LocalLambda
    url: str
    sqs: Any
    lines: list[str] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name=REGION,
            config=Config(retries={"max_attempts": 1}, read_timeout=30),
        )

    def deliveries(self, function: str | None = None) -> list[dict[str, Any]]:
        entries = self.local_lambda.listing()["invocations"]
        return [entry for entry in entries if function in (None, entry["function"])]

    def records(self, queue: str) -> list[dict[str, Any]]:
        url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def start(emulator: str) -> Iterator[Callable[..., Running]]:
    started: list[LambdaEndpoint] = []
    sqs = boto3.client("sqs", endpoint_url=emulator, region_name=REGION)

    def build(
        *specs: FunctionSpec,
        concurrency: int = 4,
        faults: str = "",
        sources: tuple[QueueSource, ...] = (),
    ) -> Running:
        for queue in {s.on_failure_queue for s in specs} | {s.queue for s in sources}:
            if queue:
                sqs.create_queue(QueueName=queue)

        def send(queue: str, body: str) -> str:
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            return str(sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"])

        lines: list[str] = []
        local_lambda = LocalLambda(
            Catalog({s.name: s for s in specs}, sources),
            LambdaSettings(SCALE, concurrency, parse_faults(faults)),
            environment=lambda _: dict(os.environ),
            send_record=send,
            queue_client=lambda: boto3.client("sqs", endpoint_url=emulator, region_name=REGION),
            say=lines.append,
        )
        endpoint = LambdaEndpoint(local_lambda, "127.0.0.1", 0)
        started.append(endpoint)
        return Running(local_lambda, endpoint.start(), sqs, lines)

    yield build
    for endpoint in started:
        endpoint.stop()


def new_queue() -> str:
    return f"failures-{uuid.uuid4().hex[:8]}"


def invoke(running: Running, name: str, payload: Any, kind: str = "RequestResponse") -> Any:
    return running.client.invoke(
        FunctionName=name, InvocationType=kind, Payload=json.dumps(payload).encode()
    )


# Synchronous invocations -------------------------------------------------------------


def test_request_response_returns_the_result_and_a_real_context(
    start: Callable[..., Running],
) -> None:
    running = start(spec("echo", "echo"))
    answer = invoke(running, "test-echo", {"hello": "world"})
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    seen = json.loads(answer["Payload"].read())
    assert seen["event"] == {"hello": "world"}
    assert seen["functionName"] == "test-echo" and seen["memory"] == "256"
    assert seen["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:test-echo"
    assert 0 < seen["remainingMs"] <= 1000  # 50 s scaled by 0.02
    assert seen["requestId"] == answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    again = json.loads(invoke(running, "test-echo", {})["Payload"].read())
    assert again["pid"] == seen["pid"], "a warm process serves the next invocation"
    assert again["requestId"] != seen["requestId"]
    cmdline = Path(f"/proc/{seen['pid']}/cmdline").read_bytes().split(b"\0")
    assert b"test-echo" in cmdline, "the worker's command line names its function"


def test_a_raising_handler_answers_its_error_as_unhandled(start: Callable[..., Running]) -> None:
    running = start(spec("fail", "fail"))
    answer = invoke(running, "test-fail", {"n": 1})
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError" and "cannot handle" in error["errorMessage"]
    assert running.deliveries()[0]["outcome"] == "error"


def test_an_unmarshallable_result_is_a_runtime_error(start: Callable[..., Running]) -> None:
    answer = invoke(start(spec("odd", "unmarshallable")), "test-odd", {})
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Runtime.MarshalError"


def test_dry_run_checks_without_running(start: Callable[..., Running]) -> None:
    running = start(spec("echo", "echo"))
    answer = invoke(running, "test-echo", {}, kind="DryRun")
    assert answer["StatusCode"] == 204 and running.deliveries() == []


def test_an_unknown_function_is_lambdas_resource_not_found(start: Callable[..., Running]) -> None:
    running = start(spec("echo", "echo"))
    for name in ("nope", "test-echo:v2"):
        with pytest.raises(ClientError) as raised:
            invoke(running, name, {}, kind="Event")
        error = raised.value.response
        assert error["Error"]["Code"] == "ResourceNotFoundException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert "Function not found" in error["Error"]["Message"]
    arn = "arn:aws:lambda:us-east-1:123456789012:function:test-echo"
    assert invoke(running, arn, {}, kind="DryRun")["StatusCode"] == 204


def test_payload_limits_are_lambdas(start: Callable[..., Running]) -> None:
    running = start(spec("echo", "echo"))
    limit = 1_048_576
    exactly = b'"' + b"x" * (limit - 2) + b'"'
    assert running.client.invoke(
        FunctionName="test-echo", InvocationType="DryRun", Payload=exactly
    )["StatusCode"] == 204  # fmt: skip
    assert running.client.invoke(
        FunctionName="test-echo", InvocationType="Event", Payload=exactly
    )["StatusCode"] == 202  # fmt: skip
    with pytest.raises(ClientError) as raised:
        running.client.invoke(
            FunctionName="test-echo", InvocationType="Event", Payload=exactly + b" "
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Message"] == (
        f"{limit + 1} byte payload is too large for the Event invocation type (limit {limit} bytes)"
    )
    with pytest.raises(ClientError) as raised:
        running.client.invoke(FunctionName="test-echo", Payload=b"{not json")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_over_the_concurrency_limit_a_synchronous_call_is_throttled(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    running = start(spec("slow", "slow_first", timeout=1500), concurrency=1)
    invoke(running, "test-slow", {"counter": str(tmp_path / "c"), "seconds": 20}, kind="Event")
    wait_for(lambda: (tmp_path / "c").exists(), what="the first delivery")
    with pytest.raises(ClientError) as raised:
        invoke(running, "test-slow", {"counter": str(tmp_path / "d"), "seconds": 0})
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


# Asynchronous invocations ------------------------------------------------------------


def test_an_event_is_accepted_with_202_and_delivered(start: Callable[..., Running]) -> None:
    running = start(spec("echo", "echo"))
    answer = invoke(running, "test-echo", {"job": 1}, kind="Event")
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    done = wait_for(lambda: [d for d in running.deliveries() if d["outcome"] == "ok"])
    assert done[0]["requestId"] == request_id and done[0]["attempt"] == 1
    assert done[0]["result"]["requestId"] == request_id
    assert done[0]["payload"] == {"job": 1} and done[0]["trigger"] == "Event"
    assert done[0]["durationMs"] >= 0 and done[0]["coldStart"] is True
    line = running.lines[-1]
    assert f"test-echo request {request_id} attempt 1: ok in " in line


def test_a_failing_event_is_tried_three_times_then_recorded_on_the_failure_queue(
    start: Callable[..., Running],
) -> None:
    queue = new_queue()
    running = start(spec("fail", "fail", queue=queue))
    invoke(running, "test-fail", {"jobId": "j1"}, kind="Event")
    records = wait_for(lambda: running.records(queue), what="the failure record")
    deliveries = sorted(running.deliveries(), key=lambda d: d["attempt"])
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert len({d["requestId"] for d in deliveries}) == 1, "retries keep the request id"
    assert [d["outcome"] for d in deliveries] == ["error"] * 3, [d["error"] for d in deliveries]
    gaps = [_seconds(b["startedAt"]) - _seconds(a["startedAt"]) for a, b in pairwise(deliveries)]
    assert gaps[0] >= 60 * SCALE and gaps[1] >= 120 * SCALE, gaps
    (record,) = records
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": deliveries[0]["requestId"],
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:test-fail:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"jobId": "j1"}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert running.local_lambda.listing()["failures"][0]["record"] == record
    assert "sent to " + queue + " (RetriesExhausted)" in running.lines[-1]


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_retry_that_succeeds_ends_the_chain(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    queue = new_queue()
    running = start(spec("flaky", "fail_until", queue=queue))
    invoke(running, "test-flaky", {"counter": str(tmp_path / "n"), "succeedOn": 2}, kind="Event")
    done = wait_for(lambda: [d for d in running.deliveries() if d["outcome"] == "ok"])
    assert done[0]["attempt"] == 2 and done[0]["result"] == {"calls": 2}
    time.sleep(120 * SCALE)  # past the moment a third attempt would have come
    assert len(running.deliveries()) == 2 and running.records(queue) == []


def test_a_handler_past_its_timeout_is_killed_and_retried(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    running = start(spec("slow", "slow_first"))
    invoke(running, "test-slow", {"counter": str(tmp_path / "n"), "seconds": 30}, kind="Event")
    done = wait_for(lambda: [d for d in running.deliveries() if d["outcome"] == "ok"])
    first, second = sorted(running.deliveries(), key=lambda d: d["attempt"])
    assert first["outcome"] == "timeout" and first["error"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in first["error"]["errorMessage"]
    assert first["durationMs"] >= 1000
    assert not Path(f"/proc/{first['pid']}").exists(), "the timed-out process was killed"
    assert done[0]["attempt"] == 2 and second["pid"] != first["pid"] and second["coldStart"]
    assert second["requestId"] == first["requestId"] and second["result"] == {"calls": 2}


def test_a_killed_worker_process_is_a_function_error_and_retried(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    running = start(spec("slow", "slow_first", timeout=1500))
    invoke(running, "test-slow", {"counter": str(tmp_path / "n"), "seconds": 25}, kind="Event")
    first = wait_for(
        lambda: (
            [d for d in running.deliveries() if d["outcome"] == "running"]
            and (tmp_path / "n").exists()
        )
    )
    assert first
    pid = running.deliveries()[0]["pid"]
    os.kill(pid, signal.SIGKILL)
    done = wait_for(lambda: [d for d in running.deliveries() if d["outcome"] == "ok"])
    killed = next(d for d in running.deliveries() if d["attempt"] == 1)
    assert killed["outcome"] == "crashed" and killed["error"]["errorType"] == "Runtime.ExitError"
    assert "signal: kill" in killed["error"]["errorMessage"]
    assert done[0]["attempt"] == 2 and done[0]["pid"] != pid


def test_a_process_that_exits_is_a_crash_and_the_next_delivery_starts_a_new_one(
    start: Callable[..., Running],
) -> None:
    running = start(spec("exit", "exit_hard", retries=0))
    answer = invoke(running, "test-exit", {})
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "Runtime.ExitError" and "exit status 3" in error["errorMessage"]


def test_events_over_the_concurrency_limit_wait_their_turn(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    running = start(spec("slow", "slow_first"), concurrency=1)
    for name in ("a", "b"):
        invoke(
            running, "test-slow", {"counter": str(tmp_path / name), "seconds": 0.5}, kind="Event"
        )
    ok = wait_for(lambda: len([d for d in running.deliveries() if d["outcome"] == "ok"]) == 2)
    assert ok
    first, second = sorted(running.deliveries(), key=lambda d: d["startedAt"])
    assert _seconds(second["startedAt"]) >= _seconds(first["startedAt"]) + 0.5
    assert second["pid"] == first["pid"], "one process, reused"


def test_an_event_older_than_its_maximum_age_goes_to_the_failure_queue_unrun(
    start: Callable[..., Running], tmp_path: Path
) -> None:
    queue = new_queue()
    blocker = spec("slow", "slow_first", timeout=1500)  # 30 s: it holds the only process
    short_lived = spec("echo", "echo", age=10, queue=queue)  # 10 s scaled: 0.2 s
    running = start(blocker, short_lived, concurrency=1)
    invoke(running, "test-slow", {"counter": str(tmp_path / "n"), "seconds": 20}, kind="Event")
    wait_for(lambda: (tmp_path / "n").exists(), what="the blocking delivery")
    invoke(running, "test-echo", {"late": True}, kind="Event")
    (record,) = wait_for(lambda: running.records(queue), what="the expiry record")
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"late": True} and "responseContext" not in record
    assert running.deliveries("test-echo") == []


def test_injected_faults_come_from_settings(start: Callable[..., Running], tmp_path: Path) -> None:
    queue = new_queue()
    faults = "raise bank=1; hang@1 bank=2; duplicate bank=3"
    running = start(spec("echo", "echo", queue=queue), faults=faults)
    for bank in (1, 2, 3, 4):
        invoke(running, "test-echo", {"bank": bank}, kind="Event")

    def by_bank(bank: int) -> list[dict[str, Any]]:
        return sorted(
            (d for d in running.deliveries() if d["payload"]["bank"] == bank),
            key=lambda d: (d["attempt"], d["duplicate"]),
        )

    wait_for(lambda: len(by_bank(1)) == 3 and by_bank(1)[-1]["outcome"] != "running")
    assert {d["error"]["errorType"] for d in by_bank(1)} == {"InjectedFault"}
    hung = wait_for(lambda: [d for d in by_bank(2) if d["outcome"] == "ok"] and by_bank(2))
    assert [d["outcome"] for d in hung] == ["timeout", "ok"]
    copies = wait_for(lambda: [d for d in by_bank(3) if d["outcome"] == "ok"][1:] and by_bank(3))
    assert [d["duplicate"] for d in copies] == [False, True]
    assert copies[0]["requestId"] == copies[1]["requestId"]
    assert [d["outcome"] for d in by_bank(4)] == ["ok"]


def test_a_kill_fault_ends_the_process_mid_run_and_lambda_retries(
    start: Callable[..., Running],
) -> None:
    running = start(spec("nap", "nap"), faults="kill@1 bank=7 after=0.2")
    invoke(running, "test-nap", {"bank": 7, "seconds": 0.5}, kind="Event")
    runs = wait_for(
        lambda: [d for d in running.deliveries() if d["outcome"] == "ok"] and running.deliveries()
    )
    attempts = sorted(runs, key=lambda d: d["attempt"])
    assert [d["outcome"] for d in attempts] == ["crashed", "ok"]
    assert attempts[0]["pid"] != attempts[1]["pid"]  # a new process for the retry


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("explode", "not one of raise, hang, kill, duplicate"),
        ("kill after=soon", "after=soon must be a number"),
        ("raise@4", "attempts from 1 to 3"),
        ("hang idrssd", "key=value"),
    ],
)
def test_a_bad_fault_rule_is_a_sentence(raw: str, needle: str) -> None:
    from devstack.lambda_local.settings import SettingError

    with pytest.raises(SettingError, match=needle):
        parse_faults(raw)


def test_settings_from_the_environment() -> None:
    from devstack.lambda_local.settings import SettingError

    default = LambdaSettings.from_env({})
    assert (default.time_scale, default.concurrency, default.faults) == (1.0, 8, ())
    tuned = LambdaSettings.from_env(
        {"LOCAL_LAMBDA_TIME_SCALE": "0.05", "LOCAL_LAMBDA_CONCURRENCY": "2"}
    )
    assert tuned.scaled(60) == pytest.approx(3.0) and tuned.concurrency == 2
    assert tuned.scaled_whole_seconds(2400) == 120
    for variable, value in (("LOCAL_LAMBDA_TIME_SCALE", "0"), ("LOCAL_LAMBDA_CONCURRENCY", "x")):
        with pytest.raises(SettingError, match=variable):
            LambdaSettings.from_env({variable: value})


# SQS event source mappings -----------------------------------------------------------


def test_a_queue_source_runs_its_handler_and_deletes_the_batch_only_on_success(
    start: Callable[..., Running],
) -> None:
    good, bad = new_queue(), new_queue()
    running = start(
        spec("consumer", "echo"),
        spec("broken", "fail"),
        sources=(QueueSource("test-consumer", good), QueueSource("test-broken", bad)),
    )
    for queue in (good, bad):
        url = running.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        running.sqs.send_message(QueueUrl=url, MessageBody='{"hello": 1}')
    seen = wait_for(
        lambda: [d for d in running.deliveries("test-consumer") if d["outcome"] == "ok"]
    )
    (record,) = seen[0]["result"]["event"]["Records"]
    assert record["body"] == '{"hello": 1}' and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(f":{good}") and seen[0]["trigger"] == "SQS"
    wait_for(lambda: running.deliveries("test-broken"), what="the broken consumer's delivery")
    attributes = running.sqs.get_queue_attributes(
        QueueUrl=running.sqs.get_queue_url(QueueName=good)["QueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
    bad_url = running.sqs.get_queue_url(QueueName=bad)["QueueUrl"]
    left = running.sqs.get_queue_attributes(
        QueueUrl=bad_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert left["ApproximateNumberOfMessagesNotVisible"] == "1", "kept for a redelivery"


def _counts(running: Running, queue: str) -> dict[str, str]:
    url = running.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found: dict[str, str] = running.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)[
        "Attributes"
    ]
    return found


def test_a_partial_batch_failure_keeps_only_the_items_handed_back(
    start: Callable[..., Running],
) -> None:
    queue = new_queue()
    running = start(spec("partial", "hand_back_some"),
                    sources=(QueueSource("test-partial", queue, batch_size=10),))  # fmt: skip
    url = running.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    running.sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(n), "MessageBody": json.dumps({"n": n, "again": n == 1})} for n in range(3)
    ])  # fmt: skip
    wait_for(lambda: [d for d in running.deliveries("test-partial") if d["outcome"] == "ok"])
    counts = wait_for(
        lambda: (c := _counts(running, queue))["ApproximateNumberOfMessages"] == "0" and c,
        what="the batch's end",
    )
    # The two handled are deleted; the one handed back waits for its redelivery.
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_a_queue_source_runs_at_most_its_maximum_concurrency(
    start: Callable[..., Running],
) -> None:
    queue = new_queue()
    source = QueueSource("test-bounded", queue, batch_size=1, maximum_concurrency=2)
    running = start(spec("bounded", "hand_back_some"), concurrency=6, sources=(source,))
    url = running.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for n in range(6):
        running.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n, "seconds": 0.6}))
    done = wait_for(
        lambda: len(ok := [d for d in running.deliveries("test-bounded")
                           if d["outcome"] == "ok"]) == 6 and ok,
        what="six deliveries", timeout=30,
    )  # fmt: skip
    began = [
        datetime.fromisoformat(d["startedAt"].replace("Z", "+00:00")).timestamp() for d in done
    ]
    spans = [(b, b + d["durationMs"] / 1000) for b, d in zip(began, done, strict=True)]
    most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert most == 2, spans  # bounded by the setting, and the bound is used
