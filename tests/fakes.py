"""Test doubles and helpers shared by the tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import Stubber

from chalicelib.banks.records import Profile, ProfileView, QuarterRecord
from chalicelib.banks.table import BanksTable
from chalicelib.jobs.model import WorkerEvent
from chalicelib.jobs.worker import Delivery
from devstack.aws_calls import Call as Call
from devstack.aws_calls import CallLog as CallLog
from devstack.aws_calls import counting_calls as counting_calls
from devstack.aws_calls import counting_client_calls as counting_client_calls

T0 = 1_790_000_000.0  # a fixed moment in 2026, so that tests never depend on the date


class FakeClock:
    """A clock that moves only when told; safe to share between threads."""

    def __init__(self, start: float = T0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def delivery(clock: FakeClock, remaining_ms: float = 900_000) -> Delivery:
    """One worker execution as Lambda would start it: a fresh request id and a deadline."""
    return Delivery.starting(f"request-{uuid.uuid4()}", remaining_ms, clock)


class RecordingInvoker:
    """Keeps the events it is given; a test decides when (and whether) a worker runs."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.events: list[WorkerEvent] = []
        self._fail_with = fail_with
        self._lock = threading.Lock()

    def invoke(self, event: WorkerEvent) -> None:
        if self._fail_with is not None:
            raise self._fail_with
        with self._lock:
            self.events.append(event)


def put_bank(
    table: Any, idrssd: str, name: str = "Test Bank (SYNTHETIC)", quarters: int = 2
) -> None:
    """A bank profile with ``quarters`` quarters of (minimal) figures; none makes it a bank
    known by name only. Written through the Banks-table adapter, as the importer writes."""
    banks = BanksTable(table)
    records = [
        QuarterRecord(idrssd, f"2024{index * 3 + 3:02d}30", {"totalAssets": 1_000_000 + index})
        for index in range(quarters)
    ]
    latest = records[-1] if records else None
    view = ProfileView(latest.figures, {}, []) if latest else None
    with banks.batch() as batch:
        for record in records:
            batch.put_quarter(record)
        batch.put_profile(
            Profile(idrssd, name, latest_quarter=latest.quarter if latest else None, view=view)
        )


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (for threads finishing real work)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def converse_answer(text: str, stop: str = "end_turn") -> dict[str, Any]:
    """A Bedrock Converse response for botocore's Stubber (moto has no Converse)."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 10, "outputTokens": 10, "totalTokens": 20},
        "metrics": {"latencyMs": 5},
    }


@contextmanager
def stubbed_bedrock() -> Iterator[tuple[Any, Stubber]]:
    """A bedrock-runtime client whose answers a test queues with ``Stubber``."""
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
