"""Test doubles and helpers shared by the tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from chalicelib.jobs.model import WorkerEvent

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
    """A bank profile with ``quarters`` quarters of (minimal) figures."""
    table.put_item(Item={"pk": f"BANK#{idrssd}", "sk": "PROFILE", "name": name})
    for index in range(quarters):
        table.put_item(
            Item={
                "pk": f"BANK#{idrssd}",
                "sk": f"Q#2024{index * 3 + 3:02d}30",
                "totalAssets": 1_000_000 + index,
            }
        )


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def count(self, operation: str) -> int:
        return sum(1 for call in self.calls if call.operation == operation)

    def clear(self) -> None:
        self.calls.clear()


@contextmanager
def counting_calls(session: boto3.session.Session) -> Iterator[CallLog]:
    """Record every AWS API call made through ``session``'s clients (botocore events)."""
    log = CallLog()
    lock = threading.Lock()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        with lock:
            log.calls.append(Call(model.service_model.service_name, model.name, dict(params)))

    session.events.register("before-parameter-build", record)
    try:
        yield log
    finally:
        session.events.unregister("before-parameter-build", record)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (for threads finishing real work)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
