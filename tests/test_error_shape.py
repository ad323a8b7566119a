"""One error shape everywhere the app answers: a wrong method, any content type, an empty
multipart body, and what Chalice would answer by itself, on every route.

(What API Gateway answers by itself is the gateway responses' job: tests/deploy/
test_security.py; what the local server answers by itself: tests/e2e/test_error_pages.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice import Chalice, Response

from app import app
from chalicelib.errors import ConfigError, UnsupportedMediaType
from chalicelib.http_edge import (
    ANY_CONTENT_TYPE,
    cors_config,
    finish_routes,
    media_type,
    one_error_shape,
    read_json_object,
)
from chalicelib.web.routes import security_headers
from tests.api_support import Api, api_under_test
from tests.conftest import NAMES
from tests.fakes import put_bank
from tests.moto_account import Aws
from tests.podcasts.support import put_report
from tests.test_error_words import OPERATOR_TEXT

BANK = "9900001"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTES = sorted((path, method) for path, methods in app.routes.items() for method in methods)
BODY_ROUTES = [(path, method) for path, method in ROUTES if method == "POST"]
ODD_TYPES = ["application/xml", "text/csv", "application/octet-stream", "image/png", "x/y"]
JOB_ID = "01a0c450-6c00-7000-8000-000000000000"
NO_AWS_ROUTES = {"/api/podcast/experts", "/api/openapi.json", "/api/auth/config"}


def concrete(path: str) -> str:
    """A path of the route with its parameters filled in, and a job type where one is read."""
    filled = path.replace("{idrssd}", BANK).replace("{jobId}", JOB_ID).replace("{name}", "app.js")
    filled = filled.replace("{batch_id}", JOB_ID)
    return filled + ("?type=report" if "{idrssd}" in path else "")


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    put_bank(aws.banks_table, BANK)
    put_report(aws, BANK)
    with api_under_test(aws) as under_test:
        yield under_test


# The health check's 503 (not ready) is an error body that also says what it checked.
HEALTH_FIELDS = frozenset({"ready", "checks"})


def shaped(
    response: Any, status: int, code: str | None = None, also: frozenset[str] = frozenset()
) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert set(body) - {"detail"} - also == {"error", "code"}, body  # detail: for operators
    assert body["error"].endswith(".") and 20 < len(body["error"]) < 300
    assert "Traceback" not in body["error"] and "Code" not in body
    assert not OPERATOR_TEXT.search(body["error"]), body["error"]  # what clients do: detail
    if code is not None:
        assert body["code"] == code
    return body


def test_every_route_takes_any_content_type_and_no_cors_unless_configured() -> None:
    for path, method in ROUTES:
        entry = app.routes[path][method]
        assert entry.content_types == ANY_CONTENT_TYPE, f"{method} {path}"
        assert entry.cors is None, f"{method} {path}"


@pytest.mark.parametrize("path", sorted(app.routes))
def test_a_wrong_method_is_a_405_in_the_error_shape(api: Api, path: str) -> None:
    allowed = set(app.routes[path])
    for method in sorted(set(METHODS) - allowed):
        response = api.client.http.request(method, concrete(path), headers={}, body=b"")
        body = shaped(response, 405, "method_not_allowed")
        assert body["detail"].startswith(f"{method} is not allowed")
        assert all(name in body["detail"] for name in allowed)
        assert set(response.headers["Allow"].split(", ")) == allowed


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_no_route_refuses_an_empty_request_for_its_content_type(
    api: Api, path: str, method: str
) -> None:
    for content_type in ODD_TYPES:
        headers = {"Content-Type": content_type, "Accept": "*/*"}
        response = api.client.http.request(method, concrete(path), headers=headers, body=b"")
        assert response.status_code != 415, (content_type, response.body)
        if response.status_code >= 400:
            also = HEALTH_FIELDS if path == "/api/health" else frozenset()
            shaped(response, response.status_code, also=also)


@pytest.mark.parametrize(("path", "method"), BODY_ROUTES)
def test_a_body_of_an_unreadable_type_is_the_apis_own_415(api: Api, path: str, method: str) -> None:
    before = api.jobs_items()
    for content_type in ODD_TYPES:
        headers = {"Content-Type": content_type}
        response = api.client.http.request(method, concrete(path), headers=headers, body=b"<x/>")
        body = shaped(response, 415, "unsupported_media_type")
        assert content_type in body["detail"] and "application/json" in body["detail"]
    assert api.jobs_items() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b""),
        ("multipart/form-data; boundary=xyz", b"--xyz--\r\n"),  # new FormData(), no fields
        ('multipart/form-data; boundary="a b"', b"--a b--"),
        ("application/x-www-form-urlencoded", b""),  # the seed's axios
        ("text/plain;charset=UTF-8", b""),
        ("image/png", b""),
    ],
)
def test_an_empty_body_of_any_type_starts_a_report(
    api: Api, content_type: str, body: bytes
) -> None:
    path = f"/api/research/{BANK}/generate-background"
    response = api.client.http.request(
        "POST", path, headers={"Content-Type": content_type}, body=body
    )
    assert response.status_code == 202, response.body


def test_an_empty_multipart_podcast_start_asks_for_experts_as_an_empty_json_one_does(
    api: Api,
) -> None:
    path = f"/api/research/{BANK}/podcast/generate-background"
    multipart = {"Content-Type": "multipart/form-data; boundary=xyz"}
    as_form = api.client.http.request("POST", path, headers=multipart, body=b"--xyz--\r\n")
    as_json = api.post(path, "{}")
    assert shaped(as_form, 400, "invalid_experts") == shaped(as_json, 400, "invalid_experts")


def test_a_multipart_form_with_fields_is_a_415(api: Api) -> None:
    form = b'--xyz\r\nContent-Disposition: form-data; name="experts"\r\n\r\ncredit\r\n--xyz--\r\n'
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    path = f"/api/research/{BANK}/podcast/generate-background"
    response = api.client.http.request("POST", path, headers=headers, body=form)
    shaped(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/merge-patch+json",
     "text/plain", "application/x-www-form-urlencoded", None],
)  # fmt: skip
def test_json_is_read_under_the_types_clients_label_it_with(content_type: str | None) -> None:
    assert read_json_object(b'{"experts": ["credit"]}', content_type) == {"experts": ["credit"]}


def test_the_body_reader_refuses_what_it_cannot_read_with_a_sentence() -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        read_json_object(b"a,b\n1,2\n", "text/csv")
    assert raised.value.code == "unsupported_media_type" and raised.value.message.endswith(".")


def test_media_types_are_read_with_their_parameters() -> None:
    assert media_type('Multipart/Form-Data; boundary="x y"; charset=utf-8') == (
        "multipart/form-data",
        {"boundary": "x y", "charset": "utf-8"},
    )
    assert media_type(None) == ("", {})


# Chalice's own answers, reshaped ------------------------------------------------------------


def _tiny_app() -> Chalice:
    tiny = Chalice(app_name="shape-check")

    @tiny.route("/boom", methods=["GET"])
    def boom() -> Response:
        raise RuntimeError("a bug")

    @tiny.route("/fine", methods=["GET", "POST"])
    def fine() -> dict[str, bool]:
        return {"fine": True}

    finish_routes(tiny, env={})
    return tiny


def test_an_unhandled_exception_outside_the_api_wrapper_is_a_shaped_500() -> None:
    from chalice.test import Client

    with Client(_tiny_app()) as client:
        response = client.http.get("/boom")
        shaped(response, 500, "internal_error")
        assert "a bug" not in response.body.decode()
        assert client.http.get("/fine").status_code == 200
        shaped(client.http.delete("/fine"), 405, "method_not_allowed")


def test_the_middleware_never_lets_an_exception_through() -> None:
    def failing(_: Any) -> Response:
        raise RuntimeError("in another middleware")

    response = one_error_shape(None, failing)  # type: ignore[arg-type]
    assert response.status_code == 500 and response.body["code"] == "internal_error"


def test_the_apis_own_answers_pass_unchanged() -> None:
    original = Response(body={"error": "x.", "code": "y"}, status_code=409)
    assert one_error_shape(None, lambda _: original) is original  # type: ignore[arg-type]


# CORS ----------------------------------------------------------------------------------------


def test_cors_is_off_unless_an_origin_is_configured() -> None:
    assert cors_config({}) is None and cors_config({"CORS_ORIGINS": " "}) is None
    config = cors_config({"CORS_ORIGINS": "https://research.example.com"})
    assert config is not None
    headers = config.get_access_control_headers()
    assert headers["Access-Control-Allow-Origin"] == "https://research.example.com"
    assert "X-Api-Key" in headers["Access-Control-Allow-Headers"]
    assert "If-None-Match" in headers["Access-Control-Allow-Headers"]
    assert headers["Access-Control-Expose-Headers"] == "ETag,Retry-After,Location"


@pytest.mark.parametrize(
    "value", ["*", "research.example.com", "https://a.example.com/path", "https://a.example.com,x"]
)
def test_a_bad_cors_setting_is_a_sentence(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        cors_config({"CORS_ORIGINS": value})
    assert raised.value.message.endswith(".")


def test_no_api_answer_carries_cors_headers_by_default(api: Api) -> None:
    response = api.get(f"/api/research/{BANK}/job-status?type=report")
    assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_a_configured_origin_is_answered_on_every_route() -> None:
    from chalice.test import Client

    tiny = Chalice(app_name="cors-check")

    @tiny.route("/api/thing", methods=["GET"])
    def thing() -> dict[str, bool]:
        return {"thing": True}

    finish_routes(tiny, env={"CORS_ORIGINS": "https://research.example.com"})
    with Client(tiny) as client:
        response = client.http.get("/api/thing")
    assert response.headers["Access-Control-Allow-Origin"] == "https://research.example.com"


# The page's own headers ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/assets/app.js", "/assets/nothing.js"])
def test_every_page_answer_carries_exactly_the_security_headers(api: Api, path: str) -> None:
    response = api.get(path)
    headers = security_headers()
    for name, value in headers.items():
        assert response.headers[name] == value, name
    # media: the signed links' origin only (the bucket's); connect: this origin and, as the
    # app was imported with sign-in on (the default), the user pool's Cognito endpoint
    assert headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' https://{NAMES.artifacts_bucket}.s3.amazonaws.com; "
        "connect-src 'self' https://cognito-idp.us-east-1.amazonaws.com; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert set(headers) == {
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    }


@pytest.mark.parametrize(("path", "method"), [r for r in ROUTES if r[0].startswith("/api/")])
def test_a_missing_table_or_bucket_is_a_503_with_a_sentence_on_every_route(
    aws: Aws, path: str, method: str
) -> None:
    # What a reset emulator (or a stack that lost a resource) looks like to the routes.
    put_bank(aws.banks_table, BANK)
    with api_under_test(aws) as api:
        aws.dynamodb.delete_table(TableName=aws.names.jobs_table)
        aws.dynamodb.delete_table(TableName=aws.names.banks_table)
        aws.s3.delete_bucket(Bucket=aws.bucket)
        body = b'{"experts": ["credit"]}' if "podcast/generate" in path else b""
        response = api.client.http.request(
            method, concrete(path), headers={"Content-Type": "application/json"}, body=body
        )
        if path in NO_AWS_ROUTES:
            assert response.status_code == 200
        elif path == "/api/health":  # its own shape, which says what is not ready
            said = shaped(response, 503, "unavailable", also=frozenset({"ready", "checks"}))
            assert said["ready"] is False and said["checks"]["tables"] == "missing"
            assert int(response.headers["Retry-After"]) > 0
        else:
            shaped(response, 503, "unavailable")
            assert response.headers["Retry-After"] == "30"
