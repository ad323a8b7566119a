"""A batch and its items, free of AWS: the record, each item's states and the one rule of
each transition (the store's conditions stand beside them), and the counts, kept on a few
counters (shards) that each item's moves write with the move itself, so that no single item
takes a write per bank, a read costs a few items however large the batch, and a redelivery,
refused by the item's rule, never counts twice.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from chalicelib.clock import iso
from chalicelib.job_types import JobType


class BatchStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ItemState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


UNFINISHED = frozenset({ItemState.QUEUED, ItemState.RUNNING})
COUNTED = tuple(ItemState)

# The transitions of an item, each one guarded write (``store``):
# - begin:   queued or running → running (running again: a redelivery after a lost run,
#            which the bank's single-flight job makes safe);
# - finish:  running → completed | failed | skipped, by the run that began it;
# - cancel:  queued → cancelled (a cancelled batch's item that had not started);
# - requeue: failed → queued (a retry of the batch's failures);
# - abandon: running or queued → failed (the last delivery of an item could not be worked:
#            the batch must still end).
BEGIN_FROM = (ItemState.QUEUED, ItemState.RUNNING)
FINISH_FROM = ItemState.RUNNING
CANCEL_FROM = ItemState.QUEUED
REQUEUE_FROM = ItemState.FAILED
ABANDON_FROM = (ItemState.RUNNING, ItemState.QUEUED)

SHARDS = 16
"""The counters of a batch. Each takes the moves of about 1/16 of the banks: with ten
workers finishing a few banks a second, two moves rarely meet on one counter (a meeting
is a transaction conflict, tried again), and a read is one query of 16 small items."""


def shard_of(idrssd: str) -> int:
    """The counter that counts a bank's item: fixed by its id, so every move of the item
    lands on the same counter."""
    return zlib.crc32(idrssd.encode()) % SHARDS


def per_shard(banks: Iterable[str]) -> dict[int, int]:
    """How many of ``banks`` each counter starts with (all queued)."""
    return dict(Counter(shard_of(idrssd) for idrssd in banks))


@dataclass(frozen=True)
class Selection:
    """Which banks a batch covers: those named (how many), or those a filter admits (every
    bank with data for the quarter when there is neither)."""

    named: int = 0
    state: str | None = None
    min_assets: int | None = None
    max_assets: int | None = None

    def to_api(self) -> dict[str, Any]:
        if self.named:
            return {"banks": self.named}
        given = {"state": self.state, "minAssets": self.min_assets, "maxAssets": self.max_assets}
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class Item:
    """One bank's part of a batch."""

    idrssd: str
    state: ItemState = ItemState.QUEUED
    job_id: str | None = None
    error_code: str | None = None
    message: str | None = None
    attempts: int = 0
    finished_at: float | None = None
    bank_name: str | None = None  # its job's, when the bank's work reached a job

    def failure_to_api(self) -> dict[str, Any]:
        """A failed bank as ``GET /api/batches/{id}/failures`` lists it."""
        return {"idrssd": self.idrssd, "bankName": self.bank_name, "errorCode": self.error_code,
                "message": self.message, "jobId": self.job_id}  # fmt: skip


@dataclass(frozen=True)
class Batch:
    batch_id: str
    type: JobType
    quarter: str
    status: BatchStatus
    total: int
    started_by: str
    created_at: float
    updated_at: float
    selection: Selection = field(default_factory=Selection)
    finished_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def with_counts(self, counts: dict[str, int], last_end: float | None) -> Batch:
        """The batch as its counters tell it: done once none of its items is waiting or
        running (its end is the last item's, ``last_end``)."""
        status, finished = self.status, self.finished_at
        waiting = sum(counts.get(str(state), 0) for state in UNFINISHED)
        if status is BatchStatus.RUNNING and not waiting:
            status = BatchStatus.COMPLETED
            finished = last_end if last_end is not None else self.updated_at
        elif status is BatchStatus.RUNNING:
            finished = None
        tally = {str(state): counts.get(str(state), 0) for state in COUNTED}
        return replace(self, status=status, finished_at=finished, counts=tally)

    def to_api(self) -> dict[str, Any]:
        counts = {str(state): self.counts.get(str(state), 0) for state in COUNTED}
        return {
            "batchId": self.batch_id,
            "type": str(self.type),
            "quarter": self.quarter,
            "status": str(self.status),
            "total": self.total,
            **counts,
            "selection": self.selection.to_api(),
            "startedBy": self.started_by,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "finishedAt": iso(self.finished_at) if self.finished_at is not None else None,
        }


def counted(items: Iterable[Item]) -> dict[str, int]:
    tally = Counter(str(item.state) for item in items)
    return {str(state): tally.get(str(state), 0) for state in COUNTED}


@dataclass(frozen=True)
class ItemMessage:
    """What travels on the queue for one item: small, and enough to find everything else."""

    batch_id: str
    idrssd: str

    def to_body(self) -> dict[str, str]:
        return {"batchId": self.batch_id, "idrssd": self.idrssd}

    @classmethod
    def from_body(cls, body: Any) -> ItemMessage | None:
        if not isinstance(body, dict):
            return None
        batch_id, idrssd = body.get("batchId"), body.get("idrssd")
        if not isinstance(batch_id, str) or not isinstance(idrssd, str):
            return None
        return cls(batch_id, idrssd)
