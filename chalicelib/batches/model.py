"""A batch and its items, free of AWS: the record, each item's states and the one rule of
each transition (the store's conditions stand beside them), and the counts derived from the
items, so that no single item takes a write per bank and a redelivery never counts twice.
"""

from __future__ import annotations

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
# - requeue: failed → queued (a retry of the batch's failures).
BEGIN_FROM = (ItemState.QUEUED, ItemState.RUNNING)
FINISH_FROM = ItemState.RUNNING
CANCEL_FROM = ItemState.QUEUED
REQUEUE_FROM = ItemState.FAILED


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

    def failure_to_api(self) -> dict[str, Any]:
        """A failed bank as ``GET /api/batches/{id}/failures`` lists it."""
        return {"idrssd": self.idrssd, "errorCode": self.error_code, "message": self.message,
                "jobId": self.job_id}  # fmt: skip


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

    def with_items(self, items: Iterable[Item]) -> Batch:
        """The batch as its items tell it: counts of each state, and done once none is
        waiting or running (its end is the last item's)."""
        held = list(items)
        counts = counted(held)
        status, finished = self.status, self.finished_at
        if status is BatchStatus.RUNNING and not any(i.state in UNFINISHED for i in held):
            status = BatchStatus.COMPLETED
            ends = [i.finished_at for i in held if i.finished_at is not None]
            finished = max(ends, default=self.updated_at)
        elif status is BatchStatus.RUNNING:
            finished = None
        return replace(self, status=status, finished_at=finished, counts=counts)

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
