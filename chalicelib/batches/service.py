"""Start, read, cancel and retry batches: which banks, which quarter, and the queue."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.aws.policy import NETWORK_ERRORS
from chalicelib.banks.search import Search
from chalicelib.batches.errors import (
    AdminsOnly,
    BatchNotFound,
    BatchRefused,
    NoBanksSelected,
    NotYourBatch,
)
from chalicelib.batches.model import (
    Batch,
    BatchStatus,
    Item,
    ItemMessage,
    ItemState,
    Selection,
    counted,
)
from chalicelib.batches.queue import QueueUnavailable
from chalicelib.batches.store import BatchStore
from chalicelib.clock import Clock
from chalicelib.job_types import JobType
from chalicelib.jobs.errors import WorkerUnavailable
from chalicelib.jobs.model import Caller
from chalicelib.jobs.rules import new_job_id
from chalicelib.logs import log

LATEST = "latest"
NOT_QUEUED = (
    "The batch could not be handed to its workers, so it was cancelled. "
    "Please try again in a minute."
)


class BankSelector(Protocol):
    """The bank index (``banks.search.SearchIndex``)."""

    def every_match(self, search: Search) -> list[dict[str, Any]]: ...

    def newest(self) -> dict[str, str]: ...


class Queue(Protocol):
    def send(self, messages: Sequence[ItemMessage]) -> None: ...


@dataclass(frozen=True)
class BatchRequest:
    """A parsed ``POST /api/batches``: the kind, ``latest`` or a quarter, and the banks."""

    type: JobType
    quarter: str = LATEST
    banks: tuple[str, ...] = ()
    state: str | None = None
    min_assets: int | None = None
    max_assets: int | None = None


class BatchService:
    def __init__(
        self,
        store: BatchStore,
        banks: BankSelector,
        queue: Queue,
        clock: Clock,
        open_stage: bool = False,
    ) -> None:
        """``open_stage``: nobody signs in (the local stage), so everyone may run batches."""
        self._store = store
        self._banks = banks
        self._queue = queue
        self._clock = clock
        self._open = open_stage

    def start(self, request: BatchRequest, caller: Caller) -> Batch:
        """The batch of every chosen bank with data for the quarter, its items queued."""
        self._admin(caller)
        quarter = self._quarter(request.quarter)
        banks = self._chosen(request, quarter)
        now = self._clock.now()
        selection = Selection(len(request.banks), request.state, request.min_assets,
                              request.max_assets)  # fmt: skip
        batch = Batch(new_job_id(now), request.type, quarter, BatchStatus.RUNNING, len(banks),
                      caller.identity, now, now, selection)  # fmt: skip
        self._store.create(batch, banks)
        try:
            self._queue.send([ItemMessage(batch.batch_id, idrssd) for idrssd in banks])
        except (QueueUnavailable, ClientError, *NETWORK_ERRORS) as exc:
            log(logging.ERROR, "batch not queued", exc_info=True, batchId=batch.batch_id)
            self._store.set_status(batch, BatchStatus.CANCELLED)
            raise WorkerUnavailable(NOT_QUEUED) from exc
        log(logging.INFO, "batch started", batchId=batch.batch_id, total=batch.total)
        return replace(batch, counts=counted(Item(idrssd) for idrssd in banks))

    def get(self, batch_id: str) -> Batch:
        batch = self._store.get(batch_id)
        if batch is None:
            raise BatchNotFound(batch_id)
        return self._as_it_stands(batch)

    def failures(self, batch_id: str) -> list[Item]:
        """The batch's failed items, each with its job's sentence (a retry replays them)."""
        if self._store.get(batch_id) is None:
            raise BatchNotFound(batch_id)
        return self._store.items(batch_id, ItemState.FAILED)

    def newest(self, limit: int, after: str | None) -> tuple[list[Batch], str | None]:
        batches, following = self._store.newest(limit, after)
        return [self._as_it_stands(batch) for batch in batches], following

    def cancel(self, batch_id: str, caller: Caller) -> Batch:
        """Cancel what has not started (a running item finishes)."""
        batch = self._owned(batch_id, caller)
        if batch.status is not BatchStatus.RUNNING:
            raise BatchRefused(
                f"This batch has already {_ended(batch)}: there is nothing to cancel."
            )
        if not self._store.set_status(batch, BatchStatus.CANCELLED):
            return self.get(batch_id)  # it finished meanwhile
        return self.get(batch_id)

    def retry(self, batch_id: str, caller: Caller) -> Batch:
        """Queue the batch's failed items again (and only those)."""
        batch = self._owned(batch_id, caller)
        failed = self._store.items(batch_id, ItemState.FAILED)
        if not failed:
            raise BatchRefused("No bank of this batch failed: there is nothing to retry.")
        again = [item.idrssd for item in failed if self._store.requeue(batch_id, item.idrssd)]
        if batch.status is not BatchStatus.RUNNING:
            self._store.set_status(batch, BatchStatus.RUNNING)
        self._queue.send([ItemMessage(batch_id, idrssd) for idrssd in again])
        log(logging.INFO, "batch retried", batchId=batch_id, items=len(again))
        return self.get(batch_id)

    # ---------------------------------------------------------------------------------

    def _as_it_stands(self, batch: Batch) -> Batch:
        """Counts from the counters; a batch they show finished is recorded so (once)."""
        if batch.status is BatchStatus.COMPLETED:
            return batch
        now = batch.with_counts(*self._store.counts(batch.batch_id))
        if now.status is not batch.status:
            self._store.set_status(replace(now, status=batch.status), now.status)
        if now.status is BatchStatus.CANCELLED:
            return _cancelled_view(now)
        return now

    def _admin(self, caller: Caller) -> None:
        if not (caller.admin or self._open):
            raise AdminsOnly()

    def _owned(self, batch_id: str, caller: Caller) -> Batch:
        self._admin(caller)
        batch = self.get(batch_id)
        if not caller.admin and caller.identity != batch.started_by:
            raise NotYourBatch()
        return batch

    def _quarter(self, asked: str) -> str:
        newest = self._banks.newest()
        latest = newest.get("real") or newest.get("synthetic")
        if latest is None:
            raise NoBanksSelected(
                "No bank data is loaded yet: import a quarter of call reports first."
            )
        if asked in (LATEST, latest):
            return latest
        raise NoBanksSelected(
            f"Reports are written from each bank's latest quarter, now {_shown(latest)}; "
            f"{_shown(asked)} is not it. Ask for the latest quarter.",
            "unknown_quarter",
        )

    def _chosen(self, request: BatchRequest, quarter: str) -> list[str]:
        search = Search(state=request.state, min_assets=request.min_assets,
                        max_assets=request.max_assets, has_data=True)  # fmt: skip
        current = {
            b["idrssd"] for b in self._banks.every_match(search) if b["latestQuarter"] == quarter
        }
        if request.banks:
            missing = [idrssd for idrssd in request.banks if idrssd not in current]
            if missing:
                shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
                raise NoBanksSelected(
                    f"{len(missing)} of the banks named have no figures for {_shown(quarter)} "
                    f"(or match no bank): {shown}. Leave them out or check their RSSD IDs.",
                    "banks_without_data",
                )
            return sorted(set(request.banks))
        low, high = request.min_assets, request.max_assets
        if low is not None and high is not None and low > high:
            raise NoBanksSelected(
                "minAssets is above maxAssets, so no bank could match: swap them or widen "
                "the range."
            )
        if not current:
            raise NoBanksSelected(
                f"No bank matches these filters with figures for {_shown(quarter)}: "
                "widen the filters (state, asset sizes)."
            )
        return sorted(current)


def _cancelled_view(batch: Batch) -> Batch:
    """A cancelled batch's waiting items will not start: they count as cancelled."""
    counts = dict(batch.counts)
    counts[str(ItemState.CANCELLED)] += counts.pop(str(ItemState.QUEUED), 0)
    counts[str(ItemState.QUEUED)] = 0
    return replace(batch, counts=counts)


def _ended(batch: Batch) -> str:
    return "been cancelled" if batch.status is BatchStatus.CANCELLED else "finished"


def _shown(quarter: str) -> str:
    """20250630 as 2025-06-30 (a person reads dates, not digits)."""
    if len(quarter) == 8 and quarter.isdigit():
        return f"{quarter[:4]}-{quarter[4:6]}-{quarter[6:]}"
    return f"“{quarter[:20]}”"
