"""Use cases of the job API: start (or join), look up, cancel; and the failure queue's
consumer, which fails a job as soon as Lambda gives up on its event."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import logs
from chalicelib.jobs import overview, rules
from chalicelib.jobs.cursor import Cursor
from chalicelib.jobs.errors import JobLost, WorkerUnavailable
from chalicelib.jobs.events import JobEvents
from chalicelib.jobs.invokers import Invoker
from chalicelib.jobs.limiter import StartLimiter
from chalicelib.jobs.model import Caller, ErrorCode, Job, JobType, WorkerEvent
from chalicelib.jobs.overview import Filters
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

COULD_NOT_START = "The job could not be started just now. Please try again in a minute."
ANYONE = Caller(identity="local")
"""The caller when nobody is identified: the local stack, tests."""


class BankCheck(Protocol):
    def require_data(self, idrssd: str) -> str:
        """Raise ``BankNotFound`` or ``NoBankData``; return the bank's name."""
        ...


@dataclass(frozen=True)
class Overview:
    """A page of the overview: the jobs its filters admit, the counts of all it read, and
    where the next page begins (``None``: no more)."""

    jobs: list[Job]
    counts: dict[str, Any]
    following: Cursor | None


@dataclass(frozen=True)
class StartOutcome:
    job: Job
    created: bool


Prerequisite = Callable[[str], None]
"""Raises a ``DomainError`` when a bank may not start a job of a type yet (a kind declares
its own: ``chalicelib/kinds/``)."""


class JobService:
    def __init__(
        self,
        store: JobStore,
        banks: BankCheck,
        invoker: Invoker,
        prerequisites: Mapping[JobType, Prerequisite] | None = None,
        limiter: StartLimiter | None = None,
        events: JobEvents | None = None,
    ) -> None:
        self._store = store
        self._events = events if events is not None else store.events
        self._banks = banks
        self._invoker = invoker
        self._prerequisites = dict(prerequisites or {})
        self._limiter = limiter

    def start(
        self, idrssd: str, job_type: JobType, params: dict[str, Any], caller: Caller = ANYONE
    ) -> StartOutcome:
        """Start a job for the bank, or join the one already active (single flight)."""
        outcome = self.start_here(idrssd, job_type, params, caller)
        if not outcome.created:
            return outcome
        job = outcome.job
        event = WorkerEvent.for_job(job)
        try:
            self._invoker.invoke(event)
        except Exception as exc:
            log(logging.ERROR, "invoke failed", exc_info=True, jobId=job.job_id)
            self._events.abandoned(event, ErrorCode.NOT_STARTED)
            # Without a run the job would wait out its claim window: fail it now, so that
            # the user can retry at once.
            with contextlib.suppress(Exception):
                self._store.abandon(event, rules.NOT_STARTED[job_type], ErrorCode.NOT_STARTED)
            raise WorkerUnavailable(COULD_NOT_START) from exc
        return StartOutcome(job, created=True)

    def start_here(
        self, idrssd: str, job_type: JobType, params: dict[str, Any], caller: Caller = ANYONE
    ) -> StartOutcome:
        """As ``start``, but a job it creates is for the caller to run (a batch's worker runs
        its banks' jobs itself): no worker is invoked."""
        name = self._banks.require_data(idrssd)
        prerequisite = self._prerequisites.get(job_type)
        if prerequisite is not None:
            prerequisite(idrssd)
        if self._limiter is not None and not caller.admin:
            self._limiter.count(caller)
        job, created = self._store.start(idrssd, job_type, params, caller, name)
        logs.remember_job(job.job_id, job.correlation_id)
        self._events.requested(job, created)
        what = "job started" if created else "job joined"
        log(logging.INFO, what, jobId=job.job_id, type=str(job.type))
        return StartOutcome(job, created)

    def current(self, idrssd: str, job_type: JobType) -> Job | None:
        return self._store.get(idrssd, job_type)

    def recent(
        self,
        limit: int,
        cursor: Cursor | None = None,
        filters: Filters | None = None,
        caller: Caller = ANYONE,
    ) -> Overview:
        """The latest jobs across banks, active first (``JobStore.recent``), or one bank's:
        one ``Query`` either way. Counted before the filters, so that the counts say what
        each filter would show."""
        filters = filters or Filters()
        if filters.idrssd is not None:
            found, following = self._store.of_bank(filters.idrssd), None
        else:
            found, following = self._store.recent(limit, cursor)
        shown = [job for job in found if filters.admits(job, caller)]
        return Overview(shown, overview.counts(found), following)

    def cancel(self, idrssd: str, job_type: JobType, caller: Caller = ANYONE) -> Job:
        """Cancel the bank's active job, if ``caller`` started it (or is an admin)."""
        job = self._store.cancel(idrssd, job_type, caller)
        self._events.cancelled(job)
        log(logging.INFO, "job cancelled", jobId=job.job_id, type=str(job.type))
        return job


# Lambda's on-failure destination ------------------------------------------------------------

# Lambda's destination record names why it gave up on an event.
GAVE_UP = {
    "RetriesExhausted": (rules.RETRIES_EXHAUSTED, ErrorCode.RETRIES_EXHAUSTED),
    "EventAgeExceeded": (rules.NOT_STARTED, ErrorCode.NOT_STARTED),
}


def record_failed_delivery(store: JobStore, record: Any) -> str:
    """Fail the job of an event Lambda gave up on, unless a live run still holds it; the
    store's ``events`` hear of it.

    ``record`` is Lambda's destination record (``requestContext``, ``requestPayload``…).
    Returns what was done: ``failed``, ``ignored`` (the job finished, was replaced, or is
    held by a live run) or ``malformed``. Idempotent: SQS delivers at least once too.
    """
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    event = WorkerEvent.from_payload(payload)
    if event is None:
        log(logging.ERROR, "failure record rejected", record=str(record)[:500])
        return "malformed"
    logs.remember_job(event.job_id, event.correlation_id)  # the consumer's lines carry it
    context = record.get("requestContext") or {}
    condition = str(context.get("condition", ""))
    sentences, code = GAVE_UP.get(condition, GAVE_UP["RetriesExhausted"])
    try:
        store.abandon(event, sentences[event.type], code, str(context.get("requestId") or ""))
    except JobLost as lost:
        log(logging.INFO, "failure record ignored", jobId=event.job_id, reason=lost.reason)
        return "ignored"
    log(logging.WARNING, "job failed: Lambda gave up", jobId=event.job_id, condition=condition)
    store.events.abandoned(event, code)
    return "failed"
