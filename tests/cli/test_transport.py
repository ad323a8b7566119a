"""The real urllib transport against small HTTP servers on loopback.

The podcast audio route answers 302 to a presigned storage link on another host: the
client follows it without the API's credentials.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bank_research_cli.api import retry_after_seconds
from bank_research_cli.cli import main
from bank_research_cli.transport import Unreachable, urllib_transport

Handler = Callable[[BaseHTTPRequestHandler], None]
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 500


@contextmanager
def serving(handle: Handler) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """An HTTP server on a free loopback port; yields its URL and the headers it received."""
    seen: list[dict[str, str]] = []

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({name.lower(): value for name, value in self.headers.items()})
            handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_redirect_is_returned_not_followed() -> None:
    with serving(lambda h: reply(h, 302, b"", Location="http://elsewhere.test/x")) as (url, _):
        response = urllib_transport("GET", url + "/a", {}, None, 5)
    assert response.status == 302 and response.header("Location") == "http://elsewhere.test/x"


def test_an_error_status_is_an_answer_with_its_body() -> None:
    body = json.dumps({"error": "No report yet.", "code": "no_report"}).encode()
    with serving(lambda h: reply(h, 404, body, Content_Type="application/json")) as (url, _):
        response = urllib_transport("GET", url + "/a", {}, None, 5)
    assert (response.status, response.body) == (404, body)
    assert response.header("content-type") == "application/json"


def test_a_refused_connection_raises_unreachable_with_a_reason() -> None:
    with pytest.raises(Unreachable) as refused:
        urllib_transport("GET", f"http://127.0.0.1:{closed_port()}/", {}, None, 5)
    assert refused.value.reason == "the connection was refused"


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(Unreachable) as silent:
            urllib_transport("GET", f"http://127.0.0.1:{listener.getsockname()[1]}/", {}, None, 0.3)
    assert "in time" in silent.value.reason or "within" in silent.value.reason


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_the_audio_is_fetched_from_storage_without_the_apis_credentials(tmp_path: Path) -> None:
    with serving(lambda h: reply(h, 200, MP3, Content_Type="audio/mpeg")) as (storage, at_storage):
        link = f"{storage}/bucket/podcast.mp3?X-Amz-Signature=abc"

        def api(handler: BaseHTTPRequestHandler) -> None:
            reply(handler, 302, b"", Location=link, Cache_Control="no-store")

        with serving(api) as (base, at_api):
            target = tmp_path / "podcast.mp3"
            argv = [
                "get",
                "podcast",
                "9900001",
                "-o",
                str(target),
                "--base-url",
                base,
                "--api-key",
                "secret-key",
                "--token",
                "secret-token",
            ]
            out, err = io.StringIO(), io.StringIO()
            code = main(argv, env={}, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert target.read_bytes() == MP3
    assert out.getvalue() == f"Wrote the podcast for bank 9900001 ({len(MP3)} bytes) to {target}.\n"
    (api_request,) = at_api
    assert api_request["x-api-key"] == "secret-key"
    assert api_request["authorization"] == "secret-token"
    (storage_request,) = at_storage
    assert "x-api-key" not in storage_request and "authorization" not in storage_request


def test_an_expired_storage_link_leaves_no_file_behind(tmp_path: Path) -> None:
    denied = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    storage_answer = serving(lambda h: reply(h, 403, denied, Content_Type="application/xml"))
    with (
        storage_answer as (storage, _),
        serving(lambda h: reply(h, 302, b"", Location=storage + "/x.mp3")) as (base, _),
    ):
        target = tmp_path / "podcast.mp3"
        err = io.StringIO()
        argv = ["get", "podcast", "9900001", "-o", str(target), "--base-url", base]
        code = main(argv, env={}, stdout=io.StringIO(), stderr=err)
    assert code == 1
    assert err.getvalue() == "The audio could not be fetched (HTTP 403); try again.\n"
    assert list(tmp_path.iterdir()) == []
