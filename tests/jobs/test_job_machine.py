"""A Hypothesis state machine over the real store and worker protocol, on moto, with a fake
clock and injected faults: every interleaving of starts, deliveries (duplicates and old
events too), progress, heartbeats, completions, failures, releases, cancels, Lambda giving
up, runs back from a datastore stall, time passing and lost or throttled writes keeps the
job invariants
(docs/ARCHITECTURE.md, "Invariants").

``make test`` runs a bounded number of examples; ``make soak`` runs many more
(``--hypothesis-profile=soak``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from chalicelib.artifacts import ArtifactBucket
from chalicelib.aws.policy import is_transient
from chalicelib.jobs import items, rules
from chalicelib.jobs.errors import ClaimRejected, JobLost, NoActiveJob, ProgressWentBackwards
from chalicelib.jobs.model import ErrorCode, Job, JobType, Publication, Status, WorkerEvent
from chalicelib.jobs.service import record_failed_delivery
from chalicelib.jobs.store import JobStore
from tests.conftest import REGION
from tests.fakes import FakeClock
from tests.faults import FaultInjector
from tests.moto_account import Aws

REPORT = JobType.REPORT
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4})  # as the runtime's
_namespaces = itertools.count(1)


@dataclass
class Run:
    """A delivery that claimed its job: what a worker holds."""

    job: Job
    label: str


class JobMachine(RuleBasedStateMachine):
    aws: ClassVar[Aws]
    checker_table: ClassVar[Any]

    events = Bundle("events")
    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        # A client of its own per example: botocore's retry quota (which decides whether a
        # lost answer is retried) must not carry over from one example to the next, or the
        # same steps would play out differently.
        table = boto3.resource("dynamodb", region_name=REGION, config=CLIENT_CONFIG).Table(
            self.aws.names.jobs_table
        )
        self.faults = FaultInjector().attach(table.meta.client)
        self.store = JobStore(table, self.clock)
        # The checks read through a client of their own, which no injected fault meets.
        self.checker = JobStore(self.checker_table, self.clock)
        self.bucket = ArtifactBucket(self.aws.s3, self.aws.bucket)
        namespace = next(_namespaces)
        # One bank: its items are independent of every other bank's by construction (the
        # partition key), and one keeps the search on the interleavings that matter.
        self.banks = [str(9_800_000 + namespace)]
        self.completed: dict[str, tuple[str, float]] = {}  # job id → (bank, created), stored
        self.progress: dict[str, int] = {}  # job id → highest progress read
        self.terminal: dict[str, str] = {}  # job id → its stored terminal status
        self.readable: set[str] = set()  # published artifacts already read back
        self.seen_failed: set[str] = set()  # jobs a reader was shown as failed
        self.tokens = itertools.count(1)

    # Rules -----------------------------------------------------------------------------

    @initialize(target=events)
    def first_start(self) -> WorkerEvent:
        return self._start(self.banks[0])

    @rule(target=events)
    def start(self) -> WorkerEvent:
        return self._start(self.banks[0])

    def _start(self, bank: str) -> WorkerEvent:
        try:
            job, _ = self.store.start(bank, REPORT, {})
        except Exception as exc:
            assert is_transient(exc), exc
            return WorkerEvent("never-started", bank, REPORT, {})
        return WorkerEvent.for_job(job)

    @rule(target=runs, event=events)
    def deliver(self, event: WorkerEvent) -> Any:
        """A delivery of any event ever sent: first, duplicate, retry or long stale. Only a
        delivery that claimed its job becomes a run that can write."""
        label = f"run-{next(self.tokens)}"
        try:
            job = self.store.claim(event, rules.new_delivery_token(label), label)
        except ClaimRejected:
            return multiple()
        except Exception as exc:
            assert is_transient(exc), exc
            return multiple()
        return Run(job, label)

    @rule(run=runs, step=st.integers(1, 40))
    def progress_write(self, run: Run, step: int) -> None:
        value = min(99, run.job.progress + step)
        if self._owned(lambda: self.store.report_progress(run.job, value, "work", "Working")):
            run.job = Job(**{**run.job.__dict__, "progress": value})

    @rule(run=runs)
    def heartbeat(self, run: Run) -> None:
        self._owned(lambda: self.store.heartbeat(run.job))

    @rule(run=runs)
    def release(self, run: Run) -> None:
        self._owned(lambda: self.store.release(run.job))

    @rule(run=runs)
    def fail(self, run: Run) -> None:
        self._owned(lambda: self.store.fail(run.job, "It broke.", "internal_error"))

    @rule(run=runs)
    def stall_recorded(self, run: Run) -> None:
        """The run, back from a datastore stall that refused its heartbeats, records its
        job's death as the datastore's (``rules.STALLED``: only a dead job it still owns)."""
        seen = self.checker.get_fresh(run.job.idrssd, REPORT) or run.job
        self._owned(lambda: self.store.record_stalled(run.job, seen))

    @rule(run=runs)
    def complete(self, run: Run) -> None:
        """Store the artifact, then complete and publish in one transaction. (A completion
        that applied but answered with an error is learnt from the stored item.)"""
        job = run.job
        key = f"reports/{job.idrssd}/{job.job_id}.json"
        self.bucket.put_json(key, {"jobId": job.job_id})
        publication = Publication(
            job.idrssd, REPORT, job.job_id, job.created_at, {"document": key}, {}
        )
        if self._owned(lambda: self.store.complete(job, {"url": "/x"}, "Done", publication)):
            self.completed[job.job_id] = (job.idrssd, job.created_at)

    @rule()
    def cancel(self) -> None:
        try:
            self.store.cancel(self.banks[0], REPORT)
        except NoActiveJob:
            pass
        except Exception as exc:
            assert is_transient(exc), exc

    @rule(event=events, condition=st.sampled_from(["RetriesExhausted", "EventAgeExceeded"]))
    def lambda_gives_up(self, event: WorkerEvent, condition: str) -> None:
        record = {"requestContext": {"condition": condition}, "requestPayload": event.to_payload()}
        try:
            record_failed_delivery(self.store, record)
        except Exception as exc:
            assert is_transient(exc), exc

    # Mostly the short waits around heartbeats and leases; now and then a long one.
    @rule(seconds=st.sampled_from([0.5, 5, 29, 31, 61, 89, 91, 0.5, 5, 31, 91, 200, 2_500, 86_401]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(
        operation=st.sampled_from(["PutItem", "UpdateItem", "TransactWriteItems", "GetItem"]),
        kind=st.sampled_from(["lose", "throttle", "server_error"]),
    )
    def next_call_fails(self, operation: str, kind: str) -> None:
        inject = {
            "lose": self.faults.lose_response,
            "throttle": self.faults.throttle,
            "server_error": self.faults.server_error,
        }[kind]
        inject(operation, times=1)

    def _owned(self, write: Any) -> bool:
        """Run an owner's write: ``True`` when it took effect (or had already)."""
        try:
            write()
        except (JobLost, ProgressWentBackwards):
            return False
        except Exception as exc:
            # Throttled past botocore's retries, or a lost answer whose retry botocore's
            # retry quota refused: transient either way, and the write may have applied.
            assert is_transient(exc), exc
            return False
        return True

    # Invariants --------------------------------------------------------------------------

    def teardown(self) -> None:
        # Keep the shared table small: moto copies whole tables on every transaction.
        table = self.checker_table
        for bank in self.banks:
            found = table.query(KeyConditionExpression=Key("pk").eq(items.bank_pk(bank)))
            with table.batch_writer() as batch:
                for item in found.get("Items", []):
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    @invariant()
    def the_job_invariants_hold(self) -> None:
        now = self.clock.now()
        for bank in self.banks:
            stored = self.checker.get_fresh(bank, REPORT)
            seen = rules.as_seen_at(stored, now, self.store.timing)
            if stored is not None:
                self._progress_never_decreases(stored)
                self._terminal_states_are_final(stored)
                if stored.status is Status.COMPLETED:
                    assert stored.progress == 100, "completed below 100"
                    self.completed.setdefault(stored.job_id, (bank, stored.created_at))
            if seen is not None:
                self._what_readers_saw_fail_stays_failed(seen)
            if seen is not None and seen.active:
                # No job reads active once nothing can claim it: past its claim window, or
                # past its lease (and the retry grace, while attempts are left).
                assert not rules.is_dead(seen, now, self.store.timing), "active past its lease"
            self._only_the_newest_completed_job_is_published(bank)

    def _what_readers_saw_fail_stays_failed(self, seen: Job) -> None:
        if seen.job_id in self.seen_failed:
            assert seen.status is Status.FAILED, "a job readers saw fail came back"
        elif seen.status is Status.FAILED:
            self.seen_failed.add(seen.job_id)

    def _progress_never_decreases(self, job: Job) -> None:
        assert job.progress >= self.progress.get(job.job_id, 0), "progress went down"
        self.progress[job.job_id] = job.progress

    def _terminal_states_are_final(self, job: Job) -> None:
        if job.job_id in self.terminal:
            assert str(job.status) == self.terminal[job.job_id], "a terminal state changed"
        elif not job.active:
            self.terminal[job.job_id] = str(job.status)

    def _only_the_newest_completed_job_is_published(self, bank: str) -> None:
        latest = self.checker.publications.latest(bank, REPORT)
        created = [at for job_bank, at in self.completed.values() if job_bank == bank]
        if latest is None:
            assert not created, "a completed job was not published"
            return
        assert latest.job_id in self.completed, "an artifact is served for a job not completed"
        assert latest.job_created_at == max(created), "the latest is not the newest completed"
        if latest.job_id not in self.readable:
            assert self.bucket.get_json(latest.keys["document"]) is not None, "unreadable"
            self.readable.add(latest.job_id)


