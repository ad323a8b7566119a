"""The API's answers when all went well: JSON, pages of jobs, conditional GETs (errors are
``boundary``'s)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice import Response

from chalicelib.health import Health
from chalicelib.jobs.cursor import Cursor
from chalicelib.jobs.cursor import encode as encode_cursor
from chalicelib.jobs.model import Caller, Job, JobType

RETRY_AFTER_SECONDS = 2


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


READY_RETRY_SECONDS = 2


def health_response(health: Health) -> Response:
    """200 when ready; 503 with ``Retry-After`` before (nothing wrong with the request)."""
    if health.ready:
        return json_response(health.to_api(), headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store", "Retry-After": str(READY_RETRY_SECONDS)}
    return json_response(health.to_api(), 503, headers)


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
