"""Worker processes (warm execution environments) and the bounded pool that holds them."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from devstack.lambda_local.functions import FunctionSpec
from devstack.lambda_local.worker import ROOT

# Lambda's init phase may take 10 s; a loaded laptop importing the app for the first time
# can be slower, so a new process gets this long to import its handler.
INIT_LIMIT_SECONDS = 60.0


class _Spawner:
    """Starts every worker process from one long-lived thread.

    Linux sends a child its parent-death signal when the *thread* that forked it ends, not
    the process; a worker started from a short-lived delivery thread would be killed as
    soon as that delivery ended.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def call(self, make: Callable[[], Any]) -> Any:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="spawner", daemon=True)
                self._thread.start()
        result: Future[Any] = Future()
        self._requests.put((make, result))
        return result.result()

    def _run(self) -> None:
        while True:
            make, result = self._requests.get()
            try:
                result.set_result(make())
            except BaseException as exc:
                result.set_exception(exc)


_spawner = _Spawner()


def worker_environment(spec: FunctionSpec, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with Lambda's own variables; each process names its own log stream.

    ``LAMBDA_TASK_ROOT`` is set as Lambda sets it: without it the X-Ray SDK takes the
    process for a server and builds its sampling client at import (110-200 ms of each
    worker's cold start, with eight workers starting at once). No X-Ray daemon listens
    here, so tracing stays off, as Powertools turns it off under ``chalice local``.
    """
    lambda_own = {"LAMBDA_TASK_ROOT": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "true"}
    variables = {**env, **spec.runtime_variables(), **lambda_own, "PYTHONUNBUFFERED": "1"}
    variables.pop("AWS_LAMBDA_LOG_STREAM_NAME", None)
    return variables


@dataclass
class Execution:
    """How one invocation ended, as Lambda would report it."""

    outcome: str  # "ok" | "error" | "timeout" | "crashed"
    payload: Any = None  # the handler's result, or Lambda's error object
    started_ms: int = 0  # epoch ms
    duration_ms: int = 0
    pid: int | None = None
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome != "ok"

    @property
    def error_type(self) -> str:
        return str(self.payload.get("errorType", "")) if self.failed and self.payload else ""


class WorkerProcess:
    """One ``devstack.lambda_local.worker`` process for one function."""

    def __init__(
        self, spec: FunctionSpec, env: Mapping[str, str], output: int | None = None
    ) -> None:
        """``output``: a file descriptor for the process's stdout and stderr (closed here
        once it is handed over); by default it writes where this process does."""
        self.spec = spec
        read_fd, write_fd = os.pipe()
        command = [
            sys.executable, "-m", "devstack.lambda_local.worker", spec.name,
            "--handler", spec.handler, "--result-fd", str(write_fd),
        ]  # fmt: skip
        try:
            self.process: subprocess.Popen[str] = _spawner.call(
                lambda: subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=worker_environment(spec, env),
                    stdin=subprocess.PIPE,
                    stdout=output,
                    stderr=None if output is None else subprocess.STDOUT,
                    pass_fds=(write_fd,),
                    text=True,
                )
            )
        finally:
            os.close(write_fd)
            if output is not None:
                os.close(output)
        self.pid = self.process.pid
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read, args=(read_fd,), name=f"results-{self.pid}", daemon=True
        )
        self._reader.start()
        self.invocations = 0
        self._ready = False

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8") as stream:
            for line in stream:
                try:
                    self._messages.put(json.loads(line))
                except ValueError:
                    continue
        self._messages.put(None)

    def _next(self, deadline: float) -> dict[str, Any] | str | None:
        """The next message, ``None`` at end of stream, or ``"timeout"``."""
        try:
            return self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return "timeout"

    def invoke(self, request: dict[str, Any], timeout_seconds: float) -> Execution:
        """Run one invocation; kill the process if it overruns ``timeout_seconds``."""
        begun = time.monotonic()
        started_ms = int(time.time() * 1000)
        if not self._ready:
            message = self._next(begun + INIT_LIMIT_SECONDS)
            if not (isinstance(message, dict) and message.get("type") == "ready"):
                return self._init_failure(request, message, started_ms, begun)
            self._ready = True
        self.invocations += 1
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(
                json.dumps({**request, "timeoutMs": int(timeout_seconds * 1000)}) + "\n"
            )
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._crashed(request, started_ms, begun)
        message = self._next(time.monotonic() + INIT_LIMIT_SECONDS)
        if not isinstance(message, dict) or message.get("type") != "start":
            return self._crashed(request, started_ms, begun)
        started_ms = int(message["deadlineMs"]) - int(timeout_seconds * 1000)
        deadline = time.monotonic() + max(
            0.0, (int(message["deadlineMs"]) - time.time() * 1000) / 1000
        )
        message = self._next(deadline)
        duration = int(time.time() * 1000) - started_ms
        if message == "timeout":
            self.kill()
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request['requestId']} Error: Task timed out "
                f"after {timeout_seconds:.2f} seconds",
            }
            return Execution("timeout", error, started_ms, duration, self.pid, "killed")
        if message is None or not isinstance(message, dict):
            return self._crashed(request, started_ms, begun)
        if "error" in message:
            return Execution("error", message["error"], started_ms, duration, self.pid)
        return Execution("ok", message.get("payload"), started_ms, duration, self.pid)

    def _init_failure(
        self, request: dict[str, Any], message: Any, started_ms: int, begun: float
    ) -> Execution:
        duration = int((time.monotonic() - begun) * 1000)
        if isinstance(message, dict) and message.get("type") == "init_error":
            self.kill()
            return Execution("error", message["error"], started_ms, duration, self.pid, "init")
        if message == "timeout":
            self.kill()
            error = {
                "errorType": "Runtime.InitTimeout",
                "errorMessage": f"RequestId: {request['requestId']} Error: the handler was "
                f"not imported within {INIT_LIMIT_SECONDS:.0f} seconds",
            }
            return Execution("timeout", error, started_ms, duration, self.pid, "init")
        return self._crashed(request, started_ms, begun)

    def _crashed(self, request: dict[str, Any], started_ms: int, begun: float) -> Execution:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        if code is not None and code < 0:
            reason = f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
            detail = f"ended by {signal.Signals(-code).name}"
        else:
            reason, detail = f"exit status {code}", f"exited with status {code}"
        error = {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request['requestId']} Error: Runtime exited with "
            f"error: {reason}",
        }
        duration = int((time.monotonic() - begun) * 1000)
        return Execution("crashed", error, started_ms, duration, self.pid, detail)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()
        self._close_stdin()

    def close_input(self) -> None:
        """Ask an idle process to end: closing its stdin ends its loop."""
        self._close_stdin()

    def stop(self, grace: float = 2.0) -> None:
        """End an idle process: closing stdin ends its loop; a kill if it lingers."""
        self._close_stdin()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_stdin(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass


@dataclass
class Slot:
    """A reserved place in the pool: a warm process, or the right to start one."""

    function: str
    process: WorkerProcess | None = None
    cold: bool = field(init=False)

    def __post_init__(self) -> None:
        self.cold = self.process is None


class Pool:
    """At most ``limit`` worker processes at once, across functions, reused while warm.

    Shares its condition with the dispatcher, which waits on it for a free slot.
    """

    def __init__(self, limit: int, condition: threading.Condition) -> None:
        self.limit = limit
        self.condition = condition
        self._idle: dict[str, list[WorkerProcess]] = {}
        self._busy = 0
        self._closed = False
        self.started = 0

    def try_reserve(self, function: str) -> tuple[Slot | None, WorkerProcess | None]:
        """A slot for ``function`` (call holding the condition), and an idle process of
        another function that the caller must stop to make room, if any."""
        if self._closed:
            return None, None
        idle = self._idle.get(function)
        if idle:
            self._busy += 1
            return Slot(function, idle.pop()), None
        if self._busy + self.idle_count() < self.limit:
            self._busy += 1
            return Slot(function), None
        for processes in self._idle.values():
            if processes:
                self._busy += 1
                return Slot(function), processes.pop(0)
        return None, None

    def release(self, slot: Slot, process: WorkerProcess | None) -> None:
        """Give the slot back; a live ``process`` stays warm for the next invocation."""
        with self.condition:
            self._busy -= 1
            if process is not None and process.alive and not self._closed:
                self._idle.setdefault(slot.function, []).append(process)
                process = None
            self.condition.notify_all()
        if process is not None:
            process.stop()

    def idle_count(self) -> int:
        return sum(len(processes) for processes in self._idle.values())

    @property
    def busy(self) -> int:
        return self._busy

    def close(self) -> list[WorkerProcess]:
        """No more slots; the idle processes, for the caller to stop."""
        with self.condition:
            self._closed = True
            idle = [process for processes in self._idle.values() for process in processes]
            self._idle.clear()
            self.condition.notify_all()
        return idle
