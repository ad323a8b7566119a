"""Every error of the job protocol and the job API, in one module.

``DomainError`` subclasses reach people (the HTTP layer maps them to a status); the plain
exceptions are the worker's control flow (docs/ARCHITECTURE.md, "Worker protocol").
"""

from __future__ import annotations

from chalicelib.errors import DomainError
from chalicelib.jobs.model import Job
from chalicelib.jobs.rules import Refusal


class JobFailed(DomainError):
    """A pipeline's expected failure: the job fails with this sentence, shown to users, and
    its ``code`` becomes the job's ``errorCode``."""

    code = "job_failed"


class NoActiveJob(DomainError):
    code = "no_active_job"


class NotYourJob(DomainError):
    """Only the caller who started a job, or an admin, may cancel it."""

    code = "not_your_job"


class StartLimited(DomainError):
    """Too many starts from one caller in a minute; ``retry_after`` seconds to wait."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkerUnavailable(DomainError):
    """The job was recorded but could not be handed over to run."""

    code = "worker_unavailable"


class JobLost(Exception):
    """This run no longer owns the job (cancelled, superseded, finished): stop quietly.
    ``old`` is the job as the refused write found it, when known."""

    def __init__(self, job_id: str, reason: str, old: Job | None = None) -> None:
        super().__init__(f"job {job_id} is no longer ours: {reason}")
        self.job_id = job_id
        self.reason = reason
        self.old = old


class ClaimRejected(Exception):
    """A delivery that may not claim its job; ``refusal`` says why and so what the delivery
    does next."""

    def __init__(self, job_id: str, refusal: Refusal) -> None:
        super().__init__(f"job {job_id} cannot be claimed: {refusal}")
        self.job_id = job_id
        self.refusal = refusal


class Redeliver(Exception):
    """Raised out of the worker's handler so that Lambda retries the delivery later: another
    run holds a live lease, or this run could not record its outcome."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id}: retry this delivery later ({reason})")
        self.job_id = job_id
        self.reason = reason


class ProgressWentBackwards(ValueError):
    """A progress write below the stored value: refused, the stored progress stays."""
