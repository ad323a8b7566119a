"""One retry loop for the AI and speech services: explicit, with backoff, testable.

botocore's own retries are turned off for these clients (see ``runtime``), so that the
policy is in one place and a test with botocore's ``Stubber`` exercises it. What is worth
another try and how long to wait are the project's one AWS error policy (``policy``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

from chalicelib.aws.policy import (
    NETWORK_ERRORS,
    THROTTLING_CODES,
    TRANSIENT_CODES,
    backoff,
    error_code,
)

T = TypeVar("T")

FIRST_BACKOFF_SECONDS = 2.0
"""The first wait: a throttled model or voice needs seconds, not milliseconds (2, 4, 8 …)."""


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int,
    sleep: Callable[[float], None],
    refused: Callable[[str], Exception],
    unreachable: Callable[[], Exception],
    retryable: frozenset[str] = TRANSIENT_CODES,
    patience_seconds: float = 0.0,
) -> T:
    """Run ``call``; retry error codes in ``retryable`` and network errors.

    Throttling is waited out for up to ``patience_seconds`` without counting as an attempt
    (a busy model is not a failing one: a job waits rather than fails); past that, and for
    every other retryable error, ``attempts`` bound the tries. When it gives up it raises
    ``refused(code)`` for a service error and ``unreachable()`` for a network one: the
    caller's domain errors, each with a sentence.
    """
    attempt, failures, waited = 1, 0, 0.0
    while True:
        try:
            return call()
        except ClientError as exc:
            failures += 1
            code = error_code(exc)
            if code in THROTTLING_CODES and code in retryable and waited < patience_seconds:
                wait = min(backoff(failures, FIRST_BACKOFF_SECONDS), patience_seconds - waited)
                sleep(wait)
                waited += wait
                continue
            if code not in retryable or attempt >= attempts:
                raise refused(code) from exc
        except NETWORK_ERRORS as exc:
            failures += 1
            if attempt >= attempts:
                raise unreachable() from exc
        sleep(backoff(failures, FIRST_BACKOFF_SECONDS))
        attempt += 1
