"""Use cases of the job API: start (or join), look up, cancel."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.errors import WorkerUnavailable
from chalicelib.invokers import Invoker
from chalicelib.jobs.errors import JobLost
from chalicelib.jobs.model import Job, JobType, WorkerEvent
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

COULD_NOT_START = "The job could not be handed to a worker. Please try again in a minute."


class BankCheck(Protocol):
    def require_data(self, idrssd: str) -> str:
        """Raise ``BankNotFound`` or ``NoBankData``; return the bank's name."""
        ...


@dataclass(frozen=True)
class StartOutcome:
    job: Job
    created: bool


Prerequisite = Callable[[str], None]
"""Raises a ``DomainError`` when a bank may not start a job of a type yet (a podcast
needs a finished report)."""


class JobService:
    def __init__(
        self,
        store: JobStore,
        banks: BankCheck,
        invoker: Invoker,
        prerequisites: Mapping[JobType, Prerequisite] | None = None,
    ) -> None:
        self._store = store
        self._banks = banks
        self._invoker = invoker
        self._prerequisites = dict(prerequisites or {})

    def start(self, idrssd: str, job_type: JobType, params: dict[str, Any]) -> StartOutcome:
        """Start a job for the bank, or join the one already active (single flight)."""
        self._banks.require_data(idrssd)
        prerequisite = self._prerequisites.get(job_type)
        if prerequisite is not None:
            prerequisite(idrssd)
        job, created = self._store.start(idrssd, job_type, params)
        if not created:
            return StartOutcome(job, created=False)
        try:
            self._invoker.invoke(WorkerEvent.for_job(job))
        except Exception as exc:
            log(logging.ERROR, "invoke failed", exc_info=True, jobId=job.job_id)
            # Without a worker the job would sit pending until its claim deadline: fail it
            # now so that the user can retry at once.
            with contextlib.suppress(JobLost):
                self._store.fail(job.job_id, idrssd, job_type, COULD_NOT_START)
            raise WorkerUnavailable(COULD_NOT_START) from exc
        return StartOutcome(job, created=True)

    def current(self, idrssd: str, job_type: JobType) -> Job | None:
        return self._store.get(idrssd, job_type)

    def cancel(self, idrssd: str, job_type: JobType) -> Job:
        return self._store.cancel(idrssd, job_type)
