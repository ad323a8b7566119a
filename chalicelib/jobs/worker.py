"""The worker protocol: claim → pipeline with progress and heartbeats → complete, or fail.

A delivery ends in one of two ways (docs/ARCHITECTURE.md, "Worker protocol"):

- it **returns** when it is done: the job completed, failed with a sentence, or needs
  nothing from it (finished, cancelled, replaced, or a duplicate of a live run's event);
- it **raises** ``Redeliver`` when Lambda should deliver it again later: another run holds
  a live lease, or AWS kept failing transiently so that this run could not finish or could
  not record its outcome. It releases its claim first, so that the retry may take over.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib import logs
from chalicelib.aws.policy import backoff, is_transient
from chalicelib.clock import Clock
from chalicelib.jobs import failures, rules
from chalicelib.jobs.errors import ClaimRejected, JobFailed, JobLost, Redeliver
from chalicelib.jobs.events import JobEvents, RunTimes
from chalicelib.jobs.lease import TICK_SECONDS, LeaseKeeper
from chalicelib.jobs.model import ErrorCode, Job, WorkerEvent
from chalicelib.jobs.pipelines import DONE_MESSAGE, NOT_AVAILABLE, Completion, PipelineRegistry
from chalicelib.jobs.progress import MIN_WRITE_INTERVAL_SECONDS, ProgressReporter
from chalicelib.jobs.rules import Refusal
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

T = TypeVar("T")

UNEXPECTED = failures.by_type(ErrorCode.INTERNAL_ERROR)
RESERVE_SECONDS = 15.0
"""Time kept back from a terminal write's retries: enough to release the claim and return."""
FIRST_BACKOFF_SECONDS = 0.5
"""The first wait before a terminal write is tried again (then 1, 2, 4, 8, 10, 10 … s)."""


@dataclass(frozen=True)
class Delivery:
    """One execution of a worker handler: its Lambda request id and its deadline."""

    request_id: str
    deadline: float  # epoch seconds, on the runner's clock

    @classmethod
    def starting(cls, request_id: str, remaining_ms: float, clock: Clock) -> Delivery:
        return cls(request_id=request_id, deadline=clock.now() + remaining_ms / 1000)

    @classmethod
    def from_context(cls, context: Any, clock: Clock, default_ms: int = 900_000) -> Delivery:
        """From a Lambda context (``None`` when called directly, as in some tests)."""
        if context is None:
            return cls.starting(str(uuid.uuid4()), default_ms, clock)
        remaining = float(context.get_remaining_time_in_millis())
        return cls.starting(str(context.aws_request_id), remaining, clock)


@dataclass(frozen=True)
class ClaimedRun:
    """One run of a job this delivery claimed: what its steps share (the lease keeper, the
    delivery's deadline) and what it measures of itself (its stages and writes)."""

    keeper: LeaseKeeper
    delivery: Delivery
    times: RunTimes


@dataclass(frozen=True)
class Outcome:
    """What one delivery did, for logs and tests."""

    job_id: str
    result: str  # "completed" | "failed" | "skipped" | "lost" | "rejected"
    detail: str = ""


