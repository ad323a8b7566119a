"""The fault suite: the partial failures Lambda, DynamoDB and S3 produce, injected through
botocore's event hooks, and the job invariants that must hold through each of them
(docs/ARCHITECTURE.md, "Faults"). Each test names a defect the job core once had."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.jobs.errors import JobFailed, Redeliver
from chalicelib.jobs.model import Job, JobType, WorkerEvent
from chalicelib.jobs.pipelines import Completion
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.jobs.service import record_failed_delivery
from chalicelib.jobs.worker import JobRunner
from chalicelib.runtime import Runtime
from tests.api_support import Api, api_under_test
from tests.fakes import delivery, put_bank
from tests.faults import FaultInjector, is_claim, is_owned_failure, is_progress, key_ends_with
from tests.moto_account import Aws

BANK = "9900001"
REPORT = JobType.REPORT
START = f"/api/research/{BANK}/generate-background"
CANCEL = f"/api/research/{BANK}/job?type=report"


class TinyReport:
    """A report pipeline of three stages that stores a real artifact in S3."""

    def __init__(self, runtime: Runtime, fail_with: str | None = None) -> None:
        self._runtime = runtime
        self.fail_with = fail_with

    def __call__(self, job: Job, progress: ProgressReporter) -> Completion:
        for value, stage in ((10, "load"), (40, "analyze"), (90, "save")):
            progress.report(value, stage, f"Doing {stage}")
            self._runtime.clock.advance(1)  # type: ignore[attr-defined]
        if self.fail_with:
            raise JobFailed(self.fail_with, "no_data")
        document = {"idrssd": job.idrssd, "jobId": job.job_id, "sections": []}
        publication = self._runtime.reports.store(job, document)
        return Completion({"url": f"/api/research/{job.idrssd}/report"}, publication)


@dataclass
class Env:
    api: Api
    faults: FaultInjector
    pipeline: TinyReport

    def start(self) -> str:
        response = self.api.post(START)
        assert response.status_code == 202, response.body
        return str(json.loads(response.body)["job"]["jobId"])

    def run(self) -> str:
        """Start a job and deliver it once; return its id."""
        job_id = self.start()
        self.api.deliver()
        return job_id

    def served(self) -> str | None:
        response = self.api.get(f"/api/research/{BANK}/report")
        return json.loads(response.body)["jobId"] if response.status_code == 200 else None

    def objects(self) -> list[str]:
        listing = self.api.aws.s3.list_objects_v2(Bucket=self.api.aws.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture
def env(aws: Aws) -> Iterator[Env]:
    put_bank(aws.banks_table, BANK)
    holder: list[TinyReport] = []

    def pipelines(runtime: Runtime) -> dict[JobType, Any]:
        holder.append(TinyReport(runtime))
        return {REPORT: holder[0]}

    with api_under_test(aws, pipelines=pipelines) as api:
        # Attached before any client exists: botocore copies a session's handlers into each
        # client it makes, so every client of the app's runtime carries the faults.
        faults = FaultInjector().attach(api.runtime.session)
        api.runtime.runner  # noqa: B018 - built now, so that the pipeline exists
        yield Env(api, faults, holder[0])


# Owned publication --------------------------------------------------------------------------


def test_a_run_cancelled_during_its_artifact_write_never_changes_the_served_report(
    env: Env,
) -> None:
    first = env.run()
    env.faults.before("PutObject", lambda: env.api.delete(CANCEL))
    second = env.start()
    assert env.api.deliver().result == "lost"
    job = env.api.status(BANK)
    assert job["jobId"] == second and job["errorCode"] == "cancelled"
    assert env.served() == first
    assert not any(second in key for key in env.objects())  # its orphan was deleted


def test_a_completion_throttled_past_its_retries_serves_nothing_and_hands_the_job_back(
    env: Env,
) -> None:
    first = env.run()
    env.faults.throttle("TransactWriteItems", times=1_000)
    second = env.start()
    with pytest.raises(Redeliver, match="could not be recorded"):
        env.api.deliver()
    job = env.api.status(BANK)
    assert job["jobId"] == second and job["status"] == "running" and job["progress"] < 100
    assert env.served() == first  # never the output of a job that did not complete
    env.faults.clear()
    env.api.clock.advance(60)  # Lambda's first retry, about a minute later
    assert env.api.deliver().result == "completed"
    done = env.api.status(BANK)
    assert done["status"] == "completed" and done["attempt"] == 2
    assert env.served() == second


def test_an_older_run_never_overwrites_a_newer_one(env: Env) -> None:
    newer: list[str] = []

    def while_the_older_completion_stalls() -> None:
        assert env.api.delete(CANCEL).status_code == 200
        newer.append(env.start())
        assert env.api.deliver().result == "completed"

    env.faults.before("TransactWriteItems", while_the_older_completion_stalls)
    older = env.start()
    assert env.api.deliver(WorkerEvent(older, BANK, REPORT, {})).result == "lost"
    job = env.api.status(BANK)
    assert job["jobId"] == newer[0] and job["status"] == "completed"
    assert env.served() == newer[0]


# Idempotent writes under botocore's retries ---------------------------------------------------


def test_a_lost_claim_response_still_runs_the_job(env: Env) -> None:
    env.faults.lose_response("UpdateItem", when=is_claim)
    job_id = env.start()
    assert env.api.deliver().result == "completed"
    job = env.api.status(BANK)
    assert job["jobId"] == job_id and job["status"] == "completed" and job["attempt"] == 1
    assert env.faults.rules[0].fired == 1


def test_a_lost_completion_response_counts_as_done(env: Env) -> None:
    env.faults.lose_response("TransactWriteItems")
    job_id = env.start()
    assert env.api.deliver().result == "completed"
    assert env.api.status(BANK)["status"] == "completed" and env.served() == job_id


def test_a_lost_start_response_still_creates_and_hands_over_the_job(env: Env) -> None:
    env.faults.lose_response("PutItem")
    response = env.api.post(START)
    assert response.status_code == 202 and json.loads(response.body)["created"] is True
    assert [event.job_id for event in env.api.invoker.events] == [
        json.loads(response.body)["job"]["jobId"]
    ]


def test_a_lost_cancel_response_still_answers_the_cancellation(env: Env) -> None:
    env.start()
    env.faults.lose_response("UpdateItem")
    response = env.api.delete(CANCEL)
    assert response.status_code == 200
    assert json.loads(response.body)["job"]["errorCode"] == "cancelled"


def test_a_lost_failure_response_still_fails_the_job_once(env: Env) -> None:
    env.pipeline.fail_with = "There are no figures for this bank yet."
    env.faults.lose_response("UpdateItem", when=is_owned_failure)
    env.start()
    assert env.api.deliver().result == "failed"
    job = env.api.status(BANK)
    assert job["status"] == "failed" and job["error"] == "There are no figures for this bank yet."


# Transient errors never decide a job's fate -------------------------------------------------


def test_one_throttled_progress_write_does_not_fail_the_job(env: Env) -> None:
    env.faults.throttle("UpdateItem", times=1, when=is_progress)
    env.start()
    assert env.api.deliver().result == "completed"
    assert env.api.status(BANK)["progress"] == 100


def test_every_progress_write_throttled_still_completes(env: Env) -> None:
    env.faults.server_error("UpdateItem", times=100, when=is_progress)
    env.start()
    assert env.api.deliver().result == "completed"
    assert env.api.status(BANK)["status"] == "completed"


def test_a_throttled_artifact_write_hands_the_job_back_and_the_retry_completes(
    env: Env,
) -> None:
    env.faults.server_error("PutObject", times=1, status=503)
    job_id = env.start()
    with pytest.raises(Redeliver):
        env.api.deliver()
    assert env.api.status(BANK)["status"] == "running" and env.served() is None
    assert env.api.deliver().result == "completed"  # Lambda's retry, claimed at once
    assert env.served() == job_id


def test_a_refused_artifact_write_fails_the_job_with_a_sentence(env: Env) -> None:
    env.faults.refuse("PutObject", "AccessDenied")
    env.start()
    assert env.api.deliver().result == "failed"
    job = env.api.status(BANK)
    assert job["errorCode"] == "internal_error" and "try again" in job["error"]
    assert env.served() is None


def test_a_transient_failure_on_the_last_attempt_fails_the_job_as_busy(env: Env) -> None:
    env.faults.server_error("PutObject", times=10, status=503)
    env.start()
    for _ in range(2):
        with pytest.raises(Redeliver):
            env.api.deliver()
    assert env.api.deliver().result == "failed"
    job = env.api.status(BANK)
    assert job["errorCode"] == "busy" and job["attempt"] == 3


# Reads under throttling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "path"),
    [
        ("GetItem", f"/api/research/{BANK}/job-status?type=report"),
        ("GetItem", f"/api/research/{BANK}/report"),
        ("GetObject", f"/api/research/{BANK}/report"),
        ("BatchGetItem", f"/api/banks/{BANK}"),
    ],
)
def test_a_throttled_or_failing_read_answers_503_busy(env: Env, operation: str, path: str) -> None:
    env.run()
    for inject in (env.faults.throttle, env.faults.server_error):
        env.faults.clear()
        inject(operation, times=1)
        response = env.api.get(path)
        assert response.status_code == 503, (operation, response.body)
        assert json.loads(response.body)["code"] == "busy"
        assert response.headers["Retry-After"].isdigit()
        assert env.api.get(path).status_code == 200  # and the next poll goes through


# Queued is not dead; dead is noticed within a lease ---------------------------------------


def test_a_backlog_never_declares_queued_jobs_dead(aws: Aws) -> None:
    """200 jobs started at once for 4 workers of 10 s each: the last waits 500 s, beyond
    the old 300 s claim deadline, within Lambda's 2 400 s event age."""
    banks = [str(9_900_100 + index) for index in range(200)]
    for bank in banks:
        put_bank(aws.banks_table, bank)
    with api_under_test(aws, pipelines=lambda runtime: {REPORT: TinyReport(runtime)}) as api:
        for bank in banks:
            assert api.post(f"/api/research/{bank}/generate-background").status_code == 202
        for event in list(api.invoker.events):
            api.clock.advance(10 / 4 - 3)  # the pipeline itself takes 3 s of the 2.5 s share
            waiting = api.status(event.idrssd)
            assert waiting["status"] == "pending" and waiting["message"] == "Queued"
            assert api.deliver(event).result == "completed"
        assert {api.status(bank)["status"] for bank in banks} == {"completed"}


