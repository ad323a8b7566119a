"""The job record as the domain sees it. Imports no AWS library."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.clock import iso


class JobType(StrEnum):
    REPORT = "report"
    PODCAST = "podcast"


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = frozenset({Status.PENDING, Status.RUNNING})
TERMINAL_STATUSES = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})


@dataclass(frozen=True)
class Job:
    """The current job of one bank and type.

    Times are epoch seconds except ``lease_until`` (epoch milliseconds, as stored).
    ``lease_until`` is the claim deadline while pending and the worker's lease while
    running; terminal jobs have none.
    """

    job_id: str
    idrssd: str
    type: JobType
    status: Status
    progress: int
    stage: str
    message: str
    attempt: int
    created_at: float
    updated_at: float
    expires_at: int
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    lease_until: int | None = None
    result: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def to_api(self) -> dict[str, Any]:
        """The job as the HTTP API shows it: camelCase and ISO times, as the seed's client reads."""
        return {
            "jobId": self.job_id,
            "idrssd": self.idrssd,
            "type": str(self.type),
            "status": str(self.status),
            "progress": self.progress,
            "stage": self.stage,
            "message": self.message,
            "error": self.error,
            "params": self.params,
            "attempt": self.attempt,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "startedAt": _iso_or_none(self.started_at),
            "finishedAt": _iso_or_none(self.finished_at),
            "expiresAt": iso(self.expires_at),
            "result": self.result,
        }


def _iso_or_none(epoch_seconds: float | None) -> str | None:
    return None if epoch_seconds is None else iso(epoch_seconds)


@dataclass(frozen=True)
class WorkerEvent:
    """The payload a worker receives: small, well under Lambda's async limit."""

    job_id: str
    idrssd: str
    type: JobType
    params: dict[str, Any]

    def to_payload(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "idrssd": self.idrssd,
            "type": str(self.type),
            "params": self.params,
        }

    @classmethod
    def for_job(cls, job: Job) -> WorkerEvent:
        return cls(job_id=job.job_id, idrssd=job.idrssd, type=job.type, params=job.params)
