"""The job's state machine: each transition's rule as a pure function beside the DynamoDB
condition that enforces it on the write (docs/ARCHITECTURE.md, "The job state machine").

::

    no job, finished, expired or dead
        │ start
        ▼
    pending ── claim ──▶ running ── complete ──▶ completed
       │                  │  ▲ progress, heartbeat (owner's writes extend the lease)
       │                  │  └ claim again (a retry) after release or a lapsed lease
       │                  ├─ fail (owner) ──────▶ failed
       │                  └─ release ─▶ running with no owner
       ├─ cancel ─────────┴─ cancel ───────────▶ failed, errorCode cancelled
       └─ abandon (Lambda gave up, or no hand-over) ─▶ failed

A reader never waits for a write to learn that a job died: ``as_seen_at`` shows a dead job
(past its claim window; or past its lease with no attempt left, or past its lease and the
retry grace) as ``failed``, and ``start`` may replace it. Between a lapsed lease and death
the job reads "running, trying again": a claim may take it over then, or once its owner
released it, while attempts are left — Lambda's retry of a run that crashed, timed out, or
could not record its outcome. So nothing a reader saw fail ever comes back to life.

The store (``chalicelib/jobs/store.py``) only translates these conditions into calls; the
pure functions are what the reader, the worker and the property tests use.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeGuard

from chalicelib.jobs import failures
from chalicelib.jobs.model import Caller, ErrorCode, Job, JobType, Publication, Status

JOB_TTL_SECONDS = 24 * 60 * 60
"""Records expire 24 h after the job finished (or was created, while it is active)."""


@dataclass(frozen=True)
class Timing:
    """How long claims and leases last. ``max_event_age_seconds`` must equal the workers'
    ``MaximumEventAgeInSeconds`` in ``infra/resources.json`` (a test holds them equal)."""

    lease_seconds: int = 90
    heartbeat_seconds: int = 30
    max_event_age_seconds: int = 2400
    claim_margin_seconds: int = 60
    retry_grace_seconds: int = 150
    ttl_seconds: int = JOB_TTL_SECONDS
    max_attempts: int = 3  # one delivery plus Lambda's two asynchronous retries

    @property
    def claim_window_seconds(self) -> int:
        """A pending job is not dead while Lambda may still deliver its event: Lambda keeps
        an event (throttled or waiting for concurrency) up to its maximum age."""
        return self.max_event_age_seconds + self.claim_margin_seconds

    # ``retry_grace_seconds``: a running job whose lease lapsed is not dead while Lambda may
    # still retry its event. Lambda retries a failed run about 60 s and then 120 s later;
    # the first retry usually meets a lease that still holds (it lasts 90 s from the last
    # write), so the second, ~180 s after the failure, is the one that claims. A lease ends
    # at least 60 s after the failure (heartbeats every 30 s), so 180 - 60 = 120 s after
    # the lease, plus a margin, covers it: 150 s.


# Sentences people see, from the one table of failure words (``failures.json``).
NOT_STARTED = failures.by_type(ErrorCode.NOT_STARTED)
WORKER_LOST = failures.by_type(ErrorCode.WORKER_LOST)
RETRIES_EXHAUSTED = failures.by_type(ErrorCode.RETRIES_EXHAUSTED)
BUSY = failures.by_type(ErrorCode.BUSY)
CANCELLED = failures.by_type(ErrorCode.CANCELLED)
CANCELLED_BY_ADMIN = failures.by_type(ErrorCode.CANCELLED, variant="by_admin")
QUEUED_MESSAGE = "Queued"
STARTING_MESSAGE = "Starting"
RETRYING_MESSAGE = "Interrupted; trying again shortly"


def epoch_ms(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)


def expiry_after(epoch_seconds: float, timing: Timing) -> int:
    return math.ceil(epoch_seconds) + timing.ttl_seconds


def new_job_id(now: float) -> str:
    """A UUIDv7 (RFC 9562): random, yet sorted by creation time, so that a bank's history
    items (``HISTORY#{type}#{jobId}``) list in order with one ``Query``."""
    value = (epoch_ms(now) & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | int.from_bytes(os.urandom(10), "big") & ((1 << 76) - 1)
    value = value & ~(0x3 << 62) | (0x2 << 62)  # the RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_delivery_token(request_id: str) -> str:
    """This run's token: the Lambda request id (for the logs) plus a nonce, because Lambda's
    retries of one event keep its request id, and a retry must not pass for its predecessor."""
    return f"{request_id}/{uuid.uuid4().hex[:12]}"


def new_job(
    idrssd: str,
    job_type: JobType,
    params: dict[str, Any],
    now: float,
    timing: Timing,
    caller: Caller | None = None,
    bank_name: str | None = None,
) -> Job:
    """A fresh pending job that a run must claim within the claim window."""
    return Job(
        bank_name=bank_name,
        started_by=None if caller is None else caller.identity,
        correlation_id=None if caller is None else caller.correlation_id or None,
        job_id=new_job_id(now),
        idrssd=idrssd,
        type=job_type,
        status=Status.PENDING,
        progress=0,
        stage="queued",
        message=QUEUED_MESSAGE,
        attempt=0,
        created_at=now,
        updated_at=now,
        expires_at=expiry_after(now, timing),
        params=params,
        lease_until=epoch_ms(now + timing.claim_window_seconds),
        max_attempts=timing.max_attempts,
        heartbeat_seconds=timing.heartbeat_seconds,
        lease_seconds=timing.lease_seconds,
    )


def lease_from(now: float, timing: Timing) -> int:
    """A running job's lease after an owned write: short, and renewed by every write."""
    return epoch_ms(now + timing.lease_seconds)


# Named parts of the conditions, each beside the pure test it mirrors -----------------------

NO_ITEM = "attribute_not_exists(#pk)"  # job is None
IS_ACTIVE = "#status IN (:pending, :running)"  # job.active
IS_TERMINAL = "NOT (#status IN (:pending, :running))"  # not job.active
IS_EXPIRED = "#expiresAt < :nowSeconds"  # is_expired
IS_LIVE = "#expiresAt >= :nowSeconds"  # not is_expired
LEASE_LAPSED = "#leaseUntil < :nowMs"  # lease_lapsed
LEASE_HOLDS = "#leaseUntil >= :nowMs"  # not lease_lapsed
IS_MINE = "#jobId = :jobId"  # job.job_id == job_id
IS_PENDING = "#status = :pending"
IS_RUNNING = "#status = :running"
MY_DELIVERY = "#delivery = :delivery"  # job.delivery == token
NO_OWNER = "attribute_not_exists(#delivery)"  # job.delivery is None (released)
ATTEMPTS_LEFT = "#attempt < :maxAttempts"
NOT_BACKWARDS = "#progress <= :progress"
WITHIN_GRACE = "#leaseUntil >= :graceFloorMs"  # lapsed less than the retry grace ago
# Dead: nothing can claim it any more — a pending job past its claim window, a running one
# past its lease with no attempts left, or past its lease and the retry grace.
DEAD = (
    "(#leaseUntil < :nowMs AND (#status = :pending OR #attempt >= :maxAttempts))"
    " OR #leaseUntil < :graceFloorMs"
)


def is_expired(job: Job, now: float) -> bool:
    return job.expires_at < now


def lease_lapsed(job: Job, now: float) -> bool:
    return job.active and job.lease_until is not None and job.lease_until < epoch_ms(now)


def grace_floor_ms(now: float, timing: Timing) -> int:
    return epoch_ms(now - timing.retry_grace_seconds)


def is_dead(job: Job, now: float, timing: Timing) -> bool:
    """Nothing can claim it any more: readers see it failed and a start may replace it."""
    if not lease_lapsed(job, now):
        return False
    assert job.lease_until is not None
    no_retry_left = job.status is Status.PENDING or job.attempt >= timing.max_attempts
    return no_retry_left or job.lease_until < grace_floor_ms(now, timing)


# Transitions ---------------------------------------------------------------------------------

# Single flight: a start writes only where no job is active — no item, a finished one, one
# past its TTL, or a dead one.
START = f"{NO_ITEM} OR {IS_TERMINAL} OR {IS_EXPIRED} OR {DEAD}"


def may_start_over(job: Job | None, now: float, timing: Timing) -> bool:
    if job is None or not job.active or is_expired(job, now):
        return True
    return is_dead(job, now, timing)


# Claim once: only the job this event names, while live; pending within its claim window,
# or running with no live owner (its lease lapsed within the retry grace, or its owner
# released it) and attempts left — a retry of a run that crashed, timed out or could not
# record its outcome.
CLAIM = (
    f"{IS_MINE} AND {IS_LIVE} AND (({IS_PENDING} AND {LEASE_HOLDS}) OR "
    f"({IS_RUNNING} AND ({LEASE_LAPSED} OR {NO_OWNER}) AND {ATTEMPTS_LEFT} AND {WITHIN_GRACE}))"
)


def may_claim(job: Job | None, job_id: str, now: float, timing: Timing) -> bool:
    if job is None or job.job_id != job_id or is_expired(job, now):
        return False
    if job.status is Status.PENDING:
        return not lease_lapsed(job, now)
    unowned = lease_lapsed(job, now) or job.delivery is None
    return (
        job.status is Status.RUNNING
        and unowned
        and job.attempt < timing.max_attempts
        and not is_dead(job, now, timing)
    )


# Ownership: only the run that claimed the job (its jobId and delivery token) writes to it,
# and only while it runs and is not dead — once readers were shown it failed, not even its
# owner may bring it back. Progress, heartbeat, release, complete and fail all need this.
OWNED = f"{IS_MINE} AND {IS_RUNNING} AND {MY_DELIVERY} AND NOT ({DEAD})"


def held_by(job: Job | None, job_id: str, token: str) -> TypeGuard[Job]:
    """The job is this run's: its id, running, under its delivery token (dead or not)."""
    return (
        job is not None
        and job.job_id == job_id
        and job.status is Status.RUNNING
        and job.delivery == token
    )


def owns(job: Job | None, job_id: str, token: str, now: float, timing: Timing) -> bool:
    return held_by(job, job_id, token) and not is_dead(job, now, timing)


# Stalled by the datastore: the run still owns its job and is alive, but the job died by
# time alone because the datastore would not take the run's heartbeats (a stall that
# outlasted the lease and the retry grace). Readers may already see it failed, so it stays
# failed; the run records the cause as the datastore's (``busy``), never ``worker_lost``.
STALLED = f"{IS_MINE} AND {IS_RUNNING} AND {MY_DELIVERY} AND ({DEAD})"


def died_while_owned(job: Job | None, job_id: str, token: str, now: float, timing: Timing) -> bool:
    return held_by(job, job_id, token) and is_dead(job, now, timing)


# Monotonic progress: the owner reports, never going back.
PROGRESS = f"{OWNED} AND {NOT_BACKWARDS}"

# Abandon: a job nobody runs any more is failed — Lambda gave up on its event (the
# failure queue's consumer), its start could not hand it over, or a retry found its
# attempts used up. Pending, or running with no live owner; or owned by the very request
# Lambda gave up on (its last execution has ended, though its lease has not run out).
ABANDON = (
    f"{IS_MINE} AND ({IS_PENDING} OR ({IS_RUNNING} AND "
    f"({LEASE_LAPSED} OR {NO_OWNER} OR #requestId = :requestId)))"
)


def is_abandoned(job: Job | None, job_id: str, now: float, request_id: str = "") -> bool:
    if job is None or job.job_id != job_id:
        return False
    if job.status is Status.PENDING:
        return True
    ended = lease_lapsed(job, now) or job.delivery is None or job.request_id == request_id
    return job.status is Status.RUNNING and ended


# Cancel: only a live active job (a dead one already reads as failed), and only by the
# caller who started it or an admin; a job from before owners were recorded, by anyone.
STARTED_BY_CALLER = "(attribute_not_exists(#startedBy) OR #startedBy = :identity OR :admin = :yes)"
CANCEL = f"{IS_ACTIVE} AND {IS_LIVE} AND NOT ({DEAD}) AND {STARTED_BY_CALLER}"


def may_cancel(job: Job | None, now: float, timing: Timing) -> bool:
    if job is None or not job.active or is_expired(job, now):
        return False
    return not is_dead(job, now, timing)


def may_be_cancelled_by(job: Job, caller: Caller) -> bool:
    return caller.admin or job.started_by is None or job.started_by == caller.identity


# Publishing: a completion publishes its artifact as the bank's latest only over an older
# job's (or none): a slow run that finishes after a newer job never replaces it.
NOT_NEWER = "attribute_not_exists(#pk) OR #jobCreatedAt <= :jobCreatedAt"


def publishes_over(latest: Publication | None, candidate: Publication) -> bool:
    """Whether ``candidate`` may become the latest where ``latest`` is (``NOT_NEWER``)."""
    if latest is None:
        return True
    return epoch_ms(latest.job_created_at) <= epoch_ms(candidate.job_created_at)


# Fair limits: a caller may send at most ``limit`` starts in each clock minute (joins
# count too: they cost a write and an answer all the same). One counter item per caller
# and minute, expiring soon after.
UNDER_LIMIT = "attribute_not_exists(#starts) OR #starts < :limit"
START_WINDOW_SECONDS = 60


def start_window(now: float) -> int:
    """The epoch second at which the current one-minute window began."""
    return int(now) // START_WINDOW_SECONDS * START_WINDOW_SECONDS


def seconds_to_next_window(now: float) -> int:
    return max(1, math.ceil(start_window(now) + START_WINDOW_SECONDS - now))


# Why a claim was refused, from the old item the failed write returned ----------------------


class Refusal(Enum):
    MINE = "this delivery already claimed it"  # a retried claim whose response was lost
    CONTENDED = "another run holds a live lease"  # raise: Lambda retries later
    EXHAUSTED = "its attempts are used up"  # fail it as abandoned, then stop quietly
    GONE = "it is finished, cancelled, replaced or expired"  # stop quietly


def claim_refusal(old: Job | None, job_id: str, token: str, now: float, timing: Timing) -> Refusal:
    if old is not None and owns(old, job_id, token, now, timing):
        return Refusal.MINE
    if old is None or old.job_id != job_id or not old.active or is_expired(old, now):
        return Refusal.GONE
    if old.status is Status.PENDING:
        return Refusal.GONE  # past its claim window: readers already see it failed
    if not lease_lapsed(old, now) and old.delivery is not None:
        return Refusal.CONTENDED
    if old.attempt >= timing.max_attempts:
        return Refusal.EXHAUSTED
    return Refusal.GONE  # dead past the retry grace: readers already see it failed


# What a reader sees --------------------------------------------------------------------------


def as_seen_at(job: Job | None, now: float, timing: Timing) -> Job | None:
    """Nothing past the TTL; a dead job as ``failed``; one waiting for Lambda's retry as
    still running, saying so.

    DynamoDB deletes expired items only within days, so expiry is applied on read. A dead
    job is shown failed without a write, which keeps a poll at one read; it is dead only
    once nothing can claim it, so a reader never sees a job fail that a retry then finishes.
    """
    if job is None or is_expired(job, now):
        return None
    if not lease_lapsed(job, now):
        return job
    if not is_dead(job, now, timing):
        return replace(job, message=RETRYING_MESSAGE)
    assert job.lease_until is not None
    never_claimed = job.status is Status.PENDING
    sentence = (NOT_STARTED if never_claimed else WORKER_LOST)[job.type]
    return replace(
        job,
        status=Status.FAILED,
        error=sentence,
        error_code=ErrorCode.NOT_STARTED if never_claimed else ErrorCode.WORKER_LOST,
        message=sentence,
        finished_at=job.lease_until / 1000,
        lease_until=None,
        delivery=None,
    )


def stuck(stored: Job, shown: Job) -> bool:
    """Whether a reader found an active job that nothing can claim any more: stored active,
    shown failed because its lease or claim window ran out."""
    return stored.active and not shown.active