def test_a_dead_run_reads_failed_within_minutes_not_its_lambda_timeout(env: Env) -> None:
    job_id = env.start()
    env.api.runtime.store.claim(WorkerEvent(job_id, BANK, REPORT, {}), "crashed", "req-1")
    env.api.clock.advance(89)
    assert env.api.status(BANK)["status"] == "running"
    env.api.clock.advance(2)
    waiting = env.api.status(BANK)  # Lambda retries a crashed run 1 and 3 minutes later
    assert waiting["status"] == "running" and "trying again" in waiting["message"]
    env.api.clock.advance(150)
    dead = env.api.status(BANK)
    assert dead["status"] == "failed" and dead["errorCode"] == "worker_lost"
    assert "stopped making progress" in dead["error"]
    assert env.api.post(START).status_code == 202  # and it is replaceable


def test_a_crashed_run_is_retried_without_ever_reading_failed(env: Env) -> None:
    job_id = env.start()
    env.api.runtime.store.claim(WorkerEvent(job_id, BANK, REPORT, {}), "crashed", "req-1")
    seen = []
    for wait in (60, 120):  # Lambda's retries: the first meets the lease that still holds
        env.api.clock.advance(wait)
        seen.append(env.api.status(BANK)["status"])
        try:
            outcome = env.api.deliver(WorkerEvent(job_id, BANK, REPORT, {}))
        except Redeliver:
            continue
        assert outcome.result == "completed"
    assert seen == ["running", "running"]
    job = env.api.status(BANK)
    assert job["status"] == "completed" and job["attempt"] == 2


