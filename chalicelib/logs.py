"""Structured JSON logs through Powertools Logger: one object per line, one story per job.

Every line carries ``level``, ``location``, ``message``, ``timestamp`` (UTC, RFC 3339) and
``service``; lines written while a Lambda invocation runs also carry ``cold_start``,
``function_name``, ``function_request_id``, ``function_arn`` and ``function_memory_size``
(and ``xray_trace_id`` while X-Ray traces it). ``correlation_id`` is the API Gateway request
id of the request that started the job: the API's lines of that request carry it, and so
does every line that names the job (``jobId``) in any process, the workers' included, so
that one id finds a job's whole story in CloudWatch Logs Insights. The names are a
contract (docs/OPERATIONS.md, "Log fields"); the call sites' own fields stay camelCase.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger

SERVICE_ENV = "POWERTOOLS_SERVICE_NAME"
DEFAULT_SERVICE = "bank-research"
CORRELATION_ID = "correlation_id"
KNOWN_JOBS = 1024
"""How many jobs' correlation ids a process remembers (a warm Lambda runs many jobs)."""


def service_name() -> str:
    """The deployment's name: the stack's in AWS (infra/observability.json sets it)."""
    return os.environ.get(SERVICE_ENV) or DEFAULT_SERVICE


# The traceback is in ``exception``; its frame-by-frame copy would double each error line.
logger = Logger(service=service_name(), utc=True, use_rfc3339=True, serialize_stacktrace=False)

_lock = threading.Lock()
_correlations: OrderedDict[str, str] = OrderedDict()
_cold = {"start": True}


def get_logger() -> logging.Logger:
    """The standard library logger underneath (its handler writes the JSON lines)."""
    return logger._logger


def log(level: int, message: str, exc_info: bool = False, **fields: Any) -> None:
    """One JSON line: ``message`` and ``fields`` (camelCase), plus the context above."""
    job_id = fields.get("jobId")
    if isinstance(job_id, str) and CORRELATION_ID not in fields:
        with _lock:
            correlation = _correlations.get(job_id)
        if correlation:
            fields[CORRELATION_ID] = correlation
    # stacklevel: ``location`` names the caller, not this function.
    get_logger().log(level, message, exc_info=exc_info, extra=fields, stacklevel=2)


def remember_job(job_id: str, correlation_id: str | None) -> None:
    """From now on, this process's lines about ``job_id`` carry ``correlation_id``."""
    if not job_id or not correlation_id:
        return
    with _lock:
        _correlations[job_id] = correlation_id
        _correlations.move_to_end(job_id)
        while len(_correlations) > KNOWN_JOBS:
            _correlations.popitem(last=False)


def correlation_of(job_id: str) -> str | None:
    with _lock:
        return _correlations.get(job_id)


@contextlib.contextmanager
def invocation(lambda_context: Any, correlation_id: str | None) -> Iterator[None]:
    """While a Lambda invocation runs on this thread, its lines carry its context.

    What ``Logger.inject_lambda_context`` adds, kept per thread (``chalice local`` serves
    requests on threads of one process) and usable from Chalice middleware, which sees
    routes as well as workers.
    """
    with _lock:
        cold, _cold["start"] = _cold["start"], False
    keys: dict[str, Any] = {"cold_start": cold, CORRELATION_ID: correlation_id}
    if lambda_context is not None:
        keys |= {
            "function_name": getattr(lambda_context, "function_name", None),
            "function_memory_size": getattr(lambda_context, "memory_limit_in_mb", None),
            "function_arn": getattr(lambda_context, "invoked_function_arn", None) or None,
            "function_request_id": getattr(lambda_context, "aws_request_id", None),
        }
    present = {key: value for key, value in keys.items() if value is not None}
    logger.thread_safe_append_keys(**present)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(present.keys())


def current_correlation_id() -> str | None:
    """The correlation id of the invocation running on this thread, if any."""
    value = logger.thread_safe_get_current_keys().get(CORRELATION_ID)
    return str(value) if value else None
