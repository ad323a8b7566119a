"""Failures of the job protocol itself (as opposed to a pipeline's domain errors)."""

from __future__ import annotations

from chalicelib.errors import DomainError


class JobFailed(DomainError):
    """A pipeline's expected failure: the job fails with this sentence, shown to users."""

    code = "job_failed"


class JobLost(Exception):
    """This worker no longer owns the job (cancelled, superseded or finished): stop quietly."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id} is no longer ours: {reason}")
        self.job_id = job_id
        self.reason = reason


class ProgressWentBackwards(ValueError):
    """A progress write below the stored value: refused, the stored progress stays."""


class ClaimRejected(Exception):
    """A delivery that cannot claim its job (already claimed, finished or replaced)."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id} cannot be claimed: {reason}")
        self.job_id = job_id
        self.reason = reason
