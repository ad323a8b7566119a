"""Routes serving the page and its assets, as a blueprint registered by ``app.py``.

Caching: the page (``GET /``) is revalidated on every load (``no-cache`` with an ``ETag``,
304 when unchanged) and names its assets with a version, the content hash of all of them
(``assets/app.{version}.js``), so that those URLs can be cached for a year: a new
deployment changes the version and with it every URL. The page's scripts are ES modules
importing each other by relative paths; a versioned module's imports are served with the
same version, so that one page load never mixes two deployments' modules. Plain and
outdated asset URLs are still answered, but revalidated (``no-cache``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib import runtime
from chalicelib.api.auth import auth_mode, cognito_endpoint
from chalicelib.jobs import failures
from chalicelib.logs import log

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


# The page loads nothing from elsewhere but the podcast's audio (a presigned link to the
# artifacts bucket, whose origin is named) and, with sign-in, talks to nothing but Cognito;
# no inline script or style is allowed, and no other site may frame it.
def content_security_policy(artifacts_origin: str, sign_in_origin: str | None) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"media-src 'self' {artifacts_origin}".strip(),
            "connect-src 'self'" + (f" {sign_in_origin}" if sign_in_origin else ""),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


OTHER_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def sign_in_origin(env: Mapping[str, str]) -> str | None:
    """Where the page signs people in (Cognito's endpoint), with sign-in on."""
    return _origin(cognito_endpoint(env)) if auth_mode(env) == "cognito" else None


def security_headers() -> dict[str, str]:
    """The headers of every page answer, the policy naming this deployment's origins."""
    env = os.environ
    key = (env.get("ARTIFACTS_BUCKET", ""), env.get("AWS_ENDPOINT_URL", ""), SIGN_IN_ORIGIN)
    return {"Content-Security-Policy": _policy(*key), **OTHER_SECURITY_HEADERS}


@cache
def _policy(bucket: str, endpoint: str, sign_in: str | None) -> str:
    """Worked out once per deployment: the origin of the links the API signs for the
    bucket (``bucket`` and ``endpoint`` key the cache), and Cognito's."""
    return content_security_policy(artifacts_origin(), sign_in)


def artifacts_origin() -> str:
    """Where presigned audio links point: read off a link signed as the API signs them
    (signing is local, no AWS call), so that the policy and the links always agree."""
    try:
        link = runtime.current().artifacts.presigned_get("podcasts/origin", 60, "audio/mpeg")
    except Exception:  # no bucket configured: nothing but this origin plays audio
        log(logging.WARNING, "no artifacts origin for the page's policy", exc_info=True)
        return ""
    return _origin(link)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Read at import, as the routes' protection is (chalicelib/api/auth.py): a test client's stage
# variables do not change it.
SIGN_IN_ORIGIN = sign_in_origin(os.environ)


IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PAGE = "index.html"

web = Blueprint(__name__)


VERSIONED = re.compile(r"^(?P<stem>[\w-]+)\.(?P<version>[0-9a-f]{16})(?P<suffix>\.\w+)$")
MODULE_IMPORT = re.compile(r"""(\bfrom\s+["']\./)([\w-]+)(\.js["'])""")


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


def _failures_module() -> str:
    """The failure words as a module: the one table the job core words failed jobs from."""
    table = json.dumps(failures.for_the_page(), indent=2, sort_keys=True)
    return (
        "// Why a job failed, by errorCode: chalicelib/jobs/failures.json, served by the app\n"
        "// as this module, so that the page says what the API and the CLI say.\n"
        f"export const FAILURES = {table};\n"
    )


# Modules the app writes from its own data rather than reads from ``static/``.
GENERATED: dict[str, Callable[[], str]] = {"failures.js": _failures_module}


def _source(name: str) -> str | None:
    if name in GENERATED:
        return GENERATED[name]()
    path = STATIC / name
    if path.parent != STATIC or not path.is_file():
        return None
    return path.read_text(encoding="utf-8")


@cache
def asset(name: str, version: str | None = None) -> Asset | None:
    """An asset as served (with ``version``, its links carry it), read once per process;
    None if there is none of that name."""
    path = STATIC / name
    content_type = CONTENT_TYPES.get(path.suffix)
    text = None if content_type is None else _source(name)
    if content_type is None or text is None:
        return None
    if version is not None and path.suffix == ".html":
        text = re.sub(r'"assets/([\w-]+)\.(css|js)"', rf'"assets/\1.{version}.\2"', text)
    elif version is not None and path.suffix == ".js":
        text = MODULE_IMPORT.sub(rf"\g<1>\g<2>.{version}\g<3>", text)
    return Asset(text, content_type, _etag(text))


@cache
def assets_version() -> str:
    """The content hash of every asset but the page: it changes when any of them does."""
    digest = hashlib.sha256()
    names = {path.name for path in STATIC.iterdir() if path.is_file()} | set(GENERATED)
    for name in sorted(names):
        text = _source(name) if Path(name).suffix in CONTENT_TYPES and name != PAGE else None
        if text is not None:
            digest.update(name.encode() + b"\0" + text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def _not_found() -> Response:
    return Response(
        body='{"error":"There is no such file.","code":"not_found"}',
        status_code=404,
        headers={"Content-Type": "application/json", **security_headers()},
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


def _serve(name: str, cache_control: str, version: str | None = None) -> Response:
    found = asset(name, version)
    if found is None:
        return _not_found()
    headers: dict[str, str | list[str]] = {
        "Cache-Control": cache_control,
        "ETag": found.etag,
        **security_headers(),
    }
    request = web.current_request
    if request is not None and _matches(request.headers.get("if-none-match"), found.etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(
        body=found.body,
        status_code=200,
        headers={"Content-Type": found.content_type, **headers},
    )


@web.route("/", methods=["GET"])
def index() -> Response:
    return _serve(PAGE, REVALIDATE, assets_version())


@web.route("/assets/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    """``app.{version}.js``: immutable under the current version, revalidated under an old
    one (served as the current file, with the current version's imports); ``app.js``:
    revalidated on every use."""
    versioned = VERSIONED.match(name)
    if versioned is None:
        return _not_found() if name == PAGE else _serve(name, REVALIDATE)
    plain = versioned["stem"] + versioned["suffix"]
    if plain == PAGE:
        return _not_found()
    current = versioned["version"] == assets_version()
    return _serve(plain, IMMUTABLE if current else REVALIDATE, assets_version())
