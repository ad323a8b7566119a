"""The workers run as Lambda runs them, in the stack ``make run`` starts, seen over HTTP.

One stack serves most tests, with Lambda's times scaled by 0.05 (retries after 3 and 6 s,
a 45 s function timeout, a 120 s maximum event age), short leases and heartbeats, a paced
report of 4 s, and faults injected by settings for some banks only:

- 9900011: the report worker always raises;
- 9900013: every event is delivered twice at once.

A second stack (scale 0.005: a 4.5 s timeout) makes the first delivery for 9900014 hang.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.local_stack import ROOT, Stack, free_port, local_stack

pytestmark = pytest.mark.e2e
REPORT_WORKER = "bank-research-local-report_worker"
FAILURE_QUEUE = "bank-research-failed-worker-events"
SETTINGS = {
    "LOCAL_LAMBDA_TIME_SCALE": "0.05",
    "LOCAL_LAMBDA_FAULTS": "raise idrssd=9900011; duplicate idrssd=9900013",
    "JOB_LEASE_SECONDS": "2",
    "JOB_HEARTBEAT_SECONDS": "1",
    "REPORT_PACE_SECONDS": "4",
}
# Upper bounds for waiting only (the machine may be slow); the figures are in bench/.
KILLED_JOB_BOUND = 40  # seconds from the kill: a 3 s retry (or a 6 s second one) + a run
FAILING_JOB_BOUND = 45  # three tries over 9 s, the record, the consumer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("lambda-stack"), env=SETTINGS) as running:
        yield running


def start_report(stack: Stack, idrssd: str) -> dict[str, Any]:
    status, _, body = stack.request("POST", f"/api/research/{idrssd}/generate-background")
    assert status == 202, body
    return dict(body["job"])


def job_of(stack: Stack, idrssd: str) -> dict[str, Any]:
    status, _, body = stack.request("GET", f"/api/research/{idrssd}/job-status?type=report")
    assert status == 200 and body["hasJob"], body
    return dict(body["job"])


def wait_until(stack: Stack, check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s:\n{stack.log()[-4000:]}")


def finished(stack: Stack, idrssd: str) -> dict[str, Any] | None:
    job = job_of(stack, idrssd)
    return job if job["status"] in ("completed", "failed") else None


def deliveries_of(stack: Stack, job_id: str) -> list[dict[str, Any]]:
    return [
        entry
        for entry in stack.invocations()["invocations"]
        if isinstance(entry["payload"], dict) and entry["payload"].get("jobId") == job_id
    ]


def lambda_client(stack: Stack) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=stack.lambda_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def test_a_report_job_runs_through_the_local_lambda(stack: Stack) -> None:
    job = start_report(stack, "9900001")
    done = wait_until(stack, lambda: finished(stack, "9900001"), 60, "the report")
    assert done["status"] == "completed" and done["attempt"] == 1
    (delivery,) = deliveries_of(stack, job["jobId"])
    assert delivery["function"] == REPORT_WORKER and delivery["trigger"] == "Event"
    assert str(uuid.UUID(delivery["requestId"])) == delivery["requestId"]
    assert delivery["outcome"] == "ok" and delivery["attempt"] == 1
    assert delivery["result"] == {"jobId": job["jobId"], "outcome": "completed"}
    assert delivery["payload"] == {
        "jobId": job["jobId"],
        "idrssd": "9900001",
        "type": "report",
        "params": {},
        "correlationId": done["correlationId"],  # the start's request, on every worker line
    }
    line = f"local lambda: {REPORT_WORKER} request {delivery['requestId']} attempt 1: ok in "
    assert line in stack.log()
    # A separate process, named after its function, that stays warm for the next event.
    command = Path(f"/proc/{delivery['pid']}/cmdline").read_bytes().split(b"\0")
    assert REPORT_WORKER.encode() in command and delivery["pid"] != stack.process.pid


def test_a_worker_killed_mid_job_is_retried_and_the_job_completes_on_attempt_2(
    stack: Stack,
) -> None:
    job = start_report(stack, "9900012")

    def running_delivery() -> dict[str, Any] | None:
        if job_of(stack, "9900012")["progress"] == 0:
            return None  # not claimed yet, or no progress written
        running = [d for d in deliveries_of(stack, job["jobId"]) if d["outcome"] == "running"]
        return running[0] if running else None

    pid = wait_until(stack, running_delivery, 30, "the job running in a worker")["pid"]
    assert REPORT_WORKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    os.kill(pid, signal.SIGKILL)
    seen: list[dict[str, Any]] = []

    def completed() -> dict[str, Any] | None:
        """Between the lapse of the dead run's lease and the retry's claim, readers see the
        job still running ("trying again"), never failed: a retry is coming."""
        current = job_of(stack, "9900012")
        seen.append(current)
        if current["status"] == "failed":
            raise AssertionError(f"readers saw the job fail before its retry: {current}")
        return current if current["status"] == "completed" else None

    done = wait_until(stack, completed, KILLED_JOB_BOUND, "the retry to complete the job")
    assert done["attempt"] == 2 and done["jobId"] == job["jobId"], done
    deliveries = sorted(deliveries_of(stack, job["jobId"]), key=lambda d: d["attempt"])
    assert deliveries[0]["outcome"] == "crashed" and deliveries[-1]["outcome"] == "ok"
    assert deliveries[0]["error"]["errorType"] == "Runtime.ExitError"
    assert {d["requestId"] for d in deliveries} == {deliveries[0]["requestId"]}


def test_a_handler_that_always_raises_is_tried_three_times_and_the_job_fails(
    stack: Stack,
) -> None:
    job = start_report(stack, "9900011")
    done = wait_until(stack, lambda: finished(stack, "9900011"), FAILING_JOB_BOUND, "failure")
    assert done["status"] == "failed" and done["jobId"] == job["jobId"]
    assert done["error"] and done["error"].endswith(".") and done["errorCode"]
    deliveries = sorted(deliveries_of(stack, job["jobId"]), key=lambda d: d["attempt"])
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert {d["error"]["errorType"] for d in deliveries} == {"InjectedFault"}
    records = [
        failure
        for failure in stack.invocations()["failures"]
        if failure["record"]["requestPayload"].get("jobId") == job["jobId"]
    ]
    assert len(records) == 1 and records[0]["queue"] == FAILURE_QUEUE
    context = records[0]["record"]["requestContext"]
    assert context["condition"] == "RetriesExhausted" and context["approximateInvokeCount"] == 3


def test_a_duplicate_delivery_changes_nothing(stack: Stack) -> None:
    job = start_report(stack, "9900013")
    done = wait_until(stack, lambda: finished(stack, "9900013"), 60, "the report")

    def settled() -> list[dict[str, Any]] | None:
        """Every copy's latest delivery returned (a copy that found the job running under
        the other's lease raised, and was tried again later)."""
        deliveries = deliveries_of(stack, job["jobId"])
        latest = {}
        for delivery in sorted(deliveries, key=lambda d: d["attempt"]):
            latest[delivery["duplicate"]] = delivery
        if len(latest) == 2 and all(d["outcome"] == "ok" for d in latest.values()):
            return deliveries
        return None

    deliveries = wait_until(stack, settled, 30, "both copies to settle")
    assert done["status"] == "completed" and done["attempt"] == 1
    assert job_of(stack, "9900013") == done
    copies = {d["duplicate"] for d in deliveries}
    assert copies == {False, True} and len({d["requestId"] for d in deliveries}) == 1
    claims = [
        line
        for line in stack.log().splitlines()
        if '"job claimed"' in line and job["jobId"] in line
    ]
    assert len(claims) == 1, claims
    assert not [
        failure
        for failure in stack.invocations()["failures"]
        if failure["record"]["requestPayload"].get("jobId") == job["jobId"]
    ]
    status, _, report = stack.request("GET", "/api/research/9900013/report")
    assert status == 200 and report


