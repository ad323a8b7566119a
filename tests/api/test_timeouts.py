"""Polls that answer: the API's AWS clients give up within about a second (and one retry),
so that a poll answers 200, or 503 ``busy`` with ``Retry-After``, within about 3 s however
long the datastore stalls; the workers' clients keep their patience.

The datastore here is the local stack's emulator (moto's server on loopback, as
``make run`` starts it), stalled from outside for 10 s: the clients meet real read
timeouts over real sockets, as they would against a DynamoDB that does not answer."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.runtime import API_CONFIG, WORKER_CONFIG, Runtime
from devstack.emulator import Emulator
from devstack.resources import create_all
from tests.api_support import settings_for_tests
from tests.conftest import NAMES, REGION
from tests.e2e.local_stack import free_port
from tests.fakes import FakeClock, RecordingInvoker, put_bank

BANK = "9900001"
POLL = f"/api/research/{BANK}/job-status?type=report"
DYNAMODB = "DynamoDB_20120810"
# What "about 3 s" allows: two tries of a second each, botocore's backoff between them (up
# to a second) and the request's own handling on a machine that may be busy.
ANSWERS_WITHIN = 3.5


@dataclass
class Stalled:
    client: Client
    emulator: Emulator
    runtime: Runtime


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stalled]:
    emulator = Emulator(free_port())
    endpoint = emulator.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    # moto's backends live in the process: start from nothing, as a fresh stack does.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    try:
        create_all(
            boto3.client("dynamodb", region_name=REGION),
            boto3.client("s3", region_name=REGION),
            NAMES,
        )
        banks = boto3.resource("dynamodb", region_name=REGION).Table(NAMES.banks_table)
        put_bank(banks, BANK)
        built = Runtime(
            settings_for_tests(), clock=FakeClock(), invoker=lambda _: RecordingInvoker()
        )
        built.jobs  # noqa: B018 - its clients are made now, against the emulator
        runtime.install(built)
        with Client(app, stage_name="local") as client:
            yield Stalled(client, emulator, built)
    finally:
        runtime.install(None)
        emulator.stalls.release()
        emulator.stop()


def timed_poll(stack: Stalled) -> tuple[float, int, dict[str, str], dict[str, Any]]:
    began = time.monotonic()
    response = stack.client.http.get(POLL)
    took = time.monotonic() - began
    return took, response.status_code, dict(response.headers), json.loads(response.body)


def test_a_poll_answers_busy_within_about_three_seconds_while_the_datastore_stalls(
    stack: Stalled,
) -> None:
    assert stack.client.http.post(f"/api/research/{BANK}/generate-background").status_code == 202
    stack.emulator.stalls.stall(DYNAMODB, 10)  # the datastore stops answering for 10 s
    took, status, headers, body = timed_poll(stack)
    assert status == 503 and body["code"] == "busy", body
    assert int(headers["Retry-After"]) > 0
    assert took < ANSWERS_WITHIN, took
    stack.emulator.stalls.release()
    took, status, _, body = timed_poll(stack)
    assert status == 200 and body["job"]["status"] == "pending", body


def test_a_slow_answer_within_the_timeout_is_still_an_answer(stack: Stalled) -> None:
    stack.emulator.stalls.stall(f"{DYNAMODB}.GetItem", 0.4)
    _, status, _, body = timed_poll(stack)
    assert status == 200 and body == {"hasJob": False}


def test_the_api_gives_up_quickly_and_the_workers_do_not() -> None:
    """The budgets themselves: the API's clients wait a second for an answer and try twice;
    the workers' wait 20 s and try five times (a worker has minutes, a person does not)."""
    assert (API_CONFIG.connect_timeout, API_CONFIG.read_timeout) == (1, 1)
    assert API_CONFIG.retries == {"mode": "standard", "total_max_attempts": 2}
    assert WORKER_CONFIG.read_timeout == 20
    assert WORKER_CONFIG.retries == {"mode": "standard", "total_max_attempts": 5}
    built = Runtime(settings_for_tests(), clock=FakeClock())
    assert built.store is not built.worker.store
    assert built.jobs_table.meta.client.meta.config.read_timeout == 1
    assert built.worker.jobs_table.meta.client.meta.config.read_timeout == 20
    assert built.runner  # the runner writes through the worker's side
    assert built.runner._store is built.worker.store
