"""Pure timing rules: what a reader sees of a job at a given time."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.jobs import rules
from chalicelib.jobs.model import JobType, Status
from tests.fakes import T0

TIMING = rules.Timing(pending_timeout_seconds=300)


def test_a_new_job_is_pending_with_a_claim_deadline() -> None:
    job = rules.new_job("1", JobType.REPORT, {}, T0, TIMING)
    assert job.status is Status.PENDING and job.progress == 0 and job.attempt == 0
    assert job.lease_until == rules.epoch_ms(T0 + 300)
    assert job.expires_at == int(T0) + rules.JOB_TTL_SECONDS


def test_reader_view_over_time() -> None:
    job = rules.new_job("1", JobType.REPORT, {}, T0, TIMING)
    assert rules.as_seen_at(job, T0 + 299) == job
    unclaimed = rules.as_seen_at(job, T0 + 301)
    assert unclaimed is not None and unclaimed.status is Status.FAILED
    assert unclaimed.error == rules.NEVER_CLAIMED
    assert rules.as_seen_at(job, T0 + rules.JOB_TTL_SECONDS + 1) is None
    assert rules.as_seen_at(None, T0) is None


def test_a_running_job_dies_with_its_lease() -> None:
    job = replace(
        rules.new_job("1", JobType.REPORT, {}, T0, TIMING),
        status=Status.RUNNING,
        lease_until=rules.lease_for(T0, 10_000, TIMING),
    )
    assert rules.as_seen_at(job, T0 + 10 + rules.LEASE_MARGIN_SECONDS - 1) == job
    dead = rules.as_seen_at(job, T0 + 10 + rules.LEASE_MARGIN_SECONDS + 1)
    assert dead is not None and dead.status is Status.FAILED
    assert dead.error == rules.WORKER_STOPPED and dead.finished_at is not None


def test_finished_jobs_have_no_lease_to_lapse() -> None:
    job = replace(
        rules.new_job("1", JobType.REPORT, {}, T0, TIMING),
        status=Status.COMPLETED,
        progress=100,
        lease_until=None,
    )
    assert rules.as_seen_at(job, T0 + 3_600) == job