class JobRunner:
    """Runs one worker delivery; see the module's docstring for how it ends."""

    def __init__(
        self,
        store: JobStore,
        pipelines: PipelineRegistry,
        clock: Clock,
        discard: Callable[[Iterable[str]], None] | None = None,
        progress_interval: float = MIN_WRITE_INTERVAL_SECONDS,
        heartbeat_tick: float = TICK_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        events: JobEvents | None = None,
    ) -> None:
        self._store = store
        self._events = events if events is not None else store.events
        self._pipelines = pipelines
        self._clock = clock
        self._discard = discard
        self._progress_interval = progress_interval
        self._heartbeat_tick = heartbeat_tick
        self._sleep = sleep

    def handle(self, payload: Any, delivery: Delivery) -> Outcome:
        event = WorkerEvent.from_payload(payload)
        if event is None:
            log(logging.ERROR, "worker event rejected", payload=str(payload)[:500])
            return Outcome(job_id="", result="rejected", detail="malformed event")
        logs.remember_job(event.job_id, event.correlation_id)
        token = rules.new_delivery_token(delivery.request_id)
        job = self._claim(event, token, delivery)
        if isinstance(job, Outcome):
            return job
        logs.remember_job(job.job_id, job.correlation_id)
        times = RunTimes.claimed(job, self._events, self._clock.now())
        log(logging.INFO, "job claimed", jobId=job.job_id, type=str(job.type), attempt=job.attempt)
        keeper = LeaseKeeper(
            self._store, job, self._clock, self._store.timing.heartbeat_seconds,
            self._heartbeat_tick, deadline=delivery.deadline,
        )  # fmt: skip
        with keeper:
            run = ClaimedRun(keeper, delivery, times)
            outcome = self._execute(job, run)
        if keeper.handed_back and outcome.result == "lost":
            # It released its claim before the timeout: Lambda's retry must take over.
            raise Redeliver(job.job_id, "the run reached its time limit")
        return outcome

    def _claim(self, event: WorkerEvent, token: str, delivery: Delivery) -> Job | Outcome:
        try:
            return self._store.claim(event, token, delivery.request_id)
        except ClaimRejected as rejected:
            refusal = rejected.refusal
            log(logging.INFO, "delivery not claimed", jobId=event.job_id, reason=str(refusal))
            self._events.skipped(event, refusal)
            if refusal is Refusal.CONTENDED:
                raise Redeliver(event.job_id, "another run holds a live lease") from rejected
            if refusal is Refusal.EXHAUSTED:
                self._abandon(event)
            return Outcome(event.job_id, "skipped", str(refusal))
        except Exception as exc:
            if is_transient(exc):
                raise Redeliver(event.job_id, "the claim could not be written") from exc
            raise

    def _abandon(self, event: WorkerEvent) -> None:
        sentence = rules.RETRIES_EXHAUSTED[event.type]
        with contextlib.suppress(JobLost):  # someone else finished it meanwhile
            self._store.abandon(event, sentence, ErrorCode.RETRIES_EXHAUSTED)
            self._events.abandoned(event, ErrorCode.RETRIES_EXHAUSTED)

    def _execute(self, job: Job, run: ClaimedRun) -> Outcome:
        pipeline = self._pipelines.get(job.type)
        reporter = ProgressReporter(
            self._store,
            job,
            self._clock,
            run.keeper,
            self._progress_interval,
            run.times,
        )
        try:
            if pipeline is None:
                raise JobFailed(NOT_AVAILABLE[job.type], ErrorCode.UNAVAILABLE)
            done = pipeline(job, reporter)
        except JobLost as lost:
            log(logging.INFO, "job lost; run stops", jobId=job.job_id, reason=lost.reason)
            return self._lost(job, lost, run)
        except JobFailed as failed:
            # The job keeps the sentence for people; what an operator can do goes to the log.
            fields: dict[str, Any] = {"jobId": job.job_id, "error": failed.message}
            if failed.detail:
                fields["detail"] = failed.detail
            log(logging.WARNING if failed.detail else logging.INFO, "job failed", **fields)
            return self._fail(job, failed.message, failed.code, run)
        except Exception as exc:
            return self._unexpected(job, exc, run)
        completion = done if isinstance(done, Completion) else Completion(dict(done))
        return self._complete(job, completion, reporter, run)

    def _complete(
        self, job: Job, completion: Completion, reporter: ProgressReporter, run: ClaimedRun
    ) -> Outcome:
        message, publication = DONE_MESSAGE[job.type], completion.publication
        try:
            self._record(
                job, run,
                lambda: self._store.complete(job, completion.result, message, publication),
            )  # fmt: skip
        except JobLost as lost:
            # Nothing references this run's artifacts: delete them rather than wait for
            # the bucket's lifecycle rule.
            if completion.publication is not None and self._discard is not None:
                self._discard(completion.publication.keys.values())
            log(logging.INFO, "job lost at completion", jobId=job.job_id, reason=lost.reason)
            return self._lost(job, lost, run)
        log(logging.INFO, "job completed", jobId=job.job_id, writes=reporter.writes)
        run.times.end(self._clock.now(), None)
        return Outcome(job.job_id, "completed")

    def _unexpected(self, job: Job, exc: Exception, run: ClaimedRun) -> Outcome:
        if is_transient(exc):
            if job.attempt < self._store.timing.max_attempts:
                log(logging.WARNING, "transient failure; handing back", jobId=job.job_id)
                self._hand_back(job, "AWS kept failing transiently", exc)  # raises
            return self._fail(job, rules.BUSY[job.type], ErrorCode.BUSY, run)
        log(
            logging.ERROR, "job failed unexpectedly", exc_info=True, jobId=job.job_id,
            type=str(job.type), exceptionType=type(exc).__name__,
        )  # fmt: skip
        return self._fail(job, UNEXPECTED[job.type], ErrorCode.INTERNAL_ERROR, run)

    def _lost(self, job: Job, lost: JobLost, run: ClaimedRun) -> Outcome:
        """The run lost its job: it stops, and says why; a job that died of a datastore
        stall while this run held it is recorded failed ``busy`` (``LeaseKeeper.settle``)."""
        settled = run.keeper.settle(lost)
        if not run.keeper.stalled:
            return Outcome(job.job_id, "lost", settled.reason)
        run.times.end(self._clock.now(), ErrorCode.BUSY)
        return Outcome(job.job_id, "failed", rules.BUSY[job.type])

    def _fail(self, job: Job, sentence: str, code: str, run: ClaimedRun) -> Outcome:
        try:
            self._record(job, run, lambda: self._store.fail(job, sentence, code))
        except JobLost as lost:
            return self._lost(job, lost, run)
        run.times.end(self._clock.now(), code)
        return Outcome(job.job_id, "failed", sentence)

    def _record(self, job: Job, run: ClaimedRun, write: Callable[[], T]) -> T:
        """A terminal write, retried with backoff while transient errors last and time
        remains; past that the run hands the job back to Lambda (``Redeliver``). The lease
        is kept alive meanwhile."""
        attempt = 0
        while True:
            run.keeper.beat_if_due()
            try:
                return write()
            except JobLost:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    raise
                attempt += 1
                wait = backoff(attempt, FIRST_BACKOFF_SECONDS)
                if run.delivery.deadline - self._clock.now() - wait < RESERVE_SECONDS:
                    self._hand_back(job, "its outcome could not be recorded", exc)
                log(logging.WARNING, "terminal write retried", jobId=job.job_id, attempt=attempt)
                self._sleep(wait)

    def _hand_back(self, job: Job, reason: str, cause: Exception) -> None:
        """Release the claim (best effort) and raise, so that Lambda's retry takes over."""
        try:
            self._store.release(job)
        except Exception:
            # Not even that write went through: the lease lapses by itself within
            # JOB_LEASE_SECONDS, and the retry claims the job then.
            log(logging.WARNING, "release failed", jobId=job.job_id)
        raise Redeliver(job.job_id, reason) from cause
