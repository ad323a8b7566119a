"""A stand-in for API Gateway's API-key check in front of the real local stack.

``chalice local`` does not enforce ``api_key_required``, so locally no key is ever
refused. This forwards every request to the stack unchanged when ``x-api-key`` is the
key, and otherwise answers as API Gateway does: 403 ``{"message": "Forbidden"}``.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@contextmanager
def key_gateway(upstream: str, key: str) -> Iterator[str]:
    """Serve on a free loopback port; yields the gateway's base URL."""
    target = urllib.parse.urlsplit(upstream)

    class Gateway(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.headers.get("x-api-key") != key:
                refusal = json.dumps({"message": "Forbidden"}).encode()
                headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "Forbidden"}
                self._reply(403, headers, refusal)
                return
            host = target.hostname or "127.0.0.1"
            connection = http.client.HTTPConnection(host, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                kept = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
                self._reply(answer.status, kept, answer.read())
            finally:
                connection.close()

        do_GET = do_POST = do_DELETE = _handle

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
