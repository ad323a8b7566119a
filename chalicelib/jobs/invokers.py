"""Starting a worker for a job: Lambda's asynchronous invoke, or a local thread pool."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from chalicelib.jobs.model import JobType, WorkerEvent
from chalicelib.logs import log


class Invoker(Protocol):
    def invoke(self, event: WorkerEvent) -> None:
        """Hand the event to a worker and return at once; raise if it cannot be handed over."""
        ...


Stamp = Callable[[dict[str, Any]], dict[str, Any]]
"""What the hand-over adds to an event's payload (``telemetry.outgoing``: its trace header)."""


def _as_is(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


class LambdaInvoker:
    """``Invoke`` with ``InvocationType="Event"``: Lambda queues it and retries on errors."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        functions: Mapping[JobType, str],
        stamp: Stamp = _as_is,
    ) -> None:
        self._client_factory = client_factory
        self._functions = dict(functions)
        self._stamp = stamp

    def invoke(self, event: WorkerEvent) -> None:
        response = self._client_factory().invoke(
            FunctionName=self._functions[event.type],
            InvocationType="Event",
            Payload=json.dumps(self._stamp(event.to_payload())).encode("utf-8"),
        )
        if response.get("StatusCode") != 202:
            raise RuntimeError(f"Lambda did not accept the event: {response.get('StatusCode')}")


class ThreadInvoker:
    """Runs workers in a bounded in-process pool, for ``chalice local`` and tests.

    moto cannot execute Lambda code without Docker, so locally the worker handler runs here
    with the same payload it would receive from Lambda.
    """

    def __init__(self, handler: Callable[[dict[str, Any]], Any], max_workers: int = 4) -> None:
        self._handler = handler
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="worker")
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def invoke(self, event: WorkerEvent) -> None:
        future = self._executor.submit(self._run, event.to_payload())
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _run(self, payload: dict[str, Any]) -> Any:
        # Nothing retries here (Lambda would): a delivery that asks for it is only logged.
        try:
            return self._handler(payload)
        except Exception:
            log(logging.ERROR, "worker raised", exc_info=True, jobId=payload.get("jobId"))
            raise

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every submitted worker has finished (tests and shutdown)."""
        import concurrent.futures

        while True:
            with self._lock:
                pending = set(self._futures)
            if not pending:
                return
            _, not_done = concurrent.futures.wait(pending, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} workers still running after {timeout} s")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
