"""The job's timing rules, as pure functions of a job and the time.

These are the rules the store's condition expressions enforce on writes; readers apply
the same rules here so that what a poll shows and what a start may replace agree.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.jobs.model import Job, JobType, Status

JOB_TTL_SECONDS = 24 * 60 * 60
"""Records expire 24 h after the job finished (or was created, while it is active)."""

LEASE_MARGIN_SECONDS = 60
"""Added to a worker's remaining run time: covers clock skew and the final writes."""

MAX_ATTEMPTS = 3
"""One delivery plus Lambda's two asynchronous retries."""

WORKER_STOPPED = (
    "The worker stopped responding before the job finished. Start the job again to retry."
)
NEVER_CLAIMED = "No worker picked up the job in time. Start the job again to retry."


@dataclass(frozen=True)
class Timing:
    """How long a job may wait for a worker, and how leases are sized."""

    pending_timeout_seconds: int = 300
    lease_margin_seconds: int = LEASE_MARGIN_SECONDS
    ttl_seconds: int = JOB_TTL_SECONDS


def epoch_ms(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)


def expiry_after(epoch_seconds: float, timing: Timing) -> int:
    return math.ceil(epoch_seconds) + timing.ttl_seconds


def new_job(
    idrssd: str, job_type: JobType, params: dict[str, Any], now: float, timing: Timing
) -> Job:
    """A fresh pending job that a worker must claim within the pending timeout."""
    return Job(
        job_id=str(uuid.uuid4()),
        idrssd=idrssd,
        type=job_type,
        status=Status.PENDING,
        progress=0,
        stage="queued",
        message="Waiting for a worker to start",
        attempt=0,
        created_at=now,
        updated_at=now,
        expires_at=expiry_after(now, timing),
        params=params,
        lease_until=epoch_ms(now + timing.pending_timeout_seconds),
    )


def lease_for(now: float, remaining_ms: int, timing: Timing) -> int:
    """A running worker's lease: its remaining run time plus a margin."""
    return epoch_ms(now) + max(int(remaining_ms), 0) + timing.lease_margin_seconds * 1000


def is_expired(job: Job, now: float) -> bool:
    return job.expires_at < now


def lease_lapsed(job: Job, now: float) -> bool:
    return job.active and job.lease_until is not None and job.lease_until < epoch_ms(now)


def as_seen_at(job: Job | None, now: float) -> Job | None:
    """What a reader should see: nothing past the TTL; a dead active job as ``failed``.

    DynamoDB deletes expired items only within days, so expiry is applied on read. An
    active job whose lease (or claim deadline) ran out is shown failed without a write,
    which keeps a poll at one read; a new start may replace it.
    """
    if job is None or is_expired(job, now):
        return None
    if not lease_lapsed(job, now):
        return job
    assert job.lease_until is not None
    died_at = job.lease_until / 1000
    return replace(
        job,
        status=Status.FAILED,
        error=NEVER_CLAIMED if job.status is Status.PENDING else WORKER_STOPPED,
        message=NEVER_CLAIMED if job.status is Status.PENDING else WORKER_STOPPED,
        finished_at=died_at,
        lease_until=None,
    )
