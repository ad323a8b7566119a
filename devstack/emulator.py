"""The embedded AWS emulator: moto's server on loopback, with DynamoDB's per-item atomicity.

Real DynamoDB evaluates a condition expression and applies the write as one atomic step.
moto's in-memory backend does not lock, so two threads can both pass a condition before
either writes. The single-flight invariant depends on that atomicity, so the emulator (and
the in-process tests) serialize moto's item writes with one lock.

For the fault tests the emulator can also **stall**: requests of a service (or of one
operation) wait before they are answered, as a datastore does when it is overloaded or
frozen, so that clients meet their read timeouts as they would in AWS.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

_WRITE_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()
_patched = False


def make_dynamodb_writes_atomic() -> None:
    """Patch moto's DynamoDB backend so each conditional write is atomic, as in AWS."""
    global _patched
    if _patched:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITE_METHODS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)
    _patched = True


class Stalls:
    """WSGI middleware: a request whose ``X-Amz-Target`` starts with a stalled prefix (such
    as ``DynamoDB_20120810`` or ``DynamoDB_20120810.GetItem``) waits until its stall ends."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}  # prefix → when its stall ends (monotonic)

    def stall(self, prefix: str, seconds: float) -> None:
        with self._lock:
            self._until[prefix] = time.monotonic() + seconds

    def release(self) -> None:
        with self._lock:
            self._until.clear()

    def _ends(self, target: str) -> float:
        with self._lock:
            ends = [until for prefix, until in self._until.items() if target.startswith(prefix)]
        return max(ends, default=0.0)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        while target and time.monotonic() < self._ends(target):
            time.sleep(0.05)
        return self._app(environ, start_response)


class Emulator:
    """moto's threaded server on 127.0.0.1, started and stopped by its owner."""

    def __init__(self, port: int) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        make_dynamodb_writes_atomic()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._server.start()
        wsgi = self._server._server  # werkzeug's server, which calls its ``app`` per request
        assert wsgi is not None
        self.stalls = Stalls(wsgi.app)
        wsgi.app = self.stalls
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()
