"""One retry policy for the AI and speech services: explicit, with backoff, testable.

botocore's own retries are turned off for these clients (see ``runtime``), so that the
policy is in one place and a test with botocore's ``Stubber`` exercises it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

T = TypeVar("T")

TRANSIENT: tuple[type[Exception], ...] = (
    ReadTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)
MAX_BACKOFF_SECONDS = 20.0


def backoff(attempt: int) -> float:
    """2, 4, 8, 16, 20, 20 … seconds after attempt 1, 2, 3 …"""
    return min(2.0**attempt, MAX_BACKOFF_SECONDS)


def with_retries(
    call: Callable[[], T],
    *,
    retryable: frozenset[str],
    attempts: int,
    sleep: Callable[[float], None],
    refused: Callable[[str], Exception],
    unreachable: Callable[[], Exception],
) -> T:
    """Run ``call``; retry error codes in ``retryable`` and transient network errors.

    When it gives up it raises ``refused(code)`` for a service error and ``unreachable()``
    for a network one: the caller's domain errors, each with a sentence.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in retryable or attempt == attempts:
                raise refused(code) from exc
        except TRANSIENT as exc:
            if attempt == attempts:
                raise unreachable() from exc
        sleep(backoff(attempt))
    raise AssertionError("attempts must be at least 1")
