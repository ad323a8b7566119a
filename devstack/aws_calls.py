"""Counting AWS calls per operation through botocore's events (tests and benchmarks)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3


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
    """Record every AWS API call made through ``session``'s clients created after this
    starts (botocore copies a session's events into each client it creates)."""
    with _counting(session.events) as log:
        yield log


@contextmanager
def counting_client_calls(client: Any) -> Iterator[CallLog]:
    """Record every AWS API call made through one existing client."""
    with _counting(client.meta.events) as log:
        yield log


@contextmanager
def _counting(events: Any) -> Iterator[CallLog]:
    log = CallLog()
    lock = threading.Lock()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        with lock:
            log.calls.append(Call(model.service_model.service_name, model.name, dict(params)))

    events.register("before-parameter-build", record)
    try:
        yield log
    finally:
        events.unregister("before-parameter-build", record)


def by_kind(log: CallLog) -> Counter[str]:
    """``{"dynamodb.UpdateItem": 13, ...}``"""
    return Counter(f"{call.service}.{call.operation}" for call in log.calls)
