"""What every route shares at the HTTP edge, applied once to the whole app.

- **Any content type is accepted.** Chalice refuses a request whose ``Content-Type`` a
  route does not list with its own 415 ``{"Code", "Message"}``; here every route takes
  ``*/*`` and a route that reads a body decides what it can read (``read_json_object``):
  an empty body is ``{}`` under any type (an empty multipart form too), JSON is read as
  JSON, and anything else is the API's own 415.
- **No CORS unless configured.** ``CORS_ORIGINS`` names the one other origin whose pages
  may call the API (read at import, as ``API_AUTH`` is: Chalice writes CORS into the API
  definition then). Unset or empty: no route answers cross-origin requests.
- **One error shape.** Whatever Chalice answers by itself (a wrong method's 405, an
  unhandled exception's 500) is rewritten as ``{"error", "code"}`` with a sentence.

``finish_routes(app)`` applies all three; ``app.py`` calls it after its last route.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Chalice, CORSConfig, Response
from chalice.app import Request

from chalicelib.errors import INTERNAL_ERROR_MESSAGE, ConfigError, UnsupportedMediaType
from chalicelib.logs import log
from chalicelib.validation import excerpt, parse_json_object

ANY_CONTENT_TYPE = ["*/*"]
# Bodies read as JSON: JSON itself, and what clients label an unlabelled string or an empty
# form with (fetch sends text/plain; axios and curl -d send form-urlencoded).
JSON_READABLE = frozenset(
    {"", "application/json", "text/plain", "application/x-www-form-urlencoded"}
)
CORS_MAX_AGE_SECONDS = 600
# What a cross-origin page may send and read beyond Chalice's defaults (Content-Type,
# Authorization, X-Api-Key…): conditional polls, and the headers that pace them.
CORS_ALLOW_HEADERS = ("If-None-Match",)
CORS_EXPOSE_HEADERS = ("ETag", "Retry-After", "Location")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")

INTERNAL_ERROR = INTERNAL_ERROR_MESSAGE


def finish_routes(app: Chalice, env: Mapping[str, str] | None = None) -> None:
    """Every route takes any content type and the configured CORS (or none); Chalice's own
    error answers are reshaped. Call it once, after the last route is declared."""
    cors = cors_config(env)
    for methods in app.routes.values():
        for entry in methods.values():
            entry.content_types = list(ANY_CONTENT_TYPE)
            entry.cors = cors  # type: ignore[assignment]  # None: no CORS
    app.register_middleware(one_error_shape, "http")


# CORS --------------------------------------------------------------------------------------


def cors_origins(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if env is None else env
    return tuple(part.strip() for part in env.get("CORS_ORIGINS", "").split(",") if part.strip())


def cors_config(env: Mapping[str, str] | None = None) -> CORSConfig | None:
    """The CORS answer for the configured origin, or ``None`` (no CORS) when none is."""
    origins = cors_origins(env)
    if not origins:
        return None
    if len(origins) > 1:
        # API Gateway answers a preflight from the API definition with one fixed
        # Access-Control-Allow-Origin: it cannot choose among several origins per request.
        raise ConfigError(
            "CORS_ORIGINS can name one origin only (API Gateway answers CORS preflight "
            f"requests with one fixed origin), not {len(origins)}: {', '.join(origins)}."
        )
    (origin,) = origins
    if not _ORIGIN.match(origin):
        raise ConfigError(
            f"CORS_ORIGINS '{excerpt(origin)}' is not an origin: give a scheme, host and "
            "optional port with no path, such as https://research.example.com."
        )
    return CORSConfig(
        allow_origin=origin,
        allow_headers=list(CORS_ALLOW_HEADERS),
        expose_headers=list(CORS_EXPOSE_HEADERS),
        max_age=CORS_MAX_AGE_SECONDS,
    )


# Bodies ------------------------------------------------------------------------------------


def read_json_object(raw: bytes | None, content_type: str | None) -> dict[str, Any]:
    """The body as a JSON object; ``{}`` when it is empty, whatever its type.

    An empty multipart form (``new FormData()``, or a form with no fields) is empty too.
    A non-empty body of a type that is not read as JSON is refused with a 415.
    """
    media, parameters = media_type(content_type)
    if media in JSON_READABLE or media.endswith("+json"):
        return parse_json_object(raw)
    if media == "multipart/form-data" and _no_parts(raw, parameters.get("boundary", "")):
        return {}
    if raw is None or not raw.strip():
        return parse_json_object(raw)  # {}, or too large
    raise UnsupportedMediaType(
        "The request's body is in a form this service cannot read.",
        detail=f"A body of type {excerpt(media)} cannot be read here: send JSON with "
        "Content-Type: application/json, or no body at all.",
    )


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``("multipart/form-data", {"boundary": "x"})`` from a Content-Type header."""
    media, *rest = (content_type or "").split(";")
    parameters = {}
    for part in rest:
        name, _, value = part.partition("=")
        parameters[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), parameters


def _no_parts(raw: bytes | None, boundary: str) -> bool:
    """Whether a multipart body holds no part: nothing, or only the closing delimiter."""
    body = (raw or b"").strip()
    return not body or (bool(boundary) and body == b"--" + boundary.encode() + b"--")


# Chalice's own answers -----------------------------------------------------------------------


def one_error_shape(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: Chalice's ``{"Code", "Message"}`` answers in the API's shape."""
    try:
        response = get_response(request)
    except Exception:
        log(logging.ERROR, "unhandled error outside a route", exc_info=True)
        return _error(500, "internal_error", INTERNAL_ERROR, None, {})
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
        return _error(
            405,
            "method_not_allowed",
            "This address does not take that kind of request.",
            f"{method} is not allowed on this route; use {allowed or 'another method'}.",
            headers,
        )
    if status >= 500:
        return _error(status, "internal_error", INTERNAL_ERROR, None, headers)
    return _error(
        status,
        _snake(str(body["Code"])),
        "The request could not be handled as it was sent.",
        "Check the address, the method and the headers.",
        headers,
    )


def error_body(code: str, sentence: str, detail: str | None = None) -> dict[str, str]:
    """The API's one error shape: ``{"error", "code"}`` always; ``detail`` (for API clients
    and operators: a route to call, a command) only when there is one. The page shows
    ``error`` and never ``detail``."""
    return {"error": sentence, "code": code, **({"detail": detail} if detail else {})}


def _error(
    status: int, code: str, sentence: str, detail: str | None, headers: dict[str, Any]
) -> Response:
    body = error_body(code, sentence, detail)
    return Response(
        body=body, status_code=status, headers={**headers, "Content-Type": "application/json"}
    )


def _snake(name: str) -> str:
    """``UnsupportedMediaType`` → ``unsupported_media_type`` (``…Error`` dropped)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name.removesuffix("Error"))
    return "_".join(word.lower() for word in words) or "bad_request"
