"""The Research overview as the domain sees it: what a job's state is called there, the
filters people choose from, and the counts beside them. Imports no AWS library.

A cancelled job is ``failed`` with ``errorCode`` ``cancelled`` (the API's contract); the
overview counts and filters it as ``cancelled``, apart from the failures, because that is
how people look for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.jobs.model import Caller, ErrorCode, Job, JobType, Status

STATES = ("pending", "running", "completed", "failed", "cancelled")
ACTIVE = "active"  # a filter for pending and running together
STATE_FILTERS = (ACTIVE, *STATES)


def state_of(job: Job) -> str:
    if job.status is Status.FAILED and job.error_code == ErrorCode.CANCELLED:
        return "cancelled"
    return str(job.status)


@dataclass(frozen=True)
class Filters:
    """What the overview shows: a state (or ``active``), a kind, a bank, only mine."""

    state: str | None = None
    type: JobType | None = None
    idrssd: str | None = None
    mine: bool = False

    def admits(self, job: Job, caller: Caller) -> bool:
        if self.state == ACTIVE and not job.active:
            return False
        if self.state not in (None, ACTIVE) and state_of(job) != self.state:
            return False
        if self.type is not None and job.type is not self.type:
            return False
        if self.idrssd is not None and job.idrssd != self.idrssd:
            return False
        return not self.mine or job.started_by == caller.identity


def counts(jobs: Iterable[Job]) -> dict[str, Any]:
    """How many of the jobs are in each state and of each kind."""
    listed = list(jobs)
    by_state = dict.fromkeys(STATES, 0)
    by_type = dict.fromkeys((str(kind) for kind in JobType), 0)
    for job in listed:
        by_state[state_of(job)] += 1
        by_type[str(job.type)] += 1
    return {"total": len(listed), "status": by_state, "type": by_type}
