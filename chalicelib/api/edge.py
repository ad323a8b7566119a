"""What every route shares at the HTTP edge, applied once to the whole app.

- **Any content type is accepted.** Chalice refuses a request whose ``Content-Type`` a
  route does not list with its own 415 ``{"Code", "Message"}``; here every route takes
  ``*/*`` and a route that reads a body decides what it can read (``read_json_object``):
  an empty body is ``{}`` under any type (an empty multipart form too), JSON is read as
  JSON, and anything else is the API's own 415.
- **No CORS unless configured.** ``CORS_ORIGINS`` names the one other origin whose pages
  may call the API (read at import, as ``API_AUTH`` is: Chalice writes CORS into the API
  definition then). Unset or empty: no route answers cross-origin requests.
- **One error boundary.** Every route's failures are answered by ``boundary`` (a domain
  error's status and sentence, 503 for a busy or missing resource, else 500), and whatever
  Chalice answers by itself (a wrong method's 405) is rewritten as ``{"error", "code"}``.

``finish_routes(app)`` applies all three; ``app.py`` calls it after its last route.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from chalice import Chalice, CORSConfig

from chalicelib.api.boundary import guarded, one_error_shape
from chalicelib.api.validation import parse_json_object
from chalicelib.errors import ConfigError, UnsupportedMediaType, excerpt

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


def finish_routes(app: Chalice, env: Mapping[str, str] | None = None) -> None:
    """Every route takes any content type and the configured CORS (or none); Chalice's own
    error answers are reshaped. Call it once, after the last route is declared."""
    cors = cors_config(env)

    def path() -> str:
        request = app.current_request
        return request.context.get("path", "") if request is not None else ""

    for methods in app.routes.values():
        for entry in methods.values():
            entry.content_types = list(ANY_CONTENT_TYPE)
            entry.cors = cors  # type: ignore[assignment]  # None: no CORS
            entry.view_function = guarded(entry.view_function, path)
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
