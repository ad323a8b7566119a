"""Routes serving the page and its assets, as a blueprint registered by ``app.py``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
# The page loads nothing from elsewhere; the policy makes that a rule the browser enforces.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self' http: https:; "
        "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

web = Blueprint(__name__)


@cache
def asset(name: str) -> tuple[str, str] | None:
    """An asset's text and content type, read once per process; None if there is none."""
    path = STATIC / name
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None or path.parent != STATIC or not path.is_file():
        return None
    return path.read_text(encoding="utf-8"), content_type


def _serve(name: str, max_age: int) -> Response:
    found = asset(name)
    if found is None:
        return Response(
            body='{"error":"There is no such file.","code":"not_found"}',
            status_code=404,
            headers={"Content-Type": "application/json"},
        )
    body, content_type = found
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": f"public, max-age={max_age}",
            **SECURITY_HEADERS,
        },
    )


@web.route("/", methods=["GET"])
def index() -> Response:
    return _serve("index.html", max_age=0)


@web.route("/assets/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    return _serve(name, max_age=300)
