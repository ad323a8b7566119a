"""The worker protocol: claim → pipeline with progress → complete, or fail with a sentence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock
from chalicelib.jobs.errors import ClaimRejected, JobFailed, JobLost
from chalicelib.jobs.model import Job, JobType
from chalicelib.jobs.pipelines import DONE_MESSAGE, NOT_AVAILABLE, PipelineRegistry
from chalicelib.jobs.progress import MIN_WRITE_INTERVAL_SECONDS, ProgressReporter
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

UNEXPECTED = {
    JobType.REPORT: "Something went wrong while generating the report. Please try again.",
    JobType.PODCAST: "Something went wrong while generating the podcast. Please try again.",
}


@dataclass(frozen=True)
class Outcome:
    """What one delivery did, for logs and tests."""

    job_id: str
    result: str  # "completed" | "failed" | "skipped" | "lost" | "rejected"
    detail: str = ""


class JobRunner:
    """Runs one worker delivery. Never raises: Lambda would retry an exception."""

    def __init__(
        self,
        store: JobStore,
        pipelines: PipelineRegistry,
        clock: Clock,
        progress_interval: float = MIN_WRITE_INTERVAL_SECONDS,
    ) -> None:
        self._store = store
        self._pipelines = pipelines
        self._clock = clock
        self._progress_interval = progress_interval

    def handle(self, payload: Any, remaining_ms: int) -> Outcome:
        event = _parse_event(payload)
        if event is None:
            log(logging.ERROR, "worker event rejected", payload=str(payload)[:500])
            return Outcome(job_id="", result="rejected", detail="malformed event")
        job_id, idrssd, job_type = event
        try:
            job = self._store.claim(job_id, idrssd, job_type, remaining_ms)
        except ClaimRejected as rejected:
            # At-least-once delivery: a duplicate or late event does nothing.
            log(logging.INFO, "delivery skipped", jobId=job_id, reason=rejected.reason)
            return Outcome(job_id, "skipped", rejected.reason)
        log(logging.INFO, "job claimed", jobId=job_id, type=str(job_type), attempt=job.attempt)
        return self._run(job)

    def _run(self, job: Job) -> Outcome:
        pipeline = self._pipelines.get(job.type)
        try:
            if pipeline is None:
                raise JobFailed(NOT_AVAILABLE[job.type])
            reporter = ProgressReporter(self._store, job, self._clock, self._progress_interval)
            result = pipeline(job, reporter)
            self._store.complete(job, result, DONE_MESSAGE[job.type])
        except JobLost as lost:
            log(logging.INFO, "job lost; worker stops", jobId=job.job_id, reason=lost.reason)
            return Outcome(job.job_id, "lost", lost.reason)
        except JobFailed as failed:
            log(logging.INFO, "job failed", jobId=job.job_id, error=failed.message)
            return self._fail(job, failed.message)
        except Exception as exc:
            log(
                logging.ERROR,
                "job failed unexpectedly",
                exc_info=True,
                jobId=job.job_id,
                type=str(job.type),
                exceptionType=type(exc).__name__,
            )
            return self._fail(job, UNEXPECTED[job.type])
        log(logging.INFO, "job completed", jobId=job.job_id, writes=reporter.writes)
        return Outcome(job.job_id, "completed")

    def _fail(self, job: Job, sentence: str) -> Outcome:
        try:
            self._store.fail(job.job_id, job.idrssd, job.type, sentence)
        except JobLost as lost:
            return Outcome(job.job_id, "lost", lost.reason)
        return Outcome(job.job_id, "failed", sentence)


def _parse_event(payload: Any) -> tuple[str, str, JobType] | None:
    if not isinstance(payload, dict):
        return None
    job_id, idrssd, job_type = payload.get("jobId"), payload.get("idrssd"), payload.get("type")
    if not (isinstance(job_id, str) and isinstance(idrssd, str) and isinstance(job_type, str)):
        return None
    if job_type not in {str(kind) for kind in JobType}:
        return None
    return job_id, idrssd, JobType(job_type)