def test_a_payload_over_the_limit_is_refused_with_lambdas_error(stack: Stack) -> None:
    client = lambda_client(stack)
    payload = json.dumps({"jobId": "x", "padding": "x" * 1_048_576}).encode()
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName=REPORT_WORKER, InvocationType="Event", Payload=payload)
    error = raised.value.response
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "payload is too large for the Event invocation type" in error["Error"]["Message"]
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="bank-research-local-nothing", InvocationType="Event")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert not [
        delivery
        for delivery in stack.invocations()["invocations"]
        if isinstance(delivery["payload"], dict) and delivery["payload"].get("jobId") == "x"
    ]


def test_a_burst_of_100_concurrent_requests_is_all_answered(stack: Stack) -> None:
    answers: list[Any] = []
    barrier = threading.Barrier(100)
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        try:
            answer: Any = stack.request("POST", "/api/research/9900020/generate-background")
        except OSError as error:  # ECONNRESET, refused, timed out
            answer = error
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=start) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [answer for answer in answers if isinstance(answer, Exception)]
    assert errors == [] and len(answers) == 100
    assert {status for status, _, _ in answers} <= {200, 202}
    assert len({body["job"]["jobId"] for _, _, body in answers}) == 1


def test_a_handler_past_its_timeout_is_killed_and_retried(tmp_path: Path) -> None:
    settings = {
        "LOCAL_LAMBDA_TIME_SCALE": "0.005",  # a 4.5 s timeout, a retry 0.3 s later
        "LOCAL_LAMBDA_FAULTS": "hang@1 idrssd=9900014",
        "REPORT_PACE_SECONDS": "1",
    }
    with local_stack(tmp_path, env=settings) as stack:
        job = start_report(stack, "9900014")
        done = wait_until(stack, lambda: finished(stack, "9900014"), 60, "the retried report")
        deliveries = sorted(deliveries_of(stack, job["jobId"]), key=lambda d: d["attempt"])
        pids = {d["pid"] for d in deliveries} | {
            d["pid"] for d in stack.invocations()["invocations"]
        }
    assert done["status"] == "completed" and done["attempt"] == 1
    hung, retried = deliveries
    assert hung["outcome"] == "timeout" and hung["error"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 4.50 seconds" in hung["error"]["errorMessage"]
    assert retried["outcome"] == "ok" and retried["pid"] != hung["pid"]
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids), "no worker outlives the stack"


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({}, "is already in use, so the local Lambda cannot start there"),
        ({"LOCAL_LAMBDA_TIME_SCALE": "fast"}, "LOCAL_LAMBDA_TIME_SCALE must be a number"),
        ({"LOCAL_LAMBDA_FAULTS": "explode"}, "is not one of raise, hang, kill, duplicate"),
    ],
)
def test_a_busy_lambda_port_or_a_bad_setting_is_reported_in_a_sentence(
    settings: dict[str, str], needle: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        lambda_port = holder.getsockname()[1] if not settings else free_port()
        result = subprocess.run(
            [sys.executable, "-m", "devstack.run", "--port", str(free_port()),
             "--emulator-port", str(free_port()), "--lambda-port", str(lambda_port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, **settings},
        )  # fmt: skip
    assert result.returncode == 2 and needle in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
