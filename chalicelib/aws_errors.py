"""Which AWS failures are transient (throttling, a 5xx, a lost connection), in one place.

A transient failure says nothing about the request: the same call may succeed a moment
later. Routes answer it with 503 ``busy`` and ``Retry-After``; workers skip a best-effort
write, retry a terminal one, or hand the delivery back to Lambda (docs/ARCHITECTURE.md,
"Faults").
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "TransactionConflictException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# Cancellation reasons inside a TransactionCanceledException that mean "try again".
TRANSIENT_CANCELLATIONS = frozenset({"ThrottlingError", "TransactionConflict"})
NETWORK_ERRORS: tuple[type[Exception], ...] = (
    ReadTimeoutError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_transient(exc: BaseException) -> bool:
    """True for throttling, server-side errors and network failures of an AWS call."""
    if isinstance(exc, NETWORK_ERRORS):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code in THROTTLING_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        return any(reason.get("Code") in TRANSIENT_CANCELLATIONS for reason in reasons)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return isinstance(status, int) and status >= 500


MISSING_RESOURCE_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket"})


def is_missing_resource(exc: BaseException) -> bool:
    """True when the table, bucket or queue named does not exist (yet)."""
    return isinstance(exc, ClientError) and error_code(exc) in MISSING_RESOURCE_CODES
