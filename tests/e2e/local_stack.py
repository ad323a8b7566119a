"""Start the real local stack the way ``make run`` does, on free ports, for a test.

``env`` adds settings as a person would on the command line (``make run
LOCAL_LAMBDA_TIME_SCALE=0.05``): the stack passes them to the app and its workers. The stack
serves the synthetic sample (``BANK_DATA=sample``) unless ``env`` says otherwise.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1  # prctl: the signal this process gets when its parent ends


def ends_with(parent: int) -> Any:
    """For ``preexec_fn``: the child gets SIGTERM (which stops a stack as Ctrl-C does) as
    soon as ``parent``, the test process, ends, however it ends (a SIGKILL included), so
    that no stack outlives the run that started it and keeps serving on its ports."""

    def arrange() -> None:
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return  # not Linux
        if os.getppid() != parent:  # it ended before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    url: str
    emulator: str
    process: subprocess.Popen[str]
    output: Path
    lambda_url: str = ""

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, dict(error.headers), json.loads(raw) if raw else None

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def invocations(self) -> dict[str, Any]:
        """``GET /_local/lambda/invocations`` at the app's address."""
        status, _, body = self.request("GET", "/_local/lambda/invocations")
        assert status == 200, body
        return dict(body)


@contextmanager
def local_stack(
    tmp_path: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> Iterator[Stack]:
    port, emulator_port, lambda_port = free_port(), free_port(), free_port()
    output = tmp_path / "stack.log"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    # The tests drive the synthetic sample unless one asks for other data (BANK_DATA=real).
    environment["BANK_DATA"] = "sample"
    environment.update(env or {})
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.run", "--port", str(port),
             "--emulator-port", str(emulator_port), "--lambda-port", str(lambda_port)],
            cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, preexec_fn=ends_with(os.getpid()),
        )  # fmt: skip
    stack = Stack(
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{emulator_port}",
        process,
        output,
        f"http://127.0.0.1:{lambda_port}",
    )
    try:
        deadline = time.monotonic() + timeout
        while "is running at" not in stack.log():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the local stack did not start:\n{stack.log()}")
            time.sleep(0.1)
        # /api opens just after the line is printed: wait as a script would, on health
        # (with no bank data, BANK_DATA=none, until it no longer says "starting").
        while not _open(stack, needs_data=environment.get("BANK_DATA") != "none"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the local stack never became ready:\n{stack.log()}")
            time.sleep(0.05)
        yield stack
    finally:
        stop(process)


def _open(stack: Stack, needs_data: bool) -> bool:
    status, _, body = stack.request("GET", "/api/health")
    if status == 200:
        return True
    return not needs_data and isinstance(body, dict) and body.get("code") == "no_bank_data"


def stop(process: subprocess.Popen[str]) -> int:
    """Ctrl-C, as a user would press it: SIGINT to the whole process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode
