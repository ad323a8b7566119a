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


def by_kind(log: CallLog) -> Counter[str]:
    """``{"dynamodb.UpdateItem": 13, ...}``"""
    return Counter(f"{call.service}.{call.operation}" for call in log.calls)
