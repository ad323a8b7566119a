"""JSON responses, error bodies and conditional GETs, independent of the routes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice import Response

from chalicelib import errors
from chalicelib.banks import errors as bank_errors
from chalicelib.batches import errors as batch_errors
from chalicelib.health import Health
from chalicelib.http_edge import error_body
from chalicelib.jobs.cursor import Cursor
from chalicelib.jobs.cursor import encode as encode_cursor
from chalicelib.jobs.errors import NoActiveJob, NotYourJob, StartLimited, WorkerUnavailable
from chalicelib.jobs.model import Caller, Job, JobType
from chalicelib.podcasts.errors import NoPodcast, ReportRequired
from chalicelib.reports.errors import NoReport

RETRY_AFTER_SECONDS = 2

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
    batch_errors.NoBanksSelected: 422,
    batch_errors.NotYourBatch: 403,
    batch_errors.AdminsOnly: 403,
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    detail: str | None = None,
) -> Response:
    """The API's error shape (``http_edge.error_body``) as a JSON response."""
    return json_response(error_body(code, message, detail), status, headers)


BUSY_SECONDS = 5
BUSY_MESSAGE = "The service is busy right now. Please try again in a few seconds."


def busy_response() -> Response:
    """503 for throttling or a server error downstream: nothing was wrong with the request."""
    return error_response(503, "busy", BUSY_MESSAGE, {"Retry-After": str(BUSY_SECONDS)})


UNAVAILABLE_SECONDS = 30
UNAVAILABLE = errors.UNAVAILABLE_MESSAGE


def unavailable_response() -> Response:
    """503 when a table or bucket is missing: the service is broken, not the request."""
    return error_response(
        503,
        "unavailable",
        UNAVAILABLE,
        {"Retry-After": str(UNAVAILABLE_SECONDS)},
        detail="A table or bucket the service uses does not exist (a reset emulator, or a "
        "stack that lost a resource); the service log names it.",
    )


READY_RETRY_SECONDS = 2


def health_response(health: Health) -> Response:
    """200 when ready; 503 with ``Retry-After`` before (nothing wrong with the request)."""
    if health.ready:
        return json_response(health.to_api(), headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store", "Retry-After": str(READY_RETRY_SECONDS)}
    return json_response(health.to_api(), 503, headers)


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


def redirect_response(location: str) -> Response:
    """A 302 to a short-lived link: never cached, since the link expires."""
    return Response(
        body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store"}
    )


def status_location(idrssd: str, job_type: JobType) -> str:
    return f"/api/research/{idrssd}/job-status?type={job_type}"


def start_response(job: Job, created: bool) -> Response:
    return json_response(
        {"created": created, "hasJob": True, "job": job.to_api()},
        202 if created else 200,
        {
            "Location": status_location(job.idrssd, job.type),
            "Retry-After": str(RETRY_AFTER_SECONDS),
        },
    )


def recent_response(
    jobs: list[Job], following: Cursor | None, counts: dict[str, Any], caller: Caller
) -> Response:
    """A page of the overview; ``nextCursor`` fetches the next one (``null``: no more);
    ``counts`` are of every job the page read; ``you`` is who asks (to tell their jobs)."""
    body = {
        "jobs": [job.to_api() for job in jobs],
        "count": len(jobs),
        "nextCursor": None if following is None else encode_cursor(following),
        "counts": counts,
        "you": {"startedBy": caller.identity, "admin": caller.admin},
    }
    return json_response(body, headers={"Cache-Control": "no-store"})


def listing_response(kind: str, entries: list[dict[str, Any]]) -> Response:
    """A bank's research library of one kind, newest first."""
    return json_response({kind: entries, "count": len(entries)})


def job_status_response(job: Job | None, if_none_match: str | None) -> Response:
    """``{"hasJob": ...}`` with an ETag; 304 when the client already has this version."""
    body: dict[str, Any] = (
        {"hasJob": False} if job is None else {"hasJob": True, "job": job.to_api()}
    )
    encoded = json.dumps(body, separators=(",", ":"), sort_keys=True)
    etag = '"' + hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:32] + '"'
    headers: dict[str, str | list[str]] = {"Cache-Control": "no-store", "ETag": etag}
    if job is not None and job.active:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(
        body=encoded,
        status_code=200,
        headers={"Content-Type": "application/json", **headers},
    )


def _etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag for tag in candidates)