@pytest.fixture
def machine(aws: Aws) -> Iterator[type[JobMachine]]:
    checker = boto3.resource("dynamodb", region_name=REGION).Table(aws.names.jobs_table)
    JobMachine.aws, JobMachine.checker_table = aws, checker
    yield JobMachine


def test_the_job_invariants_hold_under_every_interleaving(machine: type[JobMachine]) -> None:
    # The current profile: "ci" in make test, "soak" in make soak (tests/conftest.py).
    run_state_machine_as_test(machine, settings=settings())


def test_the_machine_finds_a_broken_condition(
    machine: type[JobMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shown once: with the owner's writes guarded by the job id alone — the condition the
    job core had before (no status, no delivery token) — a run cancelled while it stored
    its artifact still completes and publishes it, and the machine catches that."""
    monkeypatch.setattr(rules, "OWNED", rules.IS_MINE)
    # Fixed examples (derandomize): this test shows a fact about the search, so it must not
    # depend on luck; the search itself stays random in the test above.
    broken = settings(
        settings(), max_examples=400, phases=[Phase.generate], derandomize=True, database=None
    )
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=broken)


def test_abandon_codes_are_the_documented_ones() -> None:
    assert {ErrorCode.RETRIES_EXHAUSTED, ErrorCode.NOT_STARTED} <= set(ErrorCode)
