"""Settings from the environment, and the two invokers."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.jobs.invokers import LambdaInvoker, ThreadInvoker
from chalicelib.jobs.model import JobType, WorkerEvent

BASE = {"JOBS_TABLE": "j", "BANKS_TABLE": "b", "ARTIFACTS_BUCKET": "a", "JOB_INVOKER": "thread"}
EVENT = WorkerEvent(job_id="j1", idrssd="1", type=JobType.REPORT, params={})


def test_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert settings.invoker == "thread" and settings.thread_workers == 4
    timing = settings.timing()
    assert (timing.lease_seconds, timing.heartbeat_seconds) == (90, 30)
    assert timing.max_event_age_seconds == 2400


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"JOBS_TABLE": ""}, "JOBS_TABLE"),
        ({"JOB_INVOKER": "carrier-pigeon"}, "JOB_INVOKER"),
        ({"THREAD_WORKERS": "many"}, "THREAD_WORKERS"),
        ({"THREAD_WORKERS": "0"}, "THREAD_WORKERS"),
        ({"JOB_LEASE_SECONDS": "-5"}, "JOB_LEASE_SECONDS"),
        ({"JOB_HEARTBEAT_SECONDS": "ten"}, "JOB_HEARTBEAT_SECONDS"),
        ({"JOB_MAX_EVENT_AGE_SECONDS": "0"}, "JOB_MAX_EVENT_AGE_SECONDS"),
        ({"JOB_LEASE_SECONDS": "20", "JOB_HEARTBEAT_SECONDS": "30"}, "shorter than"),
        # ASCII digits only, and a bounded number of them
        ({"STARTS_PER_MINUTE": "²"}, "STARTS_PER_MINUTE"),
        ({"STARTS_PER_MINUTE": "٣"}, "STARTS_PER_MINUTE"),
        ({"STARTS_PER_MINUTE": "\uff15"}, "STARTS_PER_MINUTE"),
        ({"STARTS_PER_MINUTE": "1" * 5_000}, "STARTS_PER_MINUTE"),
        ({"STARTS_PER_MINUTE": " 5"}, "STARTS_PER_MINUTE"),
        ({"THREAD_WORKERS": "٣"}, "THREAD_WORKERS"),
        ({"JOB_LEASE_SECONDS": "9" * 5_000}, "JOB_LEASE_SECONDS"),
        ({"JOB_LEASE_SECONDS": "+90"}, "JOB_LEASE_SECONDS"),
        ({"REPORT_PACE_SECONDS": "٣"}, "REPORT_PACE_SECONDS"),
        ({"REPORT_PACE_SECONDS": "nan"}, "REPORT_PACE_SECONDS"),
        ({"REPORT_PACE_SECONDS": "1e2"}, "REPORT_PACE_SECONDS"),
    ],
)
def test_bad_settings_say_what_to_fix(overrides: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as raised:
        Settings.from_env({**BASE, **overrides})
    assert len(raised.value.message) < 200  # a long value is quoted as an excerpt


def test_whole_number_settings_take_ascii_digits() -> None:
    settings = Settings.from_env({**BASE, "STARTS_PER_MINUTE": "0", "THREAD_WORKERS": "12"})
    assert (settings.starts_per_minute, settings.thread_workers) == (0, 12)
    assert Settings.from_env({**BASE, "REPORT_PACE_SECONDS": "2.5"}).report_pace_seconds == 2.5


def test_lambda_invoker_needs_the_worker_names() -> None:
    settings = Settings.from_env({**BASE, "JOB_INVOKER": "lambda"})  # a worker needs none
    with pytest.raises(ConfigError, match="REPORT_WORKER_FUNCTION"):
        settings.worker_functions()
    named = Settings.from_env(
        {**BASE, "REPORT_WORKER_FUNCTION": "r", "PODCAST_WORKER_FUNCTION": "p"}
    )
    assert named.worker_functions() == {"report": "r", "podcast": "p"}


def test_lambda_invoker_sends_an_event_invoke() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "report-fn",
                "InvocationType": "Event",
                "Payload": json.dumps(EVENT.to_payload()).encode(),
            },
        )
        LambdaInvoker(lambda: client, {JobType.REPORT: "report-fn"}).invoke(EVENT)
        stubber.assert_no_pending_responses()


def test_lambda_invoker_raises_when_lambda_refuses() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
        with pytest.raises(Exception, match="TooManyRequests"):
            LambdaInvoker(lambda: client, {JobType.REPORT: "report-fn"}).invoke(EVENT)


def test_thread_invoker_is_bounded_and_runs_everything() -> None:
    running, peak, done = 0, 0, []
    lock = threading.Lock()
    gate = threading.Event()

    def handler(payload: dict[str, Any]) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        gate.wait(5)
        with lock:
            running -= 1
            done.append(payload["jobId"])

    invoker = ThreadInvoker(handler, max_workers=3)
    for index in range(10):
        invoker.invoke(WorkerEvent(f"j{index}", "1", JobType.REPORT, {}))
    gate.set()
    invoker.wait_idle(timeout=10)
    invoker.shutdown()
    assert sorted(done) == sorted(f"j{index}" for index in range(10))
    assert peak <= 3
