"""The job state machine's pure rules: what a reader sees, and who may write, at a time."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib.jobs import rules
from chalicelib.jobs.model import ErrorCode, Job, JobType, Publication, Status
from chalicelib.jobs.rules import Refusal, Timing
from tests.fakes import T0

TIMING = rules.Timing()
REPORT = JobType.REPORT


def pending() -> Job:
    return replace(rules.new_job("1", REPORT, {}, T0, TIMING), job_id="job-1")


def running(token: str | None = "tok", lease_seconds: float = 90, attempt: int = 1) -> Job:
    return replace(
        pending(),
        status=Status.RUNNING,
        attempt=attempt,
        delivery=token,
        lease_until=rules.epoch_ms(T0 + lease_seconds),
    )


def test_records_expire_a_day_after_they_end() -> None:
    # Pinned as a number, not the code's own constant: a change to 7 days must fail here.
    assert rules.JOB_TTL_SECONDS == 86_400
    assert pending().expires_at == int(T0) + 86_400
    assert rules.expiry_after(T0 + 0.5, TIMING) == int(T0) + 1 + 86_400


def test_the_default_lease_heartbeat_and_retry_grace() -> None:
    assert (TIMING.lease_seconds, TIMING.heartbeat_seconds) == (90, 30)
    assert TIMING.max_attempts == 3
    # Lambda's second retry comes ~180 s after a failure, at most 120 s after the lease.
    assert TIMING.retry_grace_seconds >= 180 - (TIMING.lease_seconds - TIMING.heartbeat_seconds)


def test_a_new_job_waits_as_long_as_lambda_keeps_its_event() -> None:
    job = pending()
    assert job.status is Status.PENDING and job.progress == 0 and job.attempt == 0
    assert job.message == "Queued"
    assert job.lease_until == rules.epoch_ms(T0 + 2400 + 60)


def test_job_ids_are_uuid7_and_sort_by_creation_time() -> None:
    ids = [rules.new_job_id(T0 + step) for step in range(0, 50_000, 997)]
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert len({rules.new_job_id(T0) for _ in range(100)}) == 100


def test_delivery_tokens_differ_for_the_same_request_id() -> None:
    first, second = rules.new_delivery_token("req-1"), rules.new_delivery_token("req-1")
    assert first != second and first.startswith("req-1/")


def test_a_queued_job_reads_pending_until_its_claim_window_ends() -> None:
    job = pending()
    assert rules.as_seen_at(job, T0 + 2_000, TIMING) == job  # a backlog is not death
    unclaimed = rules.as_seen_at(job, T0 + 2_461, TIMING)
    assert unclaimed is not None and unclaimed.status is Status.FAILED
    assert unclaimed.error_code == ErrorCode.NOT_STARTED
    assert unclaimed.error == rules.NOT_STARTED[REPORT]
    assert rules.as_seen_at(job, T0 + 86_401, TIMING) is None
    assert rules.as_seen_at(None, T0, TIMING) is None


def test_a_lapsed_lease_waits_for_lambdas_retry_then_dies() -> None:
    job = running(lease_seconds=90)
    assert rules.as_seen_at(job, T0 + 89, TIMING) == job
    waiting = rules.as_seen_at(job, T0 + 91, TIMING)  # a retry may still claim it
    assert waiting is not None and waiting.status is Status.RUNNING
    assert waiting.message == "Interrupted; trying again shortly"
    assert rules.as_seen_at(job, T0 + 90 + 150, TIMING).status is Status.RUNNING  # type: ignore[union-attr]
    dead = rules.as_seen_at(job, T0 + 90 + 151, TIMING)
    assert dead is not None and dead.status is Status.FAILED
    assert dead.error_code == ErrorCode.WORKER_LOST and dead.finished_at == T0 + 90
    assert "stopped making progress" in (dead.error or "")


def test_a_lapsed_lease_with_no_attempt_left_is_dead_at_once() -> None:
    dead = rules.as_seen_at(running(attempt=3), T0 + 91, TIMING)
    assert dead is not None and dead.status is Status.FAILED


def test_finished_jobs_have_no_lease_to_lapse() -> None:
    done = replace(pending(), status=Status.COMPLETED, progress=100, lease_until=None)
    assert rules.as_seen_at(done, T0 + 3_600, TIMING) == done


def test_who_may_start_over() -> None:
    assert rules.may_start_over(None, T0, TIMING)
    assert not rules.may_start_over(pending(), T0, TIMING)
    assert rules.may_start_over(pending(), T0 + 2_461, TIMING)
    assert not rules.may_start_over(running(), T0 + 10, TIMING)
    assert not rules.may_start_over(running(), T0 + 91, TIMING)  # a retry is coming
    assert rules.may_start_over(running(), T0 + 241, TIMING)
    assert rules.may_start_over(replace(running(), status=Status.FAILED), T0, TIMING)


def test_who_may_claim() -> None:
    job = pending()
    assert rules.may_claim(job, job.job_id, T0, TIMING)
    assert not rules.may_claim(job, "other", T0, TIMING)
    assert not rules.may_claim(job, job.job_id, T0 + 2_461, TIMING)
    live = running()
    assert not rules.may_claim(live, live.job_id, T0 + 10, TIMING)
    assert rules.may_claim(live, live.job_id, T0 + 91, TIMING)  # its run died
    assert not rules.may_claim(live, live.job_id, T0 + 241, TIMING)  # too late: dead
    assert rules.may_claim(running(token=None), live.job_id, T0 + 10, TIMING)  # released
    assert not rules.may_claim(running(attempt=3), live.job_id, T0 + 91, TIMING)


def test_only_the_owning_delivery_writes() -> None:
    job = running(token="mine")
    assert rules.owns(job, job.job_id, "mine", T0, TIMING)
    assert not rules.owns(job, job.job_id, "theirs", T0, TIMING)
    assert not rules.owns(job, "other-job", "mine", T0, TIMING)
    assert not rules.owns(replace(job, status=Status.FAILED), job.job_id, "mine", T0, TIMING)
    assert rules.owns(job, job.job_id, "mine", T0 + 91, TIMING)  # lapsed, a retry may come
    # Dead: readers were shown it failed, so not even its owner may write to it (found by
    # the soak: a run whose lease lapsed long ago came back and completed it).
    assert not rules.owns(job, job.job_id, "mine", T0 + 241, TIMING)


def test_what_counts_as_abandoned() -> None:
    assert rules.is_abandoned(pending(), pending().job_id, T0)
    live = running()
    assert not rules.is_abandoned(live, live.job_id, T0 + 10)
    assert rules.is_abandoned(live, live.job_id, T0 + 91)
    assert rules.is_abandoned(running(token=None), live.job_id, T0 + 10)
    assert not rules.is_abandoned(replace(live, status=Status.COMPLETED), live.job_id, T0 + 91)
    # The request Lambda gave up on owned it: its last execution has ended.
    owned = replace(live, request_id="req-9")
    assert rules.is_abandoned(owned, live.job_id, T0 + 10, request_id="req-9")
    assert not rules.is_abandoned(owned, live.job_id, T0 + 10, request_id="req-other")


def test_why_a_claim_was_refused() -> None:
    job = running(token="tok")
    assert rules.claim_refusal(job, job.job_id, "tok", T0, TIMING) is Refusal.MINE
    assert rules.claim_refusal(job, job.job_id, "new", T0 + 10, TIMING) is Refusal.CONTENDED
    exhausted = running(attempt=3)
    assert rules.claim_refusal(exhausted, job.job_id, "new", T0 + 91, TIMING) is Refusal.EXHAUSTED
    assert rules.claim_refusal(None, job.job_id, "new", T0, TIMING) is Refusal.GONE
    finished = replace(job, status=Status.FAILED)
    assert rules.claim_refusal(finished, job.job_id, "new", T0, TIMING) is Refusal.GONE
    assert rules.claim_refusal(job, "older-job", "new", T0, TIMING) is Refusal.GONE
    assert rules.claim_refusal(job, job.job_id, "new", T0 + 241, TIMING) is Refusal.GONE


def test_a_cancel_needs_a_job_that_is_not_dead() -> None:
    assert rules.may_cancel(pending(), T0, TIMING)
    assert rules.may_cancel(running(), T0 + 10, TIMING)
    assert rules.may_cancel(running(), T0 + 91, TIMING)  # waiting for a retry
    assert not rules.may_cancel(running(), T0 + 241, TIMING)
    assert not rules.may_cancel(replace(running(), status=Status.COMPLETED), T0, TIMING)


def test_a_job_keeps_the_timing_it_was_started_under() -> None:
    """Items from before the job kept its timing read with ``Job``'s defaults: those of
    ``Timing``; a new job records the timing it runs under."""
    from dataclasses import fields

    defaults = {spec.name: spec.default for spec in fields(Job)}
    timing = Timing()
    assert (defaults["max_attempts"], defaults["heartbeat_seconds"], defaults["lease_seconds"]) == (
        timing.max_attempts,
        timing.heartbeat_seconds,
        timing.lease_seconds,
    )
    short = Timing(lease_seconds=6, heartbeat_seconds=2)
    job = rules.new_job("1", JobType.REPORT, {}, 1_000.0, short)
    assert (job.max_attempts, job.heartbeat_seconds, job.lease_seconds) == (3, 2, 6)
    assert job.last_beat_at is None


def test_an_artifact_is_published_over_an_older_or_equal_one_only() -> None:
    def made_at(created: float) -> Publication:
        return Publication("1", JobType.REPORT, f"job-{created}", created, {}, {})

    assert rules.publishes_over(None, made_at(T0))
    assert rules.publishes_over(made_at(T0), made_at(T0))  # a retried completion
    assert rules.publishes_over(made_at(T0), made_at(T0 + 0.001))
    assert not rules.publishes_over(made_at(T0 + 60), made_at(T0))
