"""One execution environment: ``python -m devstack.lambda_local.worker FUNCTION --handler H``.

The function's deployed name is on the command line, so that a person (or a test) can
find a worker process and kill it. The process imports the handler once (Lambda's init
phase), then runs invocations one at a time, as a warm Lambda environment does: each
request is a JSON line on stdin; what happened is reported as JSON lines on the file
descriptor given by ``--result-fd`` (stdout and stderr stay the handler's own logs).

``--describe`` instead prints, as one JSON line, what the app registers: its
``@app.lambda_function``s and its SQS handlers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


class CognitoIdentity:
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


class LambdaContext:
    """The context object of Lambda's Python runtime, with the same attribute types (its
    ``memory_limit_in_mb`` is a string, read from the environment, as in the runtime)."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.client_context = None
        self.identity = CognitoIdentity()
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class InjectedFault(RuntimeError):
    """Raised instead of running the handler when ``LOCAL_LAMBDA_FAULTS`` says so."""


def load_handler(handler: str) -> Any:
    module_name, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """What Lambda's Python runtime reports for an exception the handler let out."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def run_one(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    timeout_ms = int(request["timeoutMs"])
    deadline_ms = int(time.time() * 1000) + timeout_ms
    context = LambdaContext(request["requestId"], request["invokedFunctionArn"], deadline_ms)
    started = {"type": "start", "requestId": request["requestId"], "deadlineMs": deadline_ms}
    _send(started)
    fault = request.get("fault")
    try:
        if fault == "hang":
            # The fault being injected is a handler that never returns: Lambda's timeout
            # (the parent killing this process) is what ends it.
            threading.Event().wait()
        if fault == "raise":
            raise InjectedFault("Injected by LOCAL_LAMBDA_FAULTS: this handler always raises.")
        if fault == "kill":
            # The fault being injected is a machine that dies mid-run: no cleanup, no
            # error report; the local Lambda sees the process gone, as Lambda would.
            after = float(request.get("faultAfter") or 0)
            killer = threading.Timer(after, os.kill, (os.getpid(), signal.SIGKILL))
            killer.daemon = True
            killer.start()
        result = handler(request["payload"], context)
    except Exception as exc:
        traceback.print_exc()
        return {"type": "result", "requestId": request["requestId"], "error": error_payload(exc)}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": "",
            "stackTrace": [],
        }
        return {"type": "result", "requestId": request["requestId"], "error": error}
    return {"type": "result", "requestId": request["requestId"], "payload": result}


_results: IO[str] | None = None


def _send(message: dict[str, Any]) -> None:
    assert _results is not None
    _results.write(json.dumps(message) + "\n")
    _results.flush()


def _prepare_process() -> None:
    """Die with the local Lambda, and leave Ctrl-C to it (it stops its workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault(
        "AWS_LAMBDA_LOG_STREAM_NAME",
        datetime.now(UTC).strftime("%Y/%m/%d") + f"/[$LATEST]{uuid.uuid4().hex}",
    )


def serve(handler_string: str) -> int:
    try:
        handler = load_handler(handler_string)
    except Exception as exc:
        traceback.print_exc()
        error = error_payload(exc)
        error["errorType"] = "Runtime.ImportModuleError"
        error["errorMessage"] = f"Unable to import module '{handler_string}': {exc}"
        _send({"type": "init_error", "error": error})
        return 1
    _send({"type": "ready", "pid": os.getpid()})
    for line in sys.stdin:
        if line.strip():
            _send(run_one(handler, json.loads(line)))
    return 0


def describe() -> dict[str, Any]:
    """The app's registrations, as the local Lambda needs them."""
    chalice_app = importlib.import_module("app").app
    functions = [
        {"name": function.name, "handler": function.handler_string}
        for function in chalice_app.pure_lambda_functions
    ]
    queues = [
        {
            "name": source.name,
            "handler": source.handler_string,
            "queue": source.queue,
            "queueArn": source.queue_arn,
            "batchSize": source.batch_size,
            "maximumConcurrency": source.maximum_concurrency,
        }
        for source in chalice_app.event_sources
        if type(source).__name__ == "SQSEventConfig"
    ]
    return {"appName": chalice_app.app_name, "functions": functions, "queues": queues}


def main(argv: list[str] | None = None) -> int:
    global _results
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", nargs="?", help="the function's deployed name")
    parser.add_argument("--handler", help="module.attribute of the handler")
    parser.add_argument("--result-fd", type=int, help="where to write results")
    parser.add_argument("--describe", action="store_true")
    args = parser.parse_args(argv)
    _prepare_process()
    if args.describe:
        description = describe()
        sys.stdout.flush()
        print("\n" + json.dumps(description), flush=True)
        return 0
    if not (args.function and args.handler and args.result_fd is not None):
        parser.error("give the function's name, --handler and --result-fd")
    _results = os.fdopen(args.result_fd, "w", encoding="utf-8")
    return serve(args.handler)


if __name__ == "__main__":
    sys.exit(main())
