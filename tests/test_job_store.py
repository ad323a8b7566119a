"""The Jobs table's rules (DESIGN §3), against moto. Each invariant fails here if broken."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.errors import NoActiveJob
from chalicelib.jobs import rules
from chalicelib.jobs.errors import ClaimRejected, JobLost, ProgressWentBackwards
from chalicelib.jobs.model import JobType, Status
from chalicelib.jobs.store import JobStore, job_key
from tests.fakes import FakeClock

REPORT = JobType.REPORT
LAMBDA_MS = 900_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(aws: dict[str, Any], clock: FakeClock) -> JobStore:
    return JobStore(aws["jobs_table"], clock)


def stored(aws: dict[str, Any], idrssd: str = "1", job_type: JobType = REPORT) -> dict[str, Any]:
    return aws["jobs_table"].get_item(Key=job_key(idrssd, job_type), ConsistentRead=True)["Item"]


# 1. Single flight ---------------------------------------------------------------------------


def test_a_second_start_joins_the_active_job(store: JobStore) -> None:
    first, created = store.start("1", REPORT, {})
    second, created_again = store.start("1", REPORT, {})
    assert created and not created_again
    assert second.job_id == first.job_id
    assert second.status is Status.PENDING


def test_the_conflict_answer_needs_no_second_read(store: JobStore, aws: dict[str, Any]) -> None:
    first, _ = store.start("1", REPORT, {})
    calls: list[str] = []
    aws["jobs_table"].meta.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    joined, created = store.start("1", REPORT, {})
    assert not created and joined.job_id == first.job_id
    assert calls == ["PutItem"]


def test_fifty_threads_starting_one_bank_get_one_job(store: JobStore) -> None:
    barrier = threading.Barrier(50)
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        job, created = store.start("852218", REPORT, {})
        with lock:
            results.append((job.job_id, created))

    threads = [threading.Thread(target=start) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 50
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_report_and_podcast_jobs_of_one_bank_are_independent(store: JobStore) -> None:
    report, _ = store.start("1", JobType.REPORT, {})
    podcast, created = store.start("1", JobType.PODCAST, {"experts": ["credit"]})
    assert created and podcast.job_id != report.job_id


@pytest.mark.parametrize("finish", ["complete", "fail", "cancel"])
def test_a_finished_job_is_replaced_by_a_new_start(store: JobStore, finish: str) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    if finish == "complete":
        store.complete(running, {"url": "/x"}, "done")
    elif finish == "fail":
        store.fail(job.job_id, "1", REPORT, "It broke.")
    else:
        store.cancel("1", REPORT)
    new, created = store.start("1", REPORT, {})
    assert created and new.job_id != job.job_id and new.status is Status.PENDING


# 2. Ownership -------------------------------------------------------------------------------


def test_a_superseded_worker_cannot_write(store: JobStore, clock: FakeClock) -> None:
    old, _ = store.start("1", REPORT, {})
    old_running = store.claim(old.job_id, "1", REPORT, 1_000)
    clock.advance(120)  # lease (1 s + margin) ran out: a new start replaces the job
    new, created = store.start("1", REPORT, {})
    assert created
    with pytest.raises(JobLost, match="newer job"):
        store.report_progress(old_running, 50, "analyze", "late write")
    with pytest.raises(JobLost):
        store.complete(old_running, {}, "done")
    with pytest.raises(JobLost):
        store.fail(old.job_id, "1", REPORT, "late failure")
    assert store.get("1", REPORT).job_id == new.job_id  # type: ignore[union-attr]
    assert store.get("1", REPORT).status is Status.PENDING  # type: ignore[union-attr]


def test_a_cancelled_worker_stops_at_its_next_write(store: JobStore, aws: dict[str, Any]) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    cancelled = store.cancel("1", REPORT)
    assert cancelled.status is Status.CANCELLED
    with pytest.raises(JobLost, match="cancelled"):
        store.report_progress(running, 60, "write", "after cancel")
    with pytest.raises(JobLost):
        store.complete(running, {"url": "/x"}, "done")
    item = stored(aws)
    assert item["status"] == "cancelled" and item["progress"] == 0


# 3. Claim once ------------------------------------------------------------------------------


def test_a_job_is_claimed_once(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    assert running.status is Status.RUNNING and running.attempt == 1
    assert running.started_at is not None
    with pytest.raises(ClaimRejected):
        store.claim(job.job_id, "1", REPORT, LAMBDA_MS)


def test_a_delivery_for_another_job_cannot_claim(store: JobStore) -> None:
    store.start("1", REPORT, {})
    with pytest.raises(ClaimRejected, match="newer job"):
        store.claim("some-other-job", "1", REPORT, LAMBDA_MS)


def test_a_finished_job_cannot_be_claimed(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    store.cancel("1", REPORT)
    with pytest.raises(ClaimRejected, match="cancelled"):
        store.claim(job.job_id, "1", REPORT, LAMBDA_MS)


def test_a_redelivery_after_the_lease_ran_out_takes_over(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    store.claim(job.job_id, "1", REPORT, 1_000)
    clock.advance(5)
    with pytest.raises(ClaimRejected):  # lease still holds: the first worker may be alive
        store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    clock.advance(rules.LEASE_MARGIN_SECONDS)
    retry = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    assert retry.attempt == 2 and retry.status is Status.RUNNING


def test_attempts_are_bounded(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    for _attempt in range(rules.MAX_ATTEMPTS):
        store.claim(job.job_id, "1", REPORT, 1_000)
        clock.advance(rules.LEASE_MARGIN_SECONDS + 2)
    with pytest.raises(ClaimRejected):
        store.claim(job.job_id, "1", REPORT, 1_000)


def test_a_pending_job_cannot_be_claimed_after_its_deadline(
    store: JobStore, clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {})
    clock.advance(store.timing.pending_timeout_seconds + 1)
    with pytest.raises(ClaimRejected):
        store.claim(job.job_id, "1", REPORT, LAMBDA_MS)


# 4. Lease -----------------------------------------------------------------------------------


def test_a_running_job_past_its_lease_reads_failed_and_is_replaceable(
    store: JobStore, clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {})
    store.claim(job.job_id, "1", REPORT, 10_000)
    assert store.get("1", REPORT).status is Status.RUNNING  # type: ignore[union-attr]
    clock.advance(10 + rules.LEASE_MARGIN_SECONDS + 1)
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED
    assert seen.error == rules.WORKER_STOPPED
    assert "stopped responding" in seen.to_api()["error"]
    new, created = store.start("1", REPORT, {})
    assert created and new.job_id != job.job_id


def test_an_unclaimed_job_past_its_deadline_reads_failed(store: JobStore, clock: FakeClock) -> None:
    store.start("1", REPORT, {})
    clock.advance(store.timing.pending_timeout_seconds + 1)
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED
    assert seen.error == rules.NEVER_CLAIMED
    _, created = store.start("1", REPORT, {})
    assert created


def test_the_lease_comes_from_the_remaining_time(store: JobStore, aws: dict[str, Any]) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, 600_000)
    expected = rules.epoch_ms(running.updated_at) + 600_000 + rules.LEASE_MARGIN_SECONDS * 1000
    assert int(stored(aws)["leaseUntil"]) == expected


def test_a_job_past_its_lease_cannot_be_cancelled(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    store.claim(job.job_id, "1", REPORT, 1_000)
    clock.advance(rules.LEASE_MARGIN_SECONDS + 2)
    with pytest.raises(NoActiveJob):
        store.cancel("1", REPORT)


# 5. Monotonic progress, final terminal states ----------------------------------------------


def test_progress_never_goes_down(store: JobStore, aws: dict[str, Any]) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    store.report_progress(running, 40, "analyze", "Analyzing")
    with pytest.raises(ProgressWentBackwards):
        store.report_progress(running, 30, "analyze", "Going back")
    item = stored(aws)
    assert item["progress"] == 40 and item["message"] == "Analyzing"


def test_completed_means_one_hundred(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    store.report_progress(running, 70, "write", "Writing")
    done = store.complete(running, {"url": "/api/research/1/report"}, "Report ready")
    assert done.status is Status.COMPLETED and done.progress == 100
    assert done.result == {"url": "/api/research/1/report"}
    assert done.lease_until is None and done.finished_at is not None


def test_terminal_states_are_final(store: JobStore, aws: dict[str, Any]) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    store.complete(running, {}, "done")
    before = stored(aws)
    with pytest.raises(JobLost):
        store.fail(job.job_id, "1", REPORT, "too late")
    with pytest.raises(JobLost):
        store.report_progress(running, 99, "x", "too late")
    with pytest.raises(NoActiveJob):
        store.cancel("1", REPORT)
    with pytest.raises(ClaimRejected):
        store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    assert stored(aws) == before


def test_progress_writes_touch_only_their_fields(
    store: JobStore, aws: dict[str, Any], clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {"k": "v"})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    before = stored(aws)
    clock.advance(1)
    calls: list[dict[str, Any]] = []
    aws["jobs_table"].meta.client.meta.events.register(
        "before-parameter-build.dynamodb.UpdateItem", lambda params, **_: calls.append(params)
    )
    store.report_progress(running, 10, "load", "Loading")
    assert calls[0]["UpdateExpression"].startswith("SET ")
    assert "#status" not in calls[0]["UpdateExpression"]
    after = stored(aws)
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {"progress", "stage", "message", "updatedAt"}


# Expiry (TTL applied on read) ---------------------------------------------------------------


def test_an_expired_item_reads_as_absent_and_is_replaceable(
    store: JobStore, clock: FakeClock, aws: dict[str, Any]
) -> None:
    job, _ = store.start("1", REPORT, {})
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    store.complete(running, {}, "done")
    assert store.get("1", REPORT) is not None
    clock.advance(rules.JOB_TTL_SECONDS + 1)
    assert store.get("1", REPORT) is None
    assert "Item" in aws["jobs_table"].get_item(Key=job_key("1", REPORT))  # still stored
    _, created = store.start("1", REPORT, {})
    assert created


def test_expiry_is_24_hours_after_finishing(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    assert job.expires_at == int(clock.now()) + rules.JOB_TTL_SECONDS
    running = store.claim(job.job_id, "1", REPORT, LAMBDA_MS)
    clock.advance(100)
    done = store.complete(running, {}, "done")
    assert done.expires_at == int(clock.now()) + rules.JOB_TTL_SECONDS


def test_cancel_without_an_active_job(store: JobStore) -> None:
    with pytest.raises(NoActiveJob, match="no active report job"):
        store.cancel("1", REPORT)
