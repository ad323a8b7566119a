"""The batch worker: each queued bank's item becomes that bank's ordinary job, run here.

For each SQS record: a cancelled batch's item is cancelled; an item already finished (a
redelivery) is left as it is, so nothing counts twice; a bank whose latest report already
covers the quarter with the same writer is skipped; otherwise the bank's job is started
(or the active one joined: single flight) and run in this function, its model calls in the
batch's share of the quota. What fails for a reason that may pass (the tables, the network)
is handed back to the queue, which delivers it again and, after a few receives, to the
dead-letter queue; on its last receive an item is recorded failed instead, so that the
batch still ends.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.aws.policy import is_transient
from chalicelib.batches.model import Batch, BatchStatus, Item, ItemMessage, ItemState
from chalicelib.batches.store import BatchStore
from chalicelib.clock import Clock
from chalicelib.errors import DomainError
from chalicelib.jobs.model import (
    TERMINAL_STATUSES,
    Caller,
    Job,
    JobType,
    Publication,
    Status,
    WorkerEvent,
)
from chalicelib.jobs.service import JobService
from chalicelib.jobs.worker import Delivery, JobRunner
from chalicelib.logs import log
from chalicelib.quota import priority

MAX_RECEIVES = 3  # the queue's redrive policy (infra/resources.json): a test holds them equal
JOINED_POLL_SECONDS = 2.0
LAST_WORDS_SECONDS = 20.0  # kept back from the deadline to record a joined job's end


class Publications(Protocol):
    def latest(self, idrssd: str, job_type: JobType) -> Publication | None: ...


@dataclass(frozen=True)
class Record:
    """One SQS record as the worker needs it."""

    message_id: str
    body: str
    receives: int

    @classmethod
    def of(cls, record: Any) -> Record:
        """From Chalice's ``SQSRecord`` (its event's record) or a plain event record."""
        raw = record if isinstance(record, dict) else record.to_dict()
        attributes = raw.get("attributes") or {}
        receives = str(attributes.get("ApproximateReceiveCount", "1"))
        return cls(
            str(raw.get("messageId", "")),
            str(raw.get("body", "")),
            int(receives) if receives.isdigit() else 1,
        )


class BatchWorker:
    def __init__(
        self,
        store: BatchStore,
        jobs: JobService,
        runner: JobRunner,
        publications: Publications,
        writer: Callable[[], str],
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._jobs = jobs
        self._runner = runner
        self._publications = publications
        self._writer = writer
        self._clock = clock
        self._sleep = sleep

    def handle(self, records: Iterable[Record], delivery: Delivery) -> list[str]:
        """Work each record; the message ids to deliver again (``batchItemFailures``)."""
        again: list[str] = []
        batches: dict[str, Batch | None] = {}
        for record in records:
            message = _message(record)
            if message is None:
                log(logging.ERROR, "batch item rejected", body=record.body[:300])
                again.append(record.message_id)  # to the dead-letter queue, after a few
                continue
            try:
                self._item(message, batches, delivery)
            except Exception as exc:
                if record.receives < MAX_RECEIVES:
                    log(logging.WARNING, "batch item handed back", exc_info=True,
                        batchId=message.batch_id, idrssd=message.idrssd)  # fmt: skip
                    again.append(record.message_id)
                else:
                    self._give_up(message, exc)
        return again

    def _item(
        self, message: ItemMessage, batches: dict[str, Batch | None], delivery: Delivery
    ) -> None:
        if message.batch_id not in batches:  # read once an invocation: a cancel is seen
            batches[message.batch_id] = self._store.get(message.batch_id)  # by the next one
        batch = batches[message.batch_id]
        if batch is None:
            return  # the batch expired: nothing is waiting for this item
        if batch.status is BatchStatus.CANCELLED:
            self._store.cancel(batch.batch_id, message.idrssd)
            return
        item = self._store.begin(batch.batch_id, message.idrssd)
        if item is None:
            return  # finished already: a redelivery, counted once
        self._store.finish(batch.batch_id, self._work(batch, item, delivery))

    def _work(self, batch: Batch, item: Item, delivery: Delivery) -> Item:
        if self._up_to_date(batch, item.idrssd):
            return _ended(item, ItemState.SKIPPED)
        caller = Caller(identity=batch.started_by, admin=True)
        try:
            outcome = self._jobs.start_here(item.idrssd, batch.type, {}, caller)
        except DomainError as refused:  # the bank cannot have this job: a failure to show
            return _ended(item, ItemState.FAILED, code=refused.code, message=refused.message)
        job = outcome.job
        if outcome.created:
            with priority.batch_work():
                self._runner.handle(WorkerEvent.for_job(job).to_payload(), delivery)
        ended = self._ended_job(job, delivery)
        if ended is None:
            raise TimeoutError(f"the bank's job {job.job_id} had not ended by the deadline")
        if ended.status is Status.COMPLETED:
            return _ended(item, ItemState.COMPLETED, job=ended)
        return _ended(item, ItemState.FAILED, job=ended, code=ended.error_code,
                      message=ended.message)  # fmt: skip

    def _ended_job(self, job: Job, delivery: Delivery) -> Job | None:
        """The job as it ended; a joined job is waited for (it runs elsewhere)."""
        while True:
            current = self._jobs.current(job.idrssd, job.type)
            if current is None or current.job_id != job.job_id:
                return (
                    current if current is not None and current.status in TERMINAL_STATUSES else None
                )
            if current.status in TERMINAL_STATUSES:
                return current
            if self._clock.now() + JOINED_POLL_SECONDS > delivery.deadline - LAST_WORDS_SECONDS:
                return None
            self._sleep(JOINED_POLL_SECONDS)

    def _up_to_date(self, batch: Batch, idrssd: str) -> bool:
        latest = self._publications.latest(idrssd, batch.type)
        if latest is None:
            return False
        summary = latest.summary
        return summary.get("asOf") == batch.quarter and summary.get("writer") == self._writer()

    def _give_up(self, message: ItemMessage, exc: Exception) -> None:
        code = "temporarily_unavailable" if is_transient(exc) else "internal_error"
        log(logging.ERROR, "batch item failed", exc_info=True, batchId=message.batch_id,
            idrssd=message.idrssd)  # fmt: skip
        try:
            self._store.abandon(message.batch_id, Item(message.idrssd, ItemState.FAILED,
                                                       error_code=code))  # fmt: skip
        except Exception:  # the item stays running: the batch shows it, a retry replays it
            log(logging.ERROR, "batch item not recorded", exc_info=True, idrssd=message.idrssd)


def _message(record: Record) -> ItemMessage | None:
    try:
        return ItemMessage.from_body(json.loads(record.body))
    except ValueError:
        return None


def _ended(
    item: Item, state: ItemState, job: Job | None = None, code: str | None = None,
    message: str | None = None,
) -> Item:  # fmt: skip
    """The item's outcome; with the bank's job, its id and the bank's name as it ran."""
    return Item(item.idrssd, state, job.job_id if job else None, code, message, item.attempts,
                bank_name=job.bank_name if job else None)  # fmt: skip