def test_a_run_near_its_timeout_hands_back_and_the_retry_claims_at_once(env: Env) -> None:
    clock = env.api.clock

    def runs_into_the_timeout(job: Job, progress: ProgressReporter) -> Completion:
        progress.report(10, "load", "Loading")
        for step in range(11):  # slow steps, each write extending the lease
            clock.advance(80)
            progress.report(11 + step, "analyze", "Analyzing")
        clock.advance(10)  # a slow call with only seconds left
        progress.report(30, "analyze", "Analyzing")
        return Completion({})

    runner = JobRunner(env.api.runtime.store, {REPORT: runs_into_the_timeout}, clock)
    job_id = env.start()
    payload = WorkerEvent(job_id, BANK, REPORT, {}).to_payload()
    with pytest.raises(Redeliver, match="time limit"):
        runner.handle(payload, delivery(clock, 900_000))
    clock.advance(60)  # Lambda retries a timed-out run a minute later
    assert env.api.deliver(WorkerEvent(job_id, BANK, REPORT, {})).result == "completed"
    assert env.api.status(BANK)["attempt"] == 2


def test_heartbeats_keep_a_slow_run_alive(env: Env) -> None:
    runtime = env.api.runtime
    clock = env.api.clock
    seen: list[str] = []

    def slow_model_call(job: Job, progress: ProgressReporter) -> Completion:
        progress.report(30, "write", "Writing the summary")
        for _ in range(40):  # one 200 s model call: no progress write in between
            clock.advance(5)
            time.sleep(0.03)  # real time for the heartbeat thread to look at the clock
            seen.append(env.api.status(BANK)["status"])
        return Completion({})

    runner = JobRunner(runtime.store, {REPORT: slow_model_call}, clock, heartbeat_tick=0.005)
    job_id = env.start()
    outcome = runner.handle(WorkerEvent(job_id, BANK, REPORT, {}).to_payload(), delivery(clock))
    assert outcome.result == "completed"
    assert set(seen) == {"running"}  # never read as dead while it was alive


