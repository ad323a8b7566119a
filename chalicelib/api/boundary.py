"""The HTTP edge's one error boundary: how any failure becomes an answer, and the one error
body every answer has.

``answer_failure`` maps an exception to its response: a domain error to its status and
sentence, a transient AWS failure to 503 ``busy``, a missing table or bucket to 503
``unavailable``, anything else to 500 with ``INTERNAL_ERROR_MESSAGE`` (the details go to
the log, never to the client). ``finish_routes`` (``edge``) wraps every route in it
(``guarded``); ``one_error_shape`` reshapes what Chalice answers by itself (a wrong
method's 405) and hands it what escapes everything else.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import errors
from chalicelib.aws.policy import is_missing_resource, is_transient
from chalicelib.banks import errors as bank_errors
from chalicelib.batches import errors as batch_errors
from chalicelib.errors import INTERNAL_ERROR_MESSAGE, ConfigError, DomainError
from chalicelib.jobs.errors import NoActiveJob, NotYourJob, StartLimited, WorkerUnavailable
from chalicelib.logs import log
from chalicelib.podcasts.errors import NoPodcast, ReportRequired
from chalicelib.reports.errors import NoReport

# Which status each domain error answers with; anything unlisted is a server fault.
STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.UnsupportedMediaType: 415,
    errors.InvalidInput: 400,
    bank_errors.InvalidQuery: 400,
    bank_errors.BankNotFound: 404,
    NoActiveJob: 404,
    NotYourJob: 403,
    StartLimited: 429,
    NoReport: 404,
    NoPodcast: 404,
    bank_errors.NoBankData: 409,
    ReportRequired: 409,
    WorkerUnavailable: 503,
    batch_errors.BatchNotFound: 404,
    batch_errors.BatchRefused: 409,
    batch_errors.NoBanksSelected: 409,
    batch_errors.NotYourBatch: 403,
    batch_errors.AdminsOnly: 403,
}

BUSY_SECONDS = 5
BUSY_MESSAGE = "The service is busy right now. Please try again in a few seconds."
UNAVAILABLE_SECONDS = 30


def error_body(code: str, sentence: str, detail: str | None = None) -> dict[str, str]:
    """The API's one error shape: ``{"error", "code"}`` always; ``detail`` (for API clients
    and operators: a route to call, a command) only when there is one. The page shows
    ``error`` and never ``detail``."""
    return {"error": sentence, "code": code, **({"detail": detail} if detail else {})}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, Any] | None = None,
    detail: str | None = None,
) -> Response:
    """The API's error shape as a JSON response."""
    return Response(
        body=error_body(code, message, detail),
        status_code=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def internal_error_response(headers: Mapping[str, Any] | None = None) -> Response:
    """500 with the one sentence for anything unexpected."""
    return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE, headers)


def busy_response() -> Response:
    """503 for throttling or a server error downstream: nothing was wrong with the request."""
    return error_response(503, "busy", BUSY_MESSAGE, {"Retry-After": str(BUSY_SECONDS)})


def unavailable_response() -> Response:
    """503 when a table or bucket is missing: the service is broken, not the request."""
    return error_response(
        503,
        "unavailable",
        errors.UNAVAILABLE_MESSAGE,
        {"Retry-After": str(UNAVAILABLE_SECONDS)},
        detail="A table or bucket the service uses does not exist (a reset emulator, or a "
        "stack that lost a resource); the service log names it.",
    )


def domain_error_response(error: errors.DomainError) -> Response | None:
    """The response for an expected error, or ``None`` when the error is not a client's."""
    for error_type in type(error).__mro__:
        status = STATUS_BY_ERROR.get(error_type)  # type: ignore[call-overload]
        if status is not None:
            headers = _retry_after(error, status)
            return error_response(status, error.code, error.message, headers, error.detail)
    return None


def _retry_after(error: errors.DomainError, status: int) -> dict[str, str] | None:
    if isinstance(error, StartLimited):
        return {"Retry-After": str(error.retry_after)}
    return {"Retry-After": str(BUSY_SECONDS)} if status == 503 else None


def answer_failure(exc: Exception, path: str = "") -> Response:
    """The answer to a failure: never a stack trace, never a 500 for the client's mistake."""
    if isinstance(exc, ConfigError):
        log(logging.ERROR, "configuration error", error=exc.message)
        return error_response(500, exc.code, INTERNAL_ERROR_MESSAGE)
    if isinstance(exc, DomainError):
        response = domain_error_response(exc)
        if response is not None:
            return response
        log(logging.ERROR, "unmapped domain error", exc_info=True)
        return internal_error_response()
    if is_transient(exc):
        log(logging.WARNING, "busy downstream", path=path, error=type(exc).__name__)
        return busy_response()
    if is_missing_resource(exc):
        log(logging.ERROR, "a table or bucket is missing", path=path, error=str(exc))
        return unavailable_response()
    log(logging.ERROR, "unhandled error", exc_info=True, path=path)
    return internal_error_response()


def guarded(view: Callable[..., Any], path: Callable[[], str]) -> Callable[..., Any]:
    """``view``, with whatever it raises answered by ``answer_failure`` (``path`` names the
    request in the log)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            return answer_failure(exc, path())

    return wrapper


def one_error_shape(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: Chalice's ``{"Code", "Message"}`` answers in the API's shape."""
    try:
        response = get_response(request)
    except Exception as exc:
        return answer_failure(exc, "outside a route")
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in {"content-type", "content-length"}
    }
    status = response.status_code
    if status == 405:
        allowed = str(headers.get("Allow", "")).replace(", ", " or ")
        method = request.method if request is not None else "This method"
        return error_response(
            405,
            "method_not_allowed",
            "This address does not take that kind of request.",
            headers,
            f"{method} is not allowed on this route; use {allowed or 'another method'}.",
        )
    if status >= 500:
        return internal_error_response(headers)
    return error_response(
        status,
        _snake(str(body["Code"])),
        "The request could not be handled as it was sent.",
        headers,
        "Check the address, the method and the headers.",
    )


def _snake(name: str) -> str:
    """``UnsupportedMediaType`` → ``unsupported_media_type`` (``…Error`` dropped)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name.removesuffix("Error"))
    return "_".join(word.lower() for word in words) or "bad_request"
