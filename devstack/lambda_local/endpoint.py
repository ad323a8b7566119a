"""The HTTP face of the local Lambda: Lambda's ``Invoke`` API, as boto3 calls it.

``POST /2015-03-31/functions/{FunctionName}/invocations`` with ``X-Amz-Invocation-Type``
``Event`` (202, queued), ``RequestResponse`` (200 with the handler's result, or its error
object and ``X-Amz-Function-Error: Unhandled``) or ``DryRun`` (204 after the checks).
Errors are Lambda's, with its codes: an unknown function is 404
``ResourceNotFoundException``; a payload over the limit is 413
``RequestEntityTooLargeException`` (1 MB for ``Event``, 6 MB otherwise); a body that is not
JSON is 400 ``InvalidRequestContentException``; a synchronous call over the concurrency
limit is 429 ``TooManyRequestsException``.

``GET /_local/lambda/invocations`` lists the deliveries, newest first, and the records
sent to on-failure queues (the local stack also serves it at the app's address).
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.lambda_local.service import LocalLambda

INVOKE_PATH = "/2015-03-31/functions/"
LISTING_PATH = "/_local/lambda/invocations"
# Lambda's quotas: 1 MB for an asynchronous event (raised from 256 KB in 2025; the error
# message counts it as 1048576 bytes), 6 MB for a synchronous request.
LIMITS = {"Event": 1_048_576, "RequestResponse": 6_291_456, "DryRun": 6_291_456}


class LambdaApiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of connections waits instead of being refused

    def __init__(self, address: tuple[str, int], local_lambda: LocalLambda) -> None:
        self.local_lambda = local_lambda
        super().__init__(address, LambdaApiHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class LambdaApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LambdaApiServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the local Lambda logs one line per delivery instead."""

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path.rstrip("/") == LISTING_PATH:
            self._send(200, json.dumps(self.server.local_lambda.listing()).encode())
        else:
            self._error(404, "UnknownOperationException", "Unknown operation.", key="message")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        if not (path.startswith(INVOKE_PATH) and path.endswith("/invocations")):
            self._error(404, "UnknownOperationException", "Unknown operation.", key="message")
            return
        name = path[len(INVOKE_PATH) : -len("/invocations")]
        qualifier = urllib.parse.parse_qs(parts.query).get("Qualifier", [""])[0]
        self._invoke(name + (f":{qualifier}" if qualifier else ""), body)

    def _invoke(self, name: str, body: bytes) -> None:
        local_lambda = self.server.local_lambda
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if kind not in LIMITS:
            message = f"Invalid invocation type: {kind}"
            self._error(400, "InvalidParameterValueException", message, key="message")
            return
        spec = local_lambda.catalog.find(name)
        if spec is None:
            bare = name.split(":function:")[-1]
            arn = f"arn:aws:lambda:us-east-1:123456789012:function:{bare}"
            self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
            return
        if len(body) > LIMITS[kind]:
            message = (
                f"{len(body)} byte payload is too large for the {kind} invocation type "
                f"(limit {LIMITS[kind]} bytes)"
            )
            self._error(413, "RequestEntityTooLargeException", message, key="message")
            return
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            message = f"Could not parse request body into json: {exc}"
            self._error(400, "InvalidRequestContentException", message, key="message")
            return
        if kind == "DryRun":
            self._send(204, b"")
        elif kind == "Event":
            request_id = local_lambda.invoke_event(spec, payload)
            self._send(202, b"", {"x-amzn-RequestId": request_id})
        else:
            self._run_now(spec, payload)

    def _run_now(self, spec: Any, payload: Any) -> None:
        ran = self.server.local_lambda.invoke_sync(spec, payload)
        if ran is None:
            self._error(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                key="message",
                extra={"Reason": "ConcurrentInvocationLimitExceeded"},
            )
            return
        request_id, execution = ran
        headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": "$LATEST"}
        if execution.failed:
            headers["X-Amz-Function-Error"] = "Unhandled"
        self._send(200, json.dumps(execution.payload).encode(), headers)

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        key: str = "Message",
        extra: dict[str, str] | None = None,
    ) -> None:
        body = {"Type": "User", key: message, **(extra or {})}
        self._send(status, json.dumps(body).encode(), {"x-amzn-ErrorType": code})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


class LambdaEndpoint:
    """The server on a thread, started and stopped by its owner."""

    def __init__(self, local_lambda: LocalLambda, host: str, port: int) -> None:
        self.local_lambda = local_lambda
        self._host = host
        self.server = LambdaApiServer((host, port), local_lambda)
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="local-lambda-http", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.server.server_address[1]}"

    def start(self) -> str:
        self.local_lambda.start()
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.local_lambda.stop()
