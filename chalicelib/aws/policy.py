"""The AWS error policy, in one place: which failures are transient (throttling, a 5xx, a
lost connection), which of them are throttles, and how long to wait before trying again.

A transient failure says nothing about the request: the same call may succeed a moment
later. Routes answer it with 503 ``busy`` and ``Retry-After``; workers skip a best-effort
write, retry a terminal one, or hand the delivery back to Lambda; the AI and speech calls
retry it (``retries``). See docs/ARCHITECTURE.md, "Faults".
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# The service is shedding load: the codes DynamoDB, S3, Bedrock and Polly throttle with.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
# The service failed on its side (the 5xx codes the services name), or two writes met.
SERVER_FAULT_CODES = frozenset(
    {
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "InternalError",
        "ServiceFailureException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
    }
)
TRANSIENT_CODES = THROTTLING_CODES | SERVER_FAULT_CODES
# Cancellation reasons inside a TransactionCanceledException that mean "try again".
TRANSIENT_CANCELLATIONS = frozenset({"ThrottlingError", "TransactionConflict"})
# The call's answer never came: the request may or may not have been applied.
NETWORK_ERRORS: tuple[type[Exception], ...] = (
    ReadTimeoutError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)

# The longest wait between two tries of any call. Ten seconds: the only waits that reach it
# are the worker's terminal writes, which renew the lease between tries only, so one wait
# must stay well under the heartbeat (30 s by default) and the 15 s a run keeps back to
# release its claim; the AI and speech calls (four tries: 2, 4, 8 s) and a batch's
# unprocessed rounds (0.1 … 6.4 s) stop before it.
MAX_BACKOFF_SECONDS = 10.0


def backoff(attempt: int, first: float) -> float:
    """Seconds to wait after failed try ``attempt`` (1, 2, …): ``first``, doubled at each
    try, never more than ``MAX_BACKOFF_SECONDS``."""
    return float(min(first * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


def error_code(exc: BaseException) -> str:
    """The AWS error code of a failed call (``""`` for anything that is not a ``ClientError``)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def cancellations(exc: BaseException) -> list[dict[str, Any]]:
    """A cancelled transaction's reasons, one per write in order (``Code``, and ``Item``
    when the write asked for the old item); ``[]`` for any other failure."""
    if error_code(exc) != "TransactionCanceledException":
        return []
    assert isinstance(exc, ClientError)
    return list(exc.response.get("CancellationReasons") or [])


def describe(exc: BaseException) -> str:
    """A failed call in a line for an operator: ``Code (Message)`` for an AWS error, else
    the exception's own text (or its class, when it has none)."""
    if isinstance(exc, ClientError):
        message = str(exc.response.get("Error", {}).get("Message", ""))
        return f"{error_code(exc) or 'error'} ({message})"
    return str(exc) or type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    """True for throttling, server-side errors and network failures of an AWS call."""
    if isinstance(exc, NETWORK_ERRORS):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code in TRANSIENT_CODES:
        return True
    if code == "TransactionCanceledException":
        return any(reason.get("Code") in TRANSIENT_CANCELLATIONS for reason in cancellations(exc))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return isinstance(status, int) and status >= 500


def is_throttle(exc: BaseException) -> bool:
    """True when AWS refused the call to shed load (a throttle, counted as such)."""
    return error_code(exc) in THROTTLING_CODES


# A table or bucket that is not there: a deployment fault (or a local emulator that was
# reset), not the request's. Routes answer it with 503 and a sentence, never a 500.
MISSING_RESOURCE_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket"})


def is_missing_resource(exc: BaseException) -> bool:
    """True when an AWS call failed because its table or bucket does not exist."""
    return isinstance(exc, ClientError) and error_code(exc) in MISSING_RESOURCE_CODES