# The datastore stalls ---------------------------------------------------------------------


def _run_through_a_stall(env: Env, seconds: int, beats: bool = True) -> tuple[Any, list[Any]]:
    """A run whose writes the datastore refuses (transiently) for ``seconds`` of the fake
    clock, mid-job, while readers keep reading; then the datastore answers again. With
    ``beats`` false the run's heartbeat thread never looks (a frozen worker, not a stall)."""
    clock, seen = env.api.clock, []
    stalled = {"on": False}
    env.faults.server_error("UpdateItem", times=100_000, when=lambda _: stalled["on"])

    def pipeline(job: Job, progress: ProgressReporter) -> Completion:
        progress.report(30, "write", "Writing the summary")
        stalled["on"] = True
        for _ in range(seconds // 5):
            clock.advance(5)
            time.sleep(0.02)  # real time for the heartbeat thread to try (and fail)
            seen.append(env.api.status(BANK))
        stalled["on"] = False
        time.sleep(0.2)  # the heartbeat thread meets the datastore again
        progress.report(60, "write", "Writing the outlook")
        seen.append(env.api.status(BANK))
        return Completion({})

    tick = 0.005 if beats else 3600.0
    runner = JobRunner(env.api.runtime.worker.store, {REPORT: pipeline}, clock, heartbeat_tick=tick)
    job_id = env.start()
    outcome = runner.handle(WorkerEvent(job_id, BANK, REPORT, {}).to_payload(), delivery(clock))
    seen.append(env.api.status(BANK))
    return outcome, seen


def _never_back_from_failed(seen: list[Any]) -> None:
    statuses = [job["status"] for job in seen]
    if "failed" in statuses:
        assert set(statuses[statuses.index("failed") :]) == {"failed"}, statuses


def test_a_datastore_stall_longer_than_the_lease_and_grace_does_not_end_worker_lost(
    env: Env,
) -> None:
    """The fault once seen: with the datastore stalled past lease + grace, a healthy run
    was shown failed ``worker_lost`` and never retried although its delivery ended well.
    Its own heartbeats failed for the datastore's reasons: the job ends ``busy``."""
    outcome, seen = _run_through_a_stall(env, seconds=300)  # lease 90 s + grace 150 s
    final = seen[-1]
    assert final["status"] == "failed" and final["errorCode"] == "busy", final
    assert (
        final["error"]
        == "The service was too busy to finish the report. Please try again in a few minutes."
    )
    assert outcome.result == "failed"
    _never_back_from_failed(seen)  # nothing a reader was shown failed came back


def test_a_stall_longer_than_the_lease_but_within_the_grace_lets_the_run_finish(
    env: Env,
) -> None:
    outcome, seen = _run_through_a_stall(env, seconds=150)
    assert outcome.result == "completed" and seen[-1]["status"] == "completed"
    assert {job["status"] for job in seen} == {"running", "completed"}  # never read failed
    assert any(job["message"] == "Interrupted; trying again shortly" for job in seen)


def test_a_run_that_went_silent_by_itself_still_reads_worker_lost(env: Env) -> None:
    """No failed heartbeat, no excuse: a run that simply stopped writing (frozen, not
    refused) past its lease and grace is the worker's fault, as before."""
    outcome, seen = _run_through_a_stall(env, seconds=300, beats=False)
    assert outcome.result == "lost"
    assert seen[-1]["status"] == "failed" and seen[-1]["errorCode"] == "worker_lost"
    _never_back_from_failed(seen)


# Lambda gives up ----------------------------------------------------------------------------


def failure_record(job_id: str, condition: str = "RetriesExhausted") -> dict[str, Any]:
    return {
        "version": "1.0",
        "requestContext": {"requestId": "r", "condition": condition, "approximateInvokeCount": 3},
        "requestPayload": {"jobId": job_id, "idrssd": BANK, "type": "report", "params": {}},
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
    }


def test_a_job_lambda_gave_up_on_fails_at_once(env: Env) -> None:
    job_id = env.start()
    store = env.api.runtime.store
    assert record_failed_delivery(store, failure_record(job_id)) == "failed"
    job = env.api.status(BANK)
    assert job["status"] == "failed" and job["errorCode"] == "retries_exhausted"
    # SQS delivers at least once too: the same record again changes nothing.
    assert record_failed_delivery(store, failure_record(job_id)) == "failed"
    assert env.api.status(BANK) == job


def test_an_event_too_old_to_deliver_fails_its_job_as_not_started(env: Env) -> None:
    job_id = env.start()
    store = env.api.runtime.store
    assert record_failed_delivery(store, failure_record(job_id, "EventAgeExceeded")) == "failed"
    assert env.api.status(BANK)["errorCode"] == "not_started"


def test_a_failure_record_never_fails_a_job_a_live_run_holds(env: Env) -> None:
    job_id = env.start()
    env.api.runtime.store.claim(WorkerEvent(job_id, BANK, REPORT, {}), "live", "req-1")
    assert record_failed_delivery(env.api.runtime.store, failure_record(job_id)) == "ignored"
    assert env.api.status(BANK)["status"] == "running"


@pytest.mark.parametrize("record", [None, "text", {}, {"requestPayload": {"jobId": 1}}])
def test_a_malformed_failure_record_is_logged_and_dropped(env: Env, record: Any) -> None:
    assert record_failed_delivery(env.api.runtime.store, record) == "malformed"


def test_the_failure_queue_handler_reads_sqs_messages(env: Env) -> None:
    job_id = env.start()
    event = env.api.client.events.generate_sqs_event(
        message_bodies=[json.dumps(failure_record(job_id)), "not json"]
    )
    env.api.client.lambda_.invoke("worker_failures", event)
    assert env.api.status(BANK)["errorCode"] == "retries_exhausted"


def test_orphans_of_a_lost_run_are_deleted_but_published_artifacts_kept(env: Env) -> None:
    first = env.run()
    env.faults.before("TransactWriteItems", lambda: env.api.delete(CANCEL))
    second = env.start()
    assert env.api.deliver().result == "lost"
    assert any(first in key for key in env.objects())
    assert not any(second in key for key in env.objects())
    assert env.faults.rules[0].fired == 1
    assert key_ends_with(".json")({"Key": f"reports/{BANK}/{first}.json"})
