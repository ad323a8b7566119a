"""The page and its assets: security headers, versioned URLs, caching and 304s."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from chalice.test import Client, HTTPResponse

from app import app
from chalicelib import runtime
from chalicelib.web.routes import (
    STATIC,
    artifacts_origin,
    assets_version,
    content_security_policy,
    sign_in_origin,
)
from tests.conftest import NAMES

PAGE_ASSETS = sorted(path.name for path in STATIC.iterdir() if path.suffix in (".js", ".css"))


def versioned(name: str, version: str | None = None) -> str:
    stem, suffix = name.rsplit(".", 1)
    return f"/assets/{stem}.{version or assets_version()}.{suffix}"


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def get(client: Client, path: str, **headers: str) -> HTTPResponse:
    return client.http.get(path, headers=headers)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.parametrize("path", ["/", "/assets/app.js", versioned("app.css")])
def test_every_page_response_carries_the_security_headers(client: Client, path: str) -> None:
    response = get(client, path)
    assert response.status_code == 200
    headers = response.headers
    policy = directives(headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_the_policy_names_the_artifacts_origin_and_no_scheme_wide_source(
    client: Client,
) -> None:
    policy = directives(get(client, "/").headers["Content-Security-Policy"])
    assert policy["media-src"] == ["'self'", f"https://{NAMES.artifacts_bucket}.s3.amazonaws.com"]
    assert not {"http:", "https:", "*"} & {word for words in policy.values() for word in words}


@pytest.mark.parametrize(
    ("env", "media", "connect"),
    [
        # the local stack: links to the emulator, sign-in at the emulator's Cognito
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
                "COGNITO_ENDPOINT": "http://127.0.0.1:5000/",
            },
            "http://127.0.0.1:5000",
            ["'self'", "http://127.0.0.1:5000"],
        ),
        ({"API_AUTH": "none"}, "https://bank-artifacts.s3.amazonaws.com", ["'self'"]),
        ({"API_AUTH": "api_key"}, "https://bank-artifacts.s3.amazonaws.com", ["'self'"]),
    ],
)
def test_the_policy_follows_the_deployment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], media: str, connect: list[str]
) -> None:
    monkeypatch.setenv("ARTIFACTS_BUCKET", "bank-artifacts")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runtime.install(None)  # built from this environment
    try:
        origin = artifacts_origin()
    finally:
        runtime.install(None)
    policy = directives(content_security_policy(origin, sign_in_origin(os.environ)))
    assert policy["media-src"] == ["'self'", media]
    assert policy["connect-src"] == connect


def test_the_page_names_its_assets_under_the_current_version(client: Client) -> None:
    response = get(client, "/")
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-cache"
    html = response.body.decode()
    linked = re.findall(r'(?:href|src)="(assets/[^"]+)"', html)
    assert sorted(linked) == [versioned("app.css")[1:], versioned("app.js")[1:]]
    for url in linked:  # each one is served, as cacheable for a year
        asset = get(client, "/" + url)
        assert asset.status_code == 200
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_versioned_module_imports_the_same_version(client: Client) -> None:
    """One page load never mixes the modules of two deployments."""
    script = get(client, versioned("app.js")).body.decode()
    imports = re.findall(r'from "\./([^"]+)"', script)
    assert imports and all(f".{assets_version()}.js" in name for name in imports)
    for name in imports:
        module = get(client, f"/assets/{name}")
        assert module.status_code == 200
        assert module.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = get(client, "/assets/app.js").body.decode()  # unversioned: plain imports
    assert 'from "./api.js"' in plain


def test_the_version_is_a_content_hash_of_the_assets() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", assets_version())


def test_no_inline_script_or_style_in_the_page(client: Client) -> None:
    html = get(client, "/").body.decode()
    assert " style=" not in html and "<style" not in html
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "<noscript>" in html


@pytest.mark.parametrize("name", PAGE_ASSETS)
def test_each_asset_answers_its_etag_with_304(client: Client, name: str) -> None:
    path = versioned(name)
    first = get(client, path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = get(client, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    weak = get(client, path, **{"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    changed = get(client, path, **{"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.body == first.body


def test_the_page_answers_its_etag_with_304(client: Client) -> None:
    first = get(client, "/")
    again = get(client, "/", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_plain_and_outdated_asset_urls_are_served_but_revalidated(client: Client) -> None:
    current = get(client, versioned("app.css"))
    for path in ["/assets/app.css", versioned("app.css", "0000000000000000")]:
        response = get(client, path)
        assert response.status_code == 200 and response.body == current.body
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"] == current.headers["ETag"]
        assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    outdated = get(client, versioned("app.js", "0000000000000000"))  # the current modules
    assert outdated.body == get(client, versioned("app.js")).body
    assert outdated.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/nothing.js",
        "/assets/app.py",
        "/assets/routes.py",
        "/assets/index.html",
        versioned("index.html"),
        versioned("routes.py"),
        "/assets/..%2Froutes.py",
    ],
)
def test_anything_else_under_assets_is_a_json_404(client: Client, path: str) -> None:
    response = get(client, path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert b'"code":"not_found"' in response.body
