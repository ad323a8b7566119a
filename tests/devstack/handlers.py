"""Tiny handlers the local Lambda tests run in worker processes (never the app's)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def echo(event: Any, context: Any) -> dict[str, Any]:
    """What the handler saw: the event and its context."""
    return {
        "event": event,
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "remainingMs": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
    }


def fail(event: Any, context: Any) -> None:
    raise ValueError(f"cannot handle {event!r}")


def _calls(event: dict[str, Any]) -> int:
    """How many times this event's counter file has been seen (this call included)."""
    counter = Path(event["counter"])
    with counter.open("a", encoding="utf-8") as handle:
        handle.write("x")
    return len(counter.read_text(encoding="utf-8"))


def fail_until(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Raises until its ``succeedOn``-th call."""
    calls = _calls(event)
    if calls < event["succeedOn"]:
        raise RuntimeError(f"call {calls} fails")
    return {"calls": calls}


def slow_first(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Its first call runs for ``seconds`` (past a short timeout, or long enough for a test
    to kill it); later calls return at once."""
    calls = _calls(event)
    if calls == 1:
        time.sleep(event["seconds"])  # the long-running handler under test
    return {"calls": calls}


def exit_hard(event: Any, context: Any) -> None:
    os._exit(3)


def unmarshallable(event: Any, context: Any) -> object:
    return object()


def nap(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Sleeps ``seconds`` (default 2), then answers its pid."""
    time.sleep(float(event.get("seconds", 2)))
    return {"pid": os.getpid()}


def hand_back_some(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An SQS consumer reporting a partial batch failure: the records whose body says
    ``"again"`` are handed back; it naps ``seconds`` first (to be seen running at once)."""
    import json

    records = event["Records"]
    time.sleep(max(float(json.loads(r["body"]).get("seconds", 0)) for r in records))
    again = [r["messageId"] for r in records if json.loads(r["body"]).get("again")]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in again]}
