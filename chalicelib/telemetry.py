"""What the service tells its operators: metrics (CloudWatch EMF), traces (X-Ray), log context.

Every metric's name, unit and dimensions are defined here, beside the one function that
emits it. The job core knows none of this: it reports its events to a ``JobEvents``
(``chalicelib/jobs/events.py``) handed to it by the wiring, and ``Telemetry`` here is that
observer (docs/OPERATIONS.md, "Metrics"); it keeps no state of a run.
``infra/observability.json`` (alarms, dashboard) and docs/OPERATIONS.md read the same names:
a test holds them together.

- **Metrics** go to stdout as CloudWatch Embedded Metric Format documents, namespace
  ``BankResearch``, built by Powertools' EMF provider; CloudWatch Logs turns them into
  metrics, and the local stack collects the same lines (``GET /_local/metrics``).
  Dimensions: ``service`` (the stack's name) and ``JobType``, plus ``Reason`` (an error
  code, a bounded set) or ``Stage`` where named. Per-job documents carry ``jobId`` and
  ``correlation_id`` as the log lines do, so one Logs Insights filter finds both.
- **Traces**: Powertools Tracer (X-Ray), off outside Lambda. Each invocation is one
  subsegment annotated with ``jobId``, ``jobType`` and ``correlationId``; the API hands its
  trace header to the worker in the event (``traceHeader``), and the worker annotates
  ``upstreamTraceId`` with it, which links the two hops even where Lambda starts a new
  trace (a retry, the failure queue).
- **Log context**: ``middleware`` (registered on the Chalice app for every event type)
  gives each invocation's log lines their Lambda context and correlation id, and flushes
  the metrics at its end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from chalice.app import LambdaFunctionEvent, Request

from chalicelib import logs
from chalicelib.aws.policy import is_throttle
from chalicelib.jobs.events import RunTimes, milliseconds
from chalicelib.jobs.model import Job, JobType, WorkerEvent
from chalicelib.jobs.rules import Refusal

T = TypeVar("T")

NAMESPACE = "BankResearch"
TRACE_HEADER_ENV = "_X_AMZN_TRACE_ID"


class Metric(StrEnum):
    """Every metric the service emits (namespace ``BankResearch``)."""

    JOBS_STARTED = "JobsStarted"  # a start created a job
    JOBS_JOINED = "JobsJoined"  # a start joined the active job
    JOBS_COMPLETED = "JobsCompleted"
    JOBS_FAILED = "JobsFailed"  # every failure but a cancellation; also by Reason
    JOBS_CANCELLED = "JobsCancelled"
    JOBS_REDELIVERED = "JobsRedelivered"  # a claim with attempt > 1
    DELIVERIES_SKIPPED = "DeliveriesSkipped"  # a delivery that claimed nothing; by Reason
    START_TO_CLAIM = "StartToClaim"  # ms from the start to the first claim
    STAGE_DURATION = "StageDuration"  # ms in one stage of a run; by Stage
    JOB_DURATION = "JobDuration"  # ms from the start to completed or failed
    PROGRESS_WRITES = "ProgressWrites"  # progress writes of one run
    STUCK_JOBS_SEEN = "StuckJobsSeen"  # a reader found an active job nothing can claim
    BEDROCK_LATENCY = "BedrockLatency"  # ms per successful Converse call
    BEDROCK_THROTTLES = "BedrockThrottles"
    POLLY_LATENCY = "PollyLatency"  # ms per successful SynthesizeSpeech call
    POLLY_THROTTLES = "PollyThrottles"
    IMPORT_ROWS = "ImportRows"  # call-report rows read by one import
    IMPORT_BANKS = "ImportBanks"
    IMPORT_DURATION = "ImportDuration"  # ms per import


class Dimension(StrEnum):
    SERVICE = "service"
    JOB_TYPE = "JobType"
    REASON = "Reason"
    STAGE = "Stage"


COUNT, MILLISECONDS = "Count", "Milliseconds"


@dataclass(frozen=True)
class CallKind:
    """An external call whose latency and throttles are measured."""

    latency: Metric
    throttles: Metric


BEDROCK = CallKind(Metric.BEDROCK_LATENCY, Metric.BEDROCK_THROTTLES)
POLLY = CallKind(Metric.POLLY_LATENCY, Metric.POLLY_THROTTLES)

# Tracing: off outside Lambda (Powertools checks), so locally and in tests it costs a
# flag test. Only botocore is patched: the AWS calls are what a job's trace is made of.
tracer = Tracer(service=logs.service_name(), patch_modules=["botocore"])


# EMF documents ---------------------------------------------------------------------------

_write_lock = threading.Lock()
Values = Sequence[tuple[Metric, str, float]]


def _document(
    dimensions: Mapping[str, str],
    metrics: Values,
    properties: Mapping[str, Any] | None = None,
    also_by: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """One EMF document: ``metrics`` under ``service`` + ``dimensions`` (and each extra
    dimension set in ``also_by``), with ``properties`` that are not dimensions."""
    service = logs.service_name()
    provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=service)
    provider.add_dimension(Dimension.SERVICE, service)
    for name, value in dimensions.items():
        provider.add_dimension(name, value)
    for extra in also_by:
        provider.add_dimensions(**{Dimension.SERVICE: service, **extra})
    for metric, unit, amount in metrics:
        provider.add_metric(name=str(metric), unit=unit, value=amount)
    for key, value in (properties or {}).items():
        if value is not None:
            provider.add_metadata(key, value)
    return dict(provider.serialize_metric_set())


def _emit(document: dict[str, Any]) -> None:
    """One line on stdout. Written whole under a lock (``print`` writes the text and the
    newline separately, so threads could interleave them and break the line)."""
    if is_metrics_disabled():
        return
    line = json.dumps(document, separators=(",", ":"), default=str) + "\n"
    with _write_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _job(job_type: JobType | str) -> dict[str, str]:
    return {Dimension.JOB_TYPE: str(job_type)}


def _by_reason(job_type: JobType | str, reason: str) -> list[dict[str, str]]:
    return [{Dimension.JOB_TYPE: str(job_type), Dimension.REASON: reason}]


class _Pending:
    """Values of frequent calls (a podcast makes a Polly call per line), sent as one
    document per dimension set when the invocation ends (EMF holds up to 100 values a
    metric)."""

    LIMIT = 100

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[Metric, str], list[float]] = {}

    def add(self, metric: Metric, unit: str, value: float) -> None:
        with self._lock:
            values = self._values.setdefault((metric, unit), [])
            values.append(value)
            full = len(values) >= self.LIMIT
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            drained, self._values = self._values, {}
        if drained:
            metrics = [(m, unit, v) for (m, unit), values in drained.items() for v in values]
            _emit(_document({}, metrics))


_pending = _Pending()


def flush() -> None:
    """Send what is waiting (the end of an invocation, of a run, of a test)."""
    _pending.flush()


# The job core's events ------------------------------------------------------------------


class Telemetry:
    """The job core's observer (``chalicelib.jobs.events.JobEvents``): each event as EMF
    metrics and X-Ray annotations. It keeps nothing between calls: what a run measured
    comes with its end (``RunTimes``)."""

    def requested(self, job: Job, created: bool) -> None:
        metric = Metric.JOBS_STARTED if created else Metric.JOBS_JOINED
        properties = {"jobId": job.job_id, "correlation_id": job.correlation_id}
        _emit(_document(_job(job.type), [(metric, COUNT, 1)], properties))
        annotate(jobId=job.job_id, jobType=str(job.type))

    def cancelled(self, job: Job) -> None:
        properties = {
            "jobId": job.job_id, "correlation_id": job.correlation_id, "idrssd": job.idrssd,
        }  # fmt: skip
        _emit(_document(_job(job.type), [(Metric.JOBS_CANCELLED, COUNT, 1)], properties))

    def abandoned(self, event: WorkerEvent, reason: str) -> None:
        properties = {
            "jobId": event.job_id, "correlation_id": event.correlation_id,
            "idrssd": event.idrssd, "outcome": "failed", "reason": str(reason),
        }  # fmt: skip
        failed = [(Metric.JOBS_FAILED, COUNT, 1.0)]
        _emit(_document(_job(event.type), failed, properties, _by_reason(event.type, reason)))

    def stuck(self, stored: Job, shown: Job) -> None:
        properties = {"jobId": stored.job_id, "reason": shown.error_code}
        _emit(_document(_job(stored.type), [(Metric.STUCK_JOBS_SEEN, COUNT, 1)], properties))

    def skipped(self, event: WorkerEvent, refusal: Refusal) -> None:
        """``Reason``: ``mine``, ``contended``, ``exhausted`` or ``gone``."""
        reason = refusal.name.lower()
        _emit(
            _document(
                _job(event.type),
                [(Metric.DELIVERIES_SKIPPED, COUNT, 1)],
                {"jobId": event.job_id, "reason": reason},
                also_by=_by_reason(event.type, reason),
            )
        )

    def claimed(self, job: Job, now: float) -> None:
        """A redelivery counts; a first claim measures its delay from the start."""
        values: list[tuple[Metric, str, float]] = []
        if job.attempt > 1:
            values.append((Metric.JOBS_REDELIVERED, COUNT, 1))
        else:
            values.append((Metric.START_TO_CLAIM, MILLISECONDS, _ms(now - job.created_at)))
        properties = {"jobId": job.job_id, "attempt": job.attempt}
        _emit(_document(_job(job.type), values, properties))
        annotate(jobId=job.job_id, jobType=str(job.type), attempt=job.attempt)

    def stage_ended(self, job: Job, stage: str, spent_ms: int) -> None:
        dimensions = _job(job.type) | {Dimension.STAGE: stage}
        values = [(Metric.STAGE_DURATION, MILLISECONDS, float(spent_ms))]
        _emit(_document(dimensions, values, {"jobId": job.job_id}))

    def finished(self, job: Job, now: float, times: RunTimes, code: str | None) -> None:
        """One summary document (duration, writes, each stage's milliseconds); a failure
        also counts by type and by its code. Sends what is waiting: the run is over."""
        values: list[tuple[Metric, str, float]] = [
            (Metric.JOB_DURATION, MILLISECONDS, _ms(now - job.created_at)),
            (Metric.PROGRESS_WRITES, COUNT, float(times.writes)),
        ]
        if code is None:
            values.append((Metric.JOBS_COMPLETED, COUNT, 1))
        summary = {
            "jobId": job.job_id, "correlation_id": job.correlation_id, "idrssd": job.idrssd,
            "attempt": job.attempt, "outcome": "completed" if code is None else "failed",
            "reason": code, "stageMs": dict(times.spent),
        }  # fmt: skip
        _emit(_document(_job(job.type), values, summary))
        if code is not None:
            failed = [(Metric.JOBS_FAILED, COUNT, 1.0)]
            properties = {"jobId": job.job_id, "reason": code}
            _emit(_document(_job(job.type), failed, properties, _by_reason(job.type, code)))
        flush()


EVENTS = Telemetry()
"""The one observer the wiring hands to the job core."""


def outgoing(payload: dict[str, Any]) -> dict[str, Any]:
    """The worker event, with the request's correlation id and trace header when known."""
    extra = {"correlationId": logs.current_correlation_id()}
    extra["traceHeader"] = os.environ.get(TRACE_HEADER_ENV) if not tracer.disabled else None
    return {key: value for key, value in extra.items() if value} | payload


def _ms(seconds: float) -> float:
    return float(milliseconds(seconds))


# Calls to Bedrock and Polly -------------------------------------------------------------


def timed_call(kind: CallKind, call: Callable[[], T]) -> T:
    """``call()``, its latency recorded when it answers and a throttle counted when AWS
    throttles it (the caller's retries are each timed)."""
    started = time.perf_counter()
    try:
        result = call()
    except Exception as exc:
        if is_throttle(exc):
            _pending.add(kind.throttles, COUNT, 1)
        raise
    _pending.add(kind.latency, MILLISECONDS, _ms(time.perf_counter() - started))
    return result


# The importer --------------------------------------------------------------------------------


def import_finished(rows: int, banks: int, seconds: float, source: str) -> None:
    values = [
        (Metric.IMPORT_ROWS, COUNT, float(rows)),
        (Metric.IMPORT_BANKS, COUNT, float(banks)),
        (Metric.IMPORT_DURATION, MILLISECONDS, _ms(seconds)),
    ]
    _emit(_document({}, values, {"source": source}))


# Tracing -------------------------------------------------------------------------------------


def annotate(**annotations: str | int) -> None:
    """Indexed X-Ray annotations on the current subsegment (searchable: ``annotation.jobId``)."""
    if tracer.disabled:
        return
    try:
        for key, value in annotations.items():
            tracer.put_annotation(key=key, value=cast(Any, value))
    except Exception:  # a trace is best effort: never a reason for a job or a request to fail
        logs.log(logging.DEBUG, "trace annotation dropped", exc_info=True)


def trace_root(header: str | None) -> str | None:
    """``Root=1-…;Parent=…;Sampled=1`` → ``1-…``."""
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "Root" and value:
            return value
    return None


@contextlib.contextmanager
def _subsegment(name: str) -> Iterator[None]:
    if tracer.disabled:
        yield
        return
    with tracer.provider.in_subsegment(name):
        yield


# Chalice middleware ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Invocation:
    name: str
    context: Any
    correlation_id: str | None = None
    job_id: str | None = None
    upstream: str | None = None


def middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation (routes, workers, the failure queue): log context, one X-Ray
    subsegment with the job's annotations, and the metrics flushed when it ends."""
    invocation = _describe(event)
    found = {
        "correlationId": invocation.correlation_id,
        "jobId": invocation.job_id,
        "upstreamTraceId": invocation.upstream,
    }
    with (
        logs.invocation(invocation.context, invocation.correlation_id),
        _subsegment(invocation.name),
    ):
        annotate(**{key: value for key, value in found.items() if value})
        try:
            return get_response(event)
        finally:
            flush()


def _describe(event: Any) -> _Invocation:
    if isinstance(event, Request):
        request_context = event.context if isinstance(event.context, dict) else {}
        # API Gateway's request id; chalice local and the test client have none, so one is
        # made here, before the route reads it as the job's correlation id.
        request_id = str(request_context.setdefault("requestId", str(uuid.uuid4())))
        route = f"## {event.method} {request_context.get('resourcePath', '')}"
        return _Invocation(route, event.lambda_context, request_id)
    if isinstance(event, LambdaFunctionEvent):
        payload = event.event if isinstance(event.event, dict) else {}
        job_id, correlation = _str(payload.get("jobId")), _str(payload.get("correlationId"))
        name = f"## {getattr(event.context, 'function_name', 'worker')}"
        upstream = trace_root(_str(payload.get("traceHeader")))
        return _Invocation(name, event.context, correlation, job_id, upstream)
    return _Invocation("## event", getattr(event, "context", None))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
