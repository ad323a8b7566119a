"""``chalice local --no-autoreload``, with these changes for the local stack.

- **No 40 ms per kept-alive request.** Chalice's handler writes a response's headers and
  its body in two sends; on a kept-alive connection Nagle's algorithm holds the second
  send until the client's delayed ACK (about 40 ms on Linux). ``TCP_NODELAY`` on every
  accepted socket sends both at once.
- **Compressed as once deployed.** A text body of at least the API's
  ``MinimumCompressionSize`` (read from ``infra/resources.json``) goes out gzip-encoded to
  a client that accepts gzip, as API Gateway sends it.
- **Bursts of connections are queued, not reset.** ``socketserver`` listens with a
  backlog of 5, so 20 browsers starting one bank at once could get ``ECONNRESET``; the
  backlog here is 1024 (the kernel may cap it at ``net.core.somaxconn``).
- **``GET /_local/lambda/invocations``** answers at the app's address what the local
  Lambda endpoint (``AWS_ENDPOINT_URL_LAMBDA``) lists, and **``GET /_local/metrics``** the
  metrics ``make run`` collected from the stack's output (``devstack/metrics_local.py``,
  at ``LOCAL_METRICS_URL``). Local stage only: another stage serves no ``/_local/`` page,
  and this module is never packaged.
- **No server error page reaches a client.** What the HTTP server answers by itself (an
  HTML 414 for a long URL, 400 for a malformed request or ``Content-Length``) and what
  Chalice's gateway emulation answers (403 ``Missing Authentication Token`` for an unknown
  route) are JSON ``{"error", "code"}`` with a sentence, as the deployed API's gateway
  responses answer them (``infra/resources.json``): an unknown route is 404
  ``unknown_route``, and so is a method no route defines (TRACE, CONNECT, any other the
  server has no handler for, and OPTIONS when CORS is off), as in API Gateway.

- **Not before it is ready.** Started by ``make run`` (``--wait-until-ready``), every
  ``/api`` route answers 503 ``starting`` with ``Retry-After`` until the stack says, on this
  server's standard input, that the tables, the data and the workers are up; the page and
  its assets are served meanwhile, so that the page can say "Starting…" and wait.
- **Work in the log, polls out of it.** One line per request through :mod:`logging`: reads
  (``GET``, ``HEAD``, ``OPTIONS``, such as the page's polls) at debug level, writes at info,
  server errors as warnings. ``LOG_LEVEL=DEBUG make run`` shows every request.

Otherwise the app is loaded and served exactly as ``chalice local`` does, with the stage's
variables applied as :mod:`devstack.stage` describes.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import os
import socket
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)

from chalicelib.api.boundary import error_body
from chalicelib.errors import INTERNAL_ERROR_MESSAGE
from chalicelib.numbers import whole_number
from devstack.gateway_auth import GatewayAuth, InvalidApiKey, VerifyingAuthorizer, gateway_response
from devstack.resources import load_template
from devstack.stage import ROOT, STAGE, overrides, with_stage

LOCAL_PREFIX = "/_local/"
LISTING_PATH = "/_local/lambda/invocations"
METRICS_PATH = "/_local/metrics"
METRICS_URL_ENV = "LOCAL_METRICS_URL"
LISTEN_BACKLOG = 1024
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")

UNKNOWN_ROUTE = (404, "There is nothing at this address.", "unknown_route")
# What the HTTP server itself refuses, before any route is looked up.
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    400: ("The request could not be read: it is not well-formed HTTP.", "bad_request"),
    404: UNKNOWN_ROUTE[1:],
    408: ("The request took too long to arrive; send it again.", "request_timeout"),
    413: ("The request is too large for this server.", "request_too_large"),
    414: (
        "The address is too long for this server: send a shorter URL (long input belongs "
        "in a request body).",
        "uri_too_long",
    ),
    431: ("The request's headers are too large for this server.", "headers_too_large"),
    505: ("This server speaks HTTP/1.0 and HTTP/1.1 only.", "http_version_not_supported"),
}
# API Gateway's payload limit: a longer body is refused before it is read.
MAX_BODY_BYTES = 10 * 1024 * 1024
BODY_SECONDS = 10  # how long a declared body may take to arrive
INTERNAL = (500, INTERNAL_ERROR_MESSAGE, "internal_error")
STARTING = {
    "ready": False,
    "code": "starting",
    "error": "The service is starting. Please try again in a moment.",
}
STARTING_RETRY_SECONDS = 1
READY_WORD = "ready"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUESTS = logging.getLogger("devstack.requests")
READY = threading.Event()
"""Set once the stack has said it is ready (``--wait-until-ready``), or at once without it."""


class NoDelayServer(ThreadedHTTPServer):
    request_queue_size = LISTEN_BACKLOG

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


def minimum_compression_size() -> int:
    """The deployed API's ``MinimumCompressionSize``, read from the template it is deployed
    with, so that the local server compresses exactly what API Gateway would."""
    api = load_template()["Resources"]["RestAPI"]
    return int(api["Properties"]["MinimumCompressionSize"])


class CompressingHandler(ChaliceRequestHandler):
    """Chalice's handler, answering gzip as API Gateway does once deployed: a body of at
    least ``minimum_size`` bytes to a client that accepts gzip (text only here: the page,
    its assets and the API's JSON; an MP3 gains nothing)."""

    minimum_size = minimum_compression_size()

    def _send_http_response_with_body(
        self, code: int, headers: dict[str, Any], body: str | bytes
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        if self._compresses(headers, data):
            data = gzip.compress(data, compresslevel=6)
            headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        super()._send_http_response_with_body(code, headers, data)

    def _compresses(self, headers: dict[str, Any], body: bytes) -> bool:
        accepted = self.headers.get("Accept-Encoding", "")
        content_type = str(headers.get("Content-Type", "application/json"))
        return (
            len(body) >= self.minimum_size
            and "gzip" in accepted.lower()
            and "Content-Encoding" not in headers
            and content_type.startswith(COMPRESSIBLE)
        )


class Refused(Exception):
    """The request is refused before any route sees it, with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def content_length(raw: str | None) -> int:
    """The declared body length: ASCII digits of a sane size, else ``Refused`` (400, or 413
    for a body over API Gateway's 10 MB)."""
    if raw is None:
        return 0
    length = whole_number(raw.strip(), max_digits=12)
    if length is None:
        raise Refused(400)  # not a number, negative, or absurdly long
    if length > MAX_BODY_BYTES:
        raise Refused(413)
    return length


class LocalStackHandler(CompressingHandler):
    """Chalice's handler, with the local stack's own ``/_local/`` routes in front, and the
    answers API Gateway gives before a route is reached: a bad or oversized
    ``Content-Length`` or a body shorter than it (400, 413, 408), a method no route defines
    (TRACE, CONNECT, one of its own; ``OPTIONS`` without CORS: 404 ``unknown_route``, as the
    deployed API's gateway response answers it)."""

    cors_enabled = False  # set from the app by create_server
    gateway_auth: GatewayAuth | None = None  # the API's credentials checks, when not open

    def _generic_handle(self) -> None:
        if self.gateway_auth is not None:
            app = self.local_gateway._app_object
            self.local_gateway._authorizer = VerifyingAuthorizer(app, self.gateway_auth)
        try:
            if self.path.startswith(LOCAL_PREFIX):
                self._local_route()
            elif self.command == "OPTIONS" and not self.cors_enabled:
                self._read_body()
                status, sentence, code = UNKNOWN_ROUTE
                self._json(status, error_body(code, sentence))
            elif self.path.startswith("/api/") and not READY.is_set():
                self._starting()
            else:
                super()._generic_handle()
        except Refused as refused:
            self.send_error(refused.status)
        except ValueError:  # a request Chalice cannot take apart
            self.send_error(400)
        except Exception:
            logging.getLogger(__name__).exception("request failed in the local server")
            status, sentence, code = INTERNAL
            self._json(status, error_body(code, sentence))
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _parse_payload(self) -> tuple[dict[str, Any], bytes | None]:
        """Chalice's reading of the body, with its length checked first (Chalice would take
        ``int()`` of any header and read that much)."""
        return dict(self.headers), self._read_body()

    def _read_body(self) -> bytes | None:
        length = content_length(self.headers.get("content-length"))
        if not length:
            return None
        self.connection.settimeout(BODY_SECONDS)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise Refused(408) from None
        finally:
            self.connection.settimeout(None)
        if len(body) < length:
            raise Refused(400)  # the client closed before sending what it declared
        return body

    def _send_error_response(self, error: LocalGatewayException) -> None:
        """Chalice's gateway emulation refused the request: answered as API Gateway's
        gateway responses answer it once deployed (``infra/resources.json``)."""
        body = error.body or b""
        if isinstance(error, ForbiddenError) and (
            b"Missing Authentication Token" in body or b"Authorization header" in body
        ):
            status, sentence, code = UNKNOWN_ROUTE
        elif isinstance(error, InvalidApiKey | NotAuthorizedError):
            name = "INVALID_API_KEY" if isinstance(error, InvalidApiKey) else "UNAUTHORIZED"
            status, answer = gateway_response(name)
            self._json(status, answer)
            return
        elif isinstance(error, ForbiddenError):
            status, sentence, code = 403, "You may not use this route.", "access_denied"
        else:
            status, sentence, code = INTERNAL
        self._json(status, error_body(code, sentence))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP server's own refusals (414, 400…) as JSON instead of its HTML page. A
        method it has no handler for (501: TRACE, CONNECT, BREW…) is answered as API
        Gateway answers a method no route defines: 404 ``unknown_route``."""
        if code == 501:
            code, message = UNKNOWN_ROUTE[0], None
        sentence, slug = SERVER_ERRORS.get(
            code, INTERNAL[1:] if code >= 500 else SERVER_ERRORS[400]
        )
        body = json.dumps(error_body(slug, sentence)).encode()
        if getattr(self, "request_version", "") == "HTTP/0.9":
            # The server takes a request it cannot parse for HTTP/0.9 and would answer it
            # with a bare body; answer as an HTTP/1.1 server so that clients see the status.
            self.request_version = self.protocol_version
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _starting(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        retry = {"Retry-After": str(STARTING_RETRY_SECONDS), "Cache-Control": "no-store"}
        self._send_http_response(
            503, {"Content-Type": "application/json", **retry}, json.dumps(STARTING).encode()
        )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request: reads (the page's polls) at debug level, so that the log
        tells the work; writes at info; server errors as warnings."""
        status = int(code) if str(code).isdigit() else 0
        level = logging.DEBUG if self.command in READS else logging.INFO
        if status >= 500 and status != 503:  # 503: busy or starting, as it says
            level = logging.WARNING
        REQUESTS.log(level, '"%s" %s', self.requestline, code)

    def log_message(self, format: str, *args: Any) -> None:
        REQUESTS.warning(format, *args)

    def _local_route(self) -> None:
        self._read_body()
        path = self.path.split("?", 1)[0].rstrip("/")
        endpoint = os.environ.get("AWS_ENDPOINT_URL_LAMBDA", "")
        if path == METRICS_PATH and self.command == "GET":
            self._metrics()
        elif path != LISTING_PATH or self.command != "GET":
            self._json(404, {"error": "The local stack has no such page.", "code": "not_found"})
        elif not endpoint:
            self._json(
                404,
                {
                    "error": "The local Lambda is not running (the app invokes its workers "
                    "another way), so there are no invocations to list.",
                    "code": "no_local_lambda",
                },
            )
        else:
            self._proxy(endpoint.rstrip("/") + LISTING_PATH)

    def _metrics(self) -> None:
        url = os.environ.get(METRICS_URL_ENV, "")
        if not url:
            self._json(
                404,
                {
                    "error": "This server has collected no metrics to show.",
                    "code": "no_local_metrics",
                    "detail": "Metrics are collected by `make run`; this server was started "
                    "without it.",
                },
            )
        else:
            self._proxy(url, "The stack's metrics did not answer; try again.")

    def _proxy(
        self, url: str, unanswered: str = "The local Lambda did not answer; try again."
    ) -> None:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                self._send_http_response(200, {"Content-Type": "application/json"}, answer.read())
        except (urllib.error.URLError, OSError):
            self._json(503, {"error": unanswered, "code": "busy"})

    def _json(self, status: int, body: dict[str, str]) -> None:
        self._send_http_response(
            status, {"Content-Type": "application/json"}, json.dumps(body).encode()
        )


def create_server(host: str, port: int, stage: str = STAGE) -> LocalDevServer:
    """The app on ``host:port``, as ``chalice local`` builds it, with the changes above."""
    factory = CLIFactory(str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    stage_vars = dict(config.environment_variables)
    app = factory.load_chalice_app({**stage_vars, **overrides(stage_vars, os.environ)})
    # What chalice.local.create_local_server does: the app gets local mode's class.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    # The /_local/ pages belong to the local stage only.
    handler = LocalStackHandler if stage == STAGE else CompressingHandler
    LocalStackHandler.cors_enabled = any(
        entry.cors for methods in app.routes.values() for entry in methods.values()
    )
    if stage == STAGE:  # another stage is served as chalice local serves it
        LocalStackHandler.gateway_auth = GatewayAuth.from_env(with_stage(os.environ, stage_vars))
    return LocalDevServer(app, config, host, port, handler_cls=handler, server_cls=NoDelayServer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default=STAGE)
    parser.add_argument(
        "--wait-until-ready",
        action="store_true",
        help=f"answer /api routes with 503 starting until '{READY_WORD}' arrives on stdin",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as the chalice command sets it
    # As `chalice local`: the app's log lines on stdout, as in Lambda.
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(stream=sys.stdout, level=level, format="%(message)s")
    if args.wait_until_ready:
        threading.Thread(target=_wait_for_ready, name="ready", daemon=True).start()
    else:
        READY.set()
    logging.getLogger("botocore").setLevel(logging.WARNING)  # not its endpoint choices
    server = create_server(args.host, args.port, args.stage)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the stack stops us
        server.serve_forever()
    return 0


def _wait_for_ready() -> None:
    """The stack writes one word when the tables, the data and the workers are up."""
    for line in sys.stdin:
        if line.strip() == READY_WORD:
            READY.set()
            return


if __name__ == "__main__":
    sys.exit(main())
