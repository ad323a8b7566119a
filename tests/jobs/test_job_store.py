"""The Jobs table's guarded transitions (docs/ARCHITECTURE.md, "Invariants"), against moto.
Each invariant fails here if its condition is broken."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.clock import iso
from chalicelib.jobs import rules
from chalicelib.jobs.errors import ClaimRejected, JobLost, NoActiveJob, ProgressWentBackwards
from chalicelib.jobs.items import job_key, latest_key
from chalicelib.jobs.model import ErrorCode, Job, JobType, Publication, Status, WorkerEvent
from chalicelib.jobs.rules import Refusal
from chalicelib.jobs.store import JobStore
from tests.fakes import FakeClock, counting_client_calls
from tests.moto_account import Aws

REPORT = JobType.REPORT


def stored(aws: Aws, idrssd: str = "1", job_type: JobType = REPORT) -> dict[str, Any]:
    return aws.jobs_table.get_item(Key=job_key(idrssd, job_type), ConsistentRead=True)["Item"]


def claim(store: JobStore, job: Job, token: str = "run-1") -> Job:
    return store.claim(WorkerEvent.for_job(job), token, f"request-{token}")


def publication(job: Job) -> Publication:
    key = f"reports/{job.idrssd}/{job.job_id}.json"
    return Publication(job.idrssd, job.type, job.job_id, job.created_at, {"document": key}, {})


def started_and_claimed(store: JobStore, token: str = "run-1") -> Job:
    job, _ = store.start("1", REPORT, {})
    return claim(store, job, token)


# 1. Single flight ---------------------------------------------------------------------------


def test_a_second_start_joins_the_active_job(store: JobStore) -> None:
    first, created = store.start("1", REPORT, {})
    second, created_again = store.start("1", REPORT, {})
    assert created and not created_again
    assert second.job_id == first.job_id and second.status is Status.PENDING


def test_the_conflict_answer_needs_no_second_read(store: JobStore, aws: Aws) -> None:
    first, _ = store.start("1", REPORT, {})
    with counting_client_calls(aws.jobs_table.meta.client) as calls:
        joined, created = store.start("1", REPORT, {})
    assert not created and joined.job_id == first.job_id
    assert calls.operations() == ["PutItem"]


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
    running = started_and_claimed(store)
    if finish == "complete":
        store.complete(running, {"url": "/x"}, "done")
    elif finish == "fail":
        store.fail(running, "It broke.", "internal_error")
    else:
        store.cancel("1", REPORT)
    new, created = store.start("1", REPORT, {})
    assert created and new.job_id != running.job_id and new.status is Status.PENDING


# 2. Ownership -------------------------------------------------------------------------------


def test_a_superseded_run_cannot_write(store: JobStore, clock: FakeClock) -> None:
    old = started_and_claimed(store)
    clock.advance(90 + 151)  # its lease and the retry grace ran out: a new start replaces it
    new, created = store.start("1", REPORT, {})
    assert created
    for write in (
        lambda: store.report_progress(old, 50, "analyze", "late write"),
        lambda: store.heartbeat(old),
        lambda: store.complete(old, {}, "done", publication(old)),
        lambda: store.fail(old, "late failure", "internal_error"),
    ):
        with pytest.raises(JobLost, match="newer job"):
            write()
    seen = store.get("1", REPORT)
    assert seen is not None and seen.job_id == new.job_id and seen.status is Status.PENDING
    assert store.publications.latest("1", REPORT) is None


def test_a_cancelled_run_stops_at_its_next_write(store: JobStore, aws: Aws) -> None:
    running = started_and_claimed(store)
    cancelled = store.cancel("1", REPORT)
    assert cancelled.status is Status.FAILED and cancelled.error_code == ErrorCode.CANCELLED
    assert cancelled.error == "Cancelled by the person who started it."
    with pytest.raises(JobLost, match="cancelled"):
        store.report_progress(running, 60, "write", "after cancel")
    with pytest.raises(JobLost):
        store.complete(running, {"url": "/x"}, "done", publication(running))
    item = stored(aws)
    assert item["status"] == "failed" and item["errorCode"] == "cancelled"
    assert item["progress"] == 0
    assert store.publications.latest("1", REPORT) is None


def test_another_delivery_cannot_write_for_the_owner(store: JobStore) -> None:
    running = started_and_claimed(store, token="owner")
    impostor = Job(**{**running.__dict__, "delivery": "impostor"})
    with pytest.raises(JobLost, match="another run"):
        store.report_progress(impostor, 50, "x", "not mine")
    with pytest.raises(JobLost):
        store.fail(impostor, "not mine", "internal_error")


# 3. Claim once, idempotently ----------------------------------------------------------------


def test_a_job_is_claimed_once(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    running = claim(store, job, "first")
    assert running.status is Status.RUNNING and running.attempt == 1
    assert running.delivery == "first" and running.request_id == "request-first"
    assert running.started_at is not None and running.message == "Starting"
    with pytest.raises(ClaimRejected) as rejected:
        claim(store, job, "second")
    assert rejected.value.refusal is Refusal.CONTENDED


def test_a_retried_claim_of_the_same_delivery_counts_as_done(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    first = claim(store, job, "same")
    again = claim(store, job, "same")  # its first response was lost; botocore retried
    assert again.attempt == first.attempt == 1 and again.delivery == "same"


def test_a_delivery_for_another_job_goes_quietly(store: JobStore) -> None:
    store.start("1", REPORT, {})
    event = WorkerEvent("some-other-job", "1", REPORT, {})
    with pytest.raises(ClaimRejected) as rejected:
        store.claim(event, "tok", "req")
    assert rejected.value.refusal is Refusal.GONE


def test_a_finished_job_cannot_be_claimed(store: JobStore) -> None:
    job, _ = store.start("1", REPORT, {})
    store.cancel("1", REPORT)
    with pytest.raises(ClaimRejected) as rejected:
        claim(store, job)
    assert rejected.value.refusal is Refusal.GONE


def test_a_retry_takes_over_after_the_lease_ran_out(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    claim(store, job, "crashed")
    clock.advance(89)
    with pytest.raises(ClaimRejected):  # the lease still holds: the run may be alive
        claim(store, job, "retry")
    clock.advance(2)
    retry = claim(store, job, "retry")
    assert retry.attempt == 2 and retry.delivery == "retry"


def test_a_released_job_is_claimed_at_once(store: JobStore, clock: FakeClock) -> None:
    running = started_and_claimed(store, token="gives-up")
    clock.advance(30)
    store.release(running)
    store.release(running)  # a retried release counts as done
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.RUNNING  # readers see it still going
    clock.advance(1)
    retry = claim(store, running, "retry")
    assert retry.attempt == 2


def test_attempts_are_bounded(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    for attempt in range(rules.Timing().max_attempts):
        claim(store, job, f"run-{attempt}")
        clock.advance(91)
    with pytest.raises(ClaimRejected) as rejected:
        claim(store, job, "one-too-many")
    assert rejected.value.refusal is Refusal.EXHAUSTED


def test_a_pending_job_cannot_be_claimed_after_its_window(
    store: JobStore, clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {})
    clock.advance(store.timing.claim_window_seconds + 1)
    with pytest.raises(ClaimRejected):
        claim(store, job)


# 4. Heartbeat lease -------------------------------------------------------------------------


def test_every_owned_write_extends_the_lease(store: JobStore, aws: Aws, clock: FakeClock) -> None:
    running = started_and_claimed(store)
    assert int(stored(aws)["leaseUntil"]) == rules.epoch_ms(clock.now() + 90)
    clock.advance(60)
    store.report_progress(running, 10, "load", "Loading")
    assert int(stored(aws)["leaseUntil"]) == rules.epoch_ms(clock.now() + 90)
    clock.advance(60)
    before = stored(aws)
    store.heartbeat(running)
    after = stored(aws)
    assert int(after["leaseUntil"]) == rules.epoch_ms(clock.now() + 90)
    # A heartbeat changes only the lease and when the run was last heard from.
    assert {key for key in after if after[key] != before[key]} == {"leaseUntil", "lastBeatAt"}
    assert after["lastBeatAt"] == iso(clock.now())


def test_the_job_says_when_its_run_was_last_heard_and_what_its_budget_is(
    store: JobStore, clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {})
    shown = job.to_api()
    assert shown["lastBeatAt"] is None  # queued: no run has written yet
    assert (shown["maxAttempts"], shown["heartbeatSeconds"], shown["leaseSeconds"]) == (3, 30, 90)
    clock.advance(5)
    running = claim(store, job)
    assert running.to_api()["lastBeatAt"] == iso(clock.now())  # the claim
    clock.advance(7)
    store.report_progress(running, 10, "load", "Loading")
    seen = store.get("1", REPORT)
    assert seen is not None and seen.to_api()["lastBeatAt"] == iso(clock.now())  # progress
    assert seen.to_api()["maxAttempts"] == 3 and seen.attempt == 1


def test_a_running_job_past_its_lease_reads_failed_and_is_replaceable(
    store: JobStore, clock: FakeClock
) -> None:
    running = started_and_claimed(store)
    clock.advance(91)  # the lease lapsed, but Lambda may still retry: not dead yet
    waiting = store.get("1", REPORT)
    assert waiting is not None and waiting.status is Status.RUNNING
    assert waiting.message == "Interrupted; trying again shortly"
    joined, created = store.start("1", REPORT, {})
    assert not created and joined.job_id == running.job_id
    clock.advance(150)
    seen = store.get("1", REPORT)
    assert seen is not None and seen.status is Status.FAILED
    assert seen.error_code == ErrorCode.WORKER_LOST
    new, created = store.start("1", REPORT, {})
    assert created and new.job_id != running.job_id
    with pytest.raises(ClaimRejected):  # a very late retry cannot revive what readers saw fail
        claim(store, running, "too-late")


def test_a_queued_job_is_not_dead_while_lambda_may_deliver_it(
    store: JobStore, clock: FakeClock
) -> None:
    store.start("1", REPORT, {})
    clock.advance(2_400)  # Lambda keeps a throttled event up to its maximum age
    assert store.get("1", REPORT).status is Status.PENDING  # type: ignore[union-attr]
    clock.advance(61)
    seen = store.get("1", REPORT)
    assert seen is not None and seen.error_code == ErrorCode.NOT_STARTED
    _, created = store.start("1", REPORT, {})
    assert created


def test_a_dead_job_cannot_be_cancelled(store: JobStore, clock: FakeClock) -> None:
    started_and_claimed(store)
    clock.advance(91)
    assert store.cancel("1", REPORT).error_code == ErrorCode.CANCELLED  # still retrying
    started_and_claimed_again(store)
    clock.advance(90 + 151)
    with pytest.raises(NoActiveJob):
        store.cancel("1", REPORT)


# 5. Monotonic progress, final terminal states ----------------------------------------------


def test_progress_never_goes_down(store: JobStore, aws: Aws) -> None:
    running = started_and_claimed(store)
    store.report_progress(running, 40, "analyze", "Analyzing")
    store.report_progress(running, 40, "analyze", "Analyzing")  # a retried write passes
    with pytest.raises(ProgressWentBackwards):
        store.report_progress(running, 30, "analyze", "Going back")
    item = stored(aws)
    assert item["progress"] == 40 and item["message"] == "Analyzing"


def test_completed_means_one_hundred(store: JobStore) -> None:
    running = started_and_claimed(store)
    store.report_progress(running, 70, "write", "Writing")
    done = store.complete(running, {"url": "/api/research/1/report"}, "Report ready")
    assert done.status is Status.COMPLETED and done.progress == 100
    assert done.result == {"url": "/api/research/1/report"}
    assert done.lease_until is None and done.finished_at is not None


def test_terminal_states_are_final(store: JobStore, aws: Aws) -> None:
    running = started_and_claimed(store)
    store.complete(running, {}, "done")
    before = stored(aws)
    with pytest.raises(JobLost):
        store.fail(running, "too late", "internal_error")
    with pytest.raises(JobLost):
        store.report_progress(running, 99, "x", "too late")
    with pytest.raises(NoActiveJob):
        store.cancel("1", REPORT)
    with pytest.raises(ClaimRejected):
        claim(store, running, "late")
    with pytest.raises(JobLost):
        store.abandon(WorkerEvent.for_job(running), "gave up", ErrorCode.RETRIES_EXHAUSTED)
    assert stored(aws) == before


def test_retried_terminal_writes_count_as_done(store: JobStore) -> None:
    running = started_and_claimed(store)
    failed = store.fail(running, "It broke.", "internal_error")
    again = store.fail(running, "It broke.", "internal_error")
    assert again == failed
    other = started_and_claimed_again(store)
    done = store.complete(other, {"url": "/x"}, "done", publication(other))
    assert store.complete(other, {"url": "/x"}, "done", publication(other)) == done


def started_and_claimed_again(store: JobStore) -> Job:
    job, created = store.start("1", REPORT, {})
    assert created
    return claim(store, job, "run-2")


def test_progress_writes_touch_only_their_fields(
    store: JobStore, aws: Aws, clock: FakeClock
) -> None:
    job, _ = store.start("1", REPORT, {"k": "v"})
    running = claim(store, job)
    before = stored(aws)
    clock.advance(1)
    with counting_client_calls(aws.jobs_table.meta.client) as calls:
        store.report_progress(running, 10, "load", "Loading")
    update = calls.calls[0].params["UpdateExpression"]
    assert update.startswith("SET ") and "#status" not in update
    after = stored(aws)
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {"progress", "stage", "message", "updatedAt", "leaseUntil", "lastBeatAt"}


# 6. Owned publication -----------------------------------------------------------------------


def test_a_completion_publishes_in_the_same_transaction(store: JobStore, aws: Aws) -> None:
    running = started_and_claimed(store)
    with counting_client_calls(aws.jobs_table.meta.client) as calls:
        store.complete(running, {"url": "/x"}, "Report ready", publication(running))
    assert calls.operations() == ["TransactWriteItems"]
    items = calls.calls[0].params["TransactItems"]
    assert [next(iter(item)) for item in items] == ["Update", "Put", "Put"]
    assert all("ConditionExpression" in next(iter(item.values())) for item in items[:2])
    latest = store.publications.latest("1", REPORT)
    assert latest is not None and latest.job_id == running.job_id
    assert [p.job_id for p in store.publications.history("1", REPORT)] == [running.job_id]


def test_an_older_job_never_replaces_a_newer_artifact(
    store: JobStore, aws: Aws, clock: FakeClock
) -> None:
    running = started_and_claimed(store)
    newer = Publication("1", REPORT, "newer-job", running.created_at + 60, {"document": "k"}, {})
    aws.jobs_table.put_item(
        Item={**latest_key("1", REPORT), "jobId": "newer-job", "idrssd": "1",
              "type": "report", "jobCreatedAt": int(newer.job_created_at * 1000),
              "keys": newer.keys, "summary": {}}
    )  # fmt: skip
    assert not rules.publishes_over(newer, publication(running))  # the rule the write enforces
    with pytest.raises(JobLost, match="newer job's artifact"):
        store.complete(running, {}, "done", publication(running))
    assert store.publications.latest("1", REPORT).job_id == "newer-job"  # type: ignore[union-attr]
    assert store.get("1", REPORT).status is Status.RUNNING  # type: ignore[union-attr]


def test_the_library_lists_newest_first_and_finds_one(store: JobStore, clock: FakeClock) -> None:
    ids: list[str] = []
    for _ in range(3):
        running = started_and_claimed_again(store) if ids else started_and_claimed(store)
        store.complete(running, {}, "done", publication(running))
        ids.append(running.job_id)
        clock.advance(10)
    assert [p.job_id for p in store.publications.history("1", REPORT)] == ids[::-1]
    assert store.publications.version("1", REPORT, ids[0]) is not None
    assert store.publications.version("1", REPORT, "no-such-job") is None
    assert store.publications.latest("1", REPORT).job_id == ids[-1]  # type: ignore[union-attr]
    clock.advance(366 * 86_400)
    assert (
        store.publications.history("1", REPORT) == []
        and store.publications.version("1", REPORT, ids[0]) is None
    )


def test_the_latest_of_each_type_is_one_batch_read(store: JobStore, aws: Aws) -> None:
    running = started_and_claimed(store)
    store.complete(running, {}, "done", publication(running))
    with counting_client_calls(aws.jobs_table.meta.client) as calls:
        latest = store.publications.latest_of_each("1")
    assert calls.operations() == ["BatchGetItem"]
    assert set(latest) == {REPORT} and latest[REPORT].job_id == running.job_id


# Abandon and cancel -------------------------------------------------------------------------


def test_abandon_fails_a_queued_or_ownerless_job_only(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    event = WorkerEvent.for_job(job)
    failed = store.abandon(event, "Gave up.", ErrorCode.RETRIES_EXHAUSTED)
    assert failed.status is Status.FAILED and failed.error_code == ErrorCode.RETRIES_EXHAUSTED
    assert store.abandon(event, "Gave up.", ErrorCode.RETRIES_EXHAUSTED) == failed  # retried
    live = started_and_claimed_again(store)
    with pytest.raises(JobLost):  # a live run holds it
        store.abandon(WorkerEvent.for_job(live), "Gave up.", ErrorCode.RETRIES_EXHAUSTED)
    # Lambda gave up on the very request that owns it: that execution has ended.
    ended = store.abandon(
        WorkerEvent.for_job(live), "Gave up.", ErrorCode.RETRIES_EXHAUSTED, "request-run-2"
    )
    assert ended.status is Status.FAILED


def test_cancel_without_an_active_job(store: JobStore) -> None:
    with pytest.raises(NoActiveJob, match="no report in progress"):
        store.cancel("1", REPORT)


# Expiry (TTL applied on read) ---------------------------------------------------------------


def test_an_expired_item_reads_as_absent_and_is_replaceable(
    store: JobStore, clock: FakeClock, aws: Aws
) -> None:
    running = started_and_claimed(store)
    store.complete(running, {}, "done")
    assert store.get("1", REPORT) is not None
    clock.advance(86_401)
    assert store.get("1", REPORT) is None
    assert "Item" in aws.jobs_table.get_item(Key=job_key("1", REPORT))  # still stored
    _, created = store.start("1", REPORT, {})
    assert created


def test_expiry_is_24_hours_after_finishing(store: JobStore, clock: FakeClock) -> None:
    job, _ = store.start("1", REPORT, {})
    assert job.expires_at == int(clock.now()) + 86_400
    running = claim(store, job)
    clock.advance(100)
    done = store.complete(running, {}, "done")
    assert done.expires_at == int(clock.now()) + 86_400


def test_a_run_back_from_a_datastore_stall_records_only_a_dead_job_as_busy(
    store: JobStore, clock: FakeClock
) -> None:
    running = started_and_claimed(store)
    with pytest.raises(JobLost):  # alive (its lease holds): nothing to record
        store.record_stalled(running, running)
    clock.advance(91)  # lapsed, within the grace: a retry may still take it over
    with pytest.raises(JobLost):
        store.record_stalled(running, running)
    clock.advance(150)  # dead: readers see it failed
    seen = store.get("1", REPORT)
    assert seen is not None and seen.error_code == "worker_lost"
    stored = store.get_fresh("1", REPORT)
    assert stored is not None and rules.died_while_owned(
        stored, running.job_id, "run-1", clock.now(), store.timing
    )
    recorded = store.record_stalled(running, stored)
    assert recorded.status is Status.FAILED and recorded.error_code == ErrorCode.BUSY
    assert recorded.finished_at == seen.finished_at  # the end readers were already shown
    again = store.get("1", REPORT)
    assert again is not None and again.status is Status.FAILED and again.error == rules.BUSY[REPORT]
    with pytest.raises(JobLost):  # another run's token never records it
        store.record_stalled(Job(**{**running.__dict__, "delivery": "other"}), stored)
