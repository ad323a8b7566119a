"""No error page of the local server reaches a client of ``make run``: over raw HTTP against
the real local stack, every refusal is JSON ``{"error", "code"}`` with a sentence."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.local_stack import Stack, local_stack
from tests.test_error_words import OPERATOR_TEXT

pytestmark = pytest.mark.e2e
BANK = "9900001"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def raw(stack: Stack, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as written (no client library to tidy it up); read the answer."""
    address = urlsplit(stack.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


def request_line(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_shaped(answer: tuple[int, dict[str, str], bytes], status: int, code: str) -> Any:
    got, headers, body = answer
    assert got == status, body
    assert headers["Content-Type"] == "application/json", headers
    document = json.loads(body)
    assert set(document) - {"detail"} == {"error", "code"} and document["code"] == code
    assert document["error"].endswith(".") and "<" not in document["error"]
    assert not OPERATOR_TEXT.search(document["error"]), document["error"]
    return document


def test_a_url_too_long_for_the_server_is_json(stack: Stack) -> None:
    path = f"/api/banks?q={'x' * 70_000}"
    assert_shaped(raw(stack, request_line("GET", path)), 414, "uri_too_long")


def test_an_unknown_route_is_404_unknown_route(stack: Stack) -> None:
    for path in ("/api/nothing", "/api/research/9900001/nothing", "/favicon.ico", "/api"):
        assert_shaped(raw(stack, request_line("GET", path)), 404, "unknown_route")


def test_an_unknown_route_with_a_token_is_still_unknown_route(stack: Stack) -> None:
    answer = raw(stack, request_line("GET", "/api/nothing", "Authorization: Bearer abc"))
    assert_shaped(answer, 404, "unknown_route")


def test_a_wrong_method_on_a_route_is_405_with_allow(stack: Stack) -> None:
    answer = raw(stack, request_line("PUT", f"/api/research/{BANK}/job-status?type=report"))
    assert_shaped(answer, 405, "method_not_allowed")
    assert answer[1]["Allow"] == "GET"


@pytest.mark.parametrize("method", ["BREW", "TRACE", "CONNECT", "OPTIONS"])
def test_a_method_no_route_defines_is_unknown_route_as_in_api_gateway(
    stack: Stack, method: str
) -> None:
    # API Gateway answers a method that no route defines with its "missing authentication
    # token" response, 404 unknown_route here; OPTIONS too while CORS is off.
    for path in ("/api/banks", f"/api/research/{BANK}/job-status?type=report"):
        assert_shaped(raw(stack, request_line(method, path)), 404, "unknown_route")


def test_a_content_length_that_is_no_length_is_400(stack: Stack) -> None:
    for length in ("-5", "99999999999999999999", "12abc", "²", "1" * 5_000):
        answer = raw(stack, request_line("POST", "/api/banks", f"Content-Length: {length}"))
        assert_shaped(answer, 400, "bad_request")


def test_a_body_over_api_gateways_limit_is_413_unread(stack: Stack) -> None:
    path = f"/api/research/{BANK}/generate-background"
    answer = raw(stack, request_line("POST", path, f"Content-Length: {11 * 1024 * 1024}"))
    assert_shaped(answer, 413, "request_too_large")


def test_a_body_shorter_than_its_content_length_is_400(stack: Stack) -> None:
    address = urlsplit(stack.url)
    head = request_line("POST", f"/api/research/{BANK}/generate-background", "Content-Length: 100")
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head + b"{}")
        connection.shutdown(socket.SHUT_WR)  # two bytes of the hundred declared, then EOF
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head_text, _, body = answer.partition(b"\r\n\r\n")
    assert head_text.split()[1] == b"400", answer
    assert json.loads(body)["code"] == "bad_request"


def test_a_malformed_request_is_json(stack: Stack) -> None:
    assert_shaped(raw(stack, b"GET /api/banks HTTP/9.9\r\n\r\n"), 505, "http_version_not_supported")
    assert_shaped(raw(stack, b"GARBAGE\r\n\r\n"), 400, "bad_request")
    bad_length = request_line("GET", "/api/banks", "Content-Length: many")
    assert_shaped(raw(stack, bad_length), 400, "bad_request")


def test_an_odd_content_type_is_accepted_and_an_unreadable_body_is_the_apis_415(
    stack: Stack,
) -> None:
    path = f"/api/research/{BANK}/podcast/generate-background"
    answer = raw(stack, request_line("POST", path, "Content-Type: text/csv", body=b"a,b\n"))
    assert_shaped(answer, 415, "unsupported_media_type")
    empty_form = request_line(
        "POST", path, "Content-Type: multipart/form-data; boundary=xyz", body=b"--xyz--\r\n"
    )
    assert_shaped(raw(stack, empty_form), 400, "invalid_experts")  # read as {}
    status, _, _ = raw(stack, request_line("GET", "/api/podcast/experts", "Content-Type: x/y"))
    assert status == 200


def test_the_stack_said_once_that_its_api_is_open(stack: Stack) -> None:
    assert stack.log().count("The API is open here") == 1


def test_after_the_emulator_is_reset_every_api_route_is_503_with_a_sentence(stack: Stack) -> None:
    # Last in this file: it empties the stack's emulator (tables, bucket, queue) for good.
    reset = urllib.request.Request(stack.emulator + "/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    for method, path in (
        ("GET", "/api/banks?q=granite"),
        ("GET", f"/api/banks/{BANK}"),
        ("GET", f"/api/research/{BANK}/job-status?type=report"),
        ("GET", "/api/research/recent"),
        ("GET", f"/api/research/{BANK}/report"),
        ("POST", f"/api/research/{BANK}/generate-background"),
    ):
        document = assert_shaped(raw(stack, request_line(method, path)), 503, "unavailable")
        assert "try again" in document["error"]
    status, _, _ = raw(stack, request_line("GET", "/api/podcast/experts"))
    assert status == 200  # what needs no table still answers
