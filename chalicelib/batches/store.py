"""The batches' items in the Jobs table, and the one place their ``ClientError``s are read.

Layout: every batch record in one partition, newest first by its time-sorted id
(``BATCHES`` / ``BATCH#{batchId}``: a few writes per batch, never one per bank); each
bank's item and the batch's counters in the batch's own partition (``BATCH#{batchId}`` /
``ITEM#{idrssd}`` and ``SHARD#{nn}``). Each move of an item is one transaction: the item's
write, whose condition states ``model``'s rule, and its counter's two additions (one state
less, one more), so the counts are exactly the items' and a refused move counts nothing.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.policy import backoff, cancellations, error_code, is_transient
from chalicelib.batches.model import (
    ABANDON_FROM,
    BEGIN_FROM,
    CANCEL_FROM,
    FINISH_FROM,
    REQUEUE_FROM,
    Batch,
    BatchStatus,
    Item,
    ItemState,
    Selection,
    per_shard,
    shard_of,
)
from chalicelib.clock import Clock
from chalicelib.job_types import JobType

BATCHES_PK = "BATCHES"
KEEP_SECONDS = 7 * 24 * 3600  # a batch of every bank can run for hours: its items outlive it
KEEP_FINISHED_SECONDS = 24 * 3600  # as a job: a day after it ends
PAGE = 50
MOVE_TRIES = 6  # a move that met another on its counter (a conflict) is tried again
FIRST_WAIT_SECONDS = 0.05

# The rules of ``model``, as conditions on the item's state.
BEGIN = "#state = :queued"  # BEGIN_FROM[0]: the item's first start, counted
STILL_RUNNING = "#state = :running"  # BEGIN_FROM[1]: a lost run's redelivery, uncounted
FINISH = "#state = :running"  # FINISH_FROM, by the run that began it (its attempt)
CANCEL = "#state = :queued"  # CANCEL_FROM
REQUEUE = "#state = :failed"  # REQUEUE_FROM
UNBEGUN = "#state = :queued"  # ABANDON_FROM[1] (ABANDON_FROM[0] is FINISH's)
STATUS_FROM = "#status = :from"  # a batch's status moves on only from the one read
_STATES = {
    ":queued": str(BEGIN_FROM[0]),
    ":running": str(FINISH_FROM),
    ":failed": str(REQUEUE_FROM),
}
# A counter's part of a move: the item leaves one state for another (and, when it ends,
# the counter keeps the time: the batch ends with its last item).
COUNT = "ADD #from :less, #to :more"
COUNT_END = "SET #lastEnd = :now ADD #from :less, #to :more"
assert BEGIN_FROM[1] is FINISH_FROM is ABANDON_FROM[0]
assert CANCEL_FROM is BEGIN_FROM[0] is ABANDON_FROM[1]


def batch_key(batch_id: str) -> dict[str, str]:
    return {"pk": BATCHES_PK, "sk": f"BATCH#{batch_id}"}


def item_key(batch_id: str, idrssd: str) -> dict[str, str]:
    return {"pk": f"BATCH#{batch_id}", "sk": f"ITEM#{idrssd}"}


def shard_key(batch_id: str, shard: int) -> dict[str, str]:
    return {"pk": f"BATCH#{batch_id}", "sk": f"SHARD#{shard:02d}"}


class BatchStore:
    def __init__(
        self, table: Any, clock: Clock, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep

    # Batches -------------------------------------------------------------------------

    def create(self, batch: Batch, banks: Iterable[str]) -> None:
        """The batch's items and counters first, then its record: a batch that can be
        read is whole."""
        expires = math.ceil(batch.created_at) + KEEP_SECONDS
        chosen = list(banks)
        with self._table.batch_writer() as writer:  # resends what DynamoDB leaves over
            for idrssd in chosen:
                item = item_key(batch.batch_id, idrssd) | {
                    "idrssd": idrssd, "state": str(ItemState.QUEUED), "attempts": 0,
                    "expiresAt": expires,
                }  # fmt: skip
                writer.put_item(Item=item)
            for shard, queued in per_shard(chosen).items():
                counter = {str(state): 0 for state in ItemState} | {"queued": queued}
                writer.put_item(Item=shard_key(batch.batch_id, shard) | counter
                                | {"expiresAt": expires})  # fmt: skip
        self._table.put_item(
            Item=_batch_item(batch) | {"expiresAt": expires},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, batch_id: str) -> Batch | None:
        item = self._table.get_item(Key=batch_key(batch_id), ConsistentRead=True).get("Item")
        return _batch_from(item) if item else None

    def newest(self, limit: int = PAGE, after: str | None = None) -> tuple[list[Batch], str | None]:
        """A page of batches, newest first, and the id the next page starts after."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :batch)",
            "ExpressionAttributeValues": {":pk": BATCHES_PK, ":batch": "BATCH#"},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = batch_key(after)
        answer = self._table.query(**query)
        batches = [_batch_from(item) for item in answer.get("Items", [])]
        more = answer.get("LastEvaluatedKey")
        return batches, (str(more["sk"]).removeprefix("BATCH#") if more else None)

    def set_status(self, batch: Batch, status: BatchStatus) -> bool:
        """Move the batch on from the status it was read with; a finished batch keeps its
        counts and is kept a day, as a job is."""
        now = self._clock.now()
        update = "SET #status = :to, #updatedAt = :now"
        values: dict[str, Any] = {":to": str(status), ":from": str(batch.status), ":now": _n(now)}
        if status is not BatchStatus.RUNNING:
            ended = batch.finished_at if batch.finished_at is not None else now
            update += ", #finishedAt = :ended, #counts = :counts, #expiresAt = :expires"
            values |= {":ended": _n(ended), ":counts": batch.counts,
                       ":expires": math.ceil(now) + KEEP_FINISHED_SECONDS}  # fmt: skip
        else:
            update += " REMOVE #finishedAt, #counts"
        names = {"#status": "status", "#updatedAt": "updatedAt", "#finishedAt": "finishedAt",
                 "#counts": "counts", "#expiresAt": "expiresAt"}  # fmt: skip
        return self._guarded(batch_key(batch.batch_id), update, STATUS_FROM, names, values)

    # Items ---------------------------------------------------------------------------

    def items(self, batch_id: str, state: ItemState | None = None) -> list[Item]:
        """Every item of the batch (of one state), read consistently: counts are exact."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :item)",
            "ExpressionAttributeValues": {":pk": f"BATCH#{batch_id}", ":item": "ITEM#"},
            "ConsistentRead": True,
        }
        if state is not None:
            query["FilterExpression"] = "#state = :state"
            query["ExpressionAttributeNames"] = {"#state": "state"}
            query["ExpressionAttributeValues"][":state"] = str(state)
        found: list[Item] = []
        while True:
            answer = self._table.query(**query)
            found.extend(_item_from(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return found
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def counts(self, batch_id: str) -> tuple[dict[str, int], float | None]:
        """The batch's counts of each state, summed over its counters (one consistent
        query of at most ``SHARDS`` items), and when its last ended item ended."""
        answer = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :shard)",
            ExpressionAttributeValues={":pk": f"BATCH#{batch_id}", ":shard": "SHARD#"},
            ConsistentRead=True,
        )
        counters = answer.get("Items", [])
        counts = {str(state): sum(int(c.get(str(state), 0)) for c in counters)
                  for state in ItemState}  # fmt: skip
        ends = [float(c["lastEnd"]) for c in counters if c.get("lastEnd") is not None]
        return counts, max(ends, default=None)

    def begin(self, batch_id: str, idrssd: str) -> Item | None:
        """``BEGIN``: the item running, one attempt more; None when it has finished (a
        redelivery of a finished item) or is not there."""
        update = "SET #state = :running, #attempts = #attempts + :one"
        names = {"#state": "state", "#attempts": "attempts"}
        values = _STATES | {":one": 1}
        found = self._move(batch_id, idrssd, update, BEGIN, names, values,
                           ItemState.QUEUED, ItemState.RUNNING)  # fmt: skip
        if found is None:
            return Item(idrssd, ItemState.RUNNING)
        if found is not ItemState.RUNNING:
            return None
        try:  # a redelivery of a run that was lost: running again, already counted so
            answer = self._table.update_item(
                Key=item_key(batch_id, idrssd), ReturnValues="ALL_NEW",
                **_expression(update, STILL_RUNNING, names, values),
            )  # fmt: skip
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return None
        return _item_from(answer["Attributes"])

    def finish(self, batch_id: str, item: Item, source: ItemState = FINISH_FROM) -> bool:
        """``FINISH``: the item's outcome (completed, failed or skipped), once; from
        ``queued`` only when a delivery is abandoned unbegun (``abandon``)."""
        update = "SET #state = :to, #finishedAt = :now"
        values: dict[str, Any] = _STATES | {":to": str(item.state), ":now": _n(self._clock.now())}
        names = {"#state": "state", "#finishedAt": "finishedAt"}
        for name, value in (("jobId", item.job_id), ("errorCode", item.error_code),
                            ("message", item.message), ("bankName", item.bank_name)):  # fmt: skip
            if value is not None:
                update += f", #{name} = :{name}"
                names[f"#{name}"], values[f":{name}"] = name, value
        condition = FINISH if source is FINISH_FROM else UNBEGUN
        found = self._move(batch_id, item.idrssd, update, condition, names, values,
                           source, item.state)  # fmt: skip
        return found is None

    def abandon(self, batch_id: str, item: Item) -> bool:
        """The item failed (``item`` says how) whether or not it had begun: its last
        delivery could not be worked, and the batch must still end."""
        first, then = ABANDON_FROM
        return self.finish(batch_id, item, first) or self.finish(batch_id, item, then)

    def cancel(self, batch_id: str, idrssd: str) -> bool:
        """``CANCEL``: an item that had not started never will."""
        update = "SET #state = :cancelled, #finishedAt = :now"
        values = _STATES | {":cancelled": str(ItemState.CANCELLED), ":now": _n(self._clock.now())}
        names = {"#state": "state", "#finishedAt": "finishedAt"}
        found = self._move(batch_id, idrssd, update, CANCEL, names, values,
                           ItemState.QUEUED, ItemState.CANCELLED)  # fmt: skip
        return found is None

    def requeue(self, batch_id: str, idrssd: str) -> bool:
        """``REQUEUE``: a failed item waits again (its failure is forgotten)."""
        update = "SET #state = :queued REMOVE #finishedAt, #errorCode, #message"
        names = {"#state": "state", "#finishedAt": "finishedAt", "#errorCode": "errorCode",
                 "#message": "message"}  # fmt: skip
        found = self._move(batch_id, idrssd, update, REQUEUE, names, _STATES,
                           ItemState.FAILED, ItemState.QUEUED)  # fmt: skip
        return found is None

    def _move(
        self, batch_id: str, idrssd: str, update: str, condition: str,
        names: dict[str, str], values: dict[str, Any], source: ItemState, target: ItemState,
    ) -> ItemState | None:  # fmt: skip
        """Move an item from ``source`` to ``target`` and count it so, in one transaction;
        ``None`` when it moved, else the state the item was found in (``None`` too when
        there is no such item: then nothing is counted either)."""
        table = self._table.name
        item = {"TableName": table, "Key": item_key(batch_id, idrssd),
                "UpdateExpression": update, "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **_expression(update, condition, names, values)}  # fmt: skip
        ended = target not in (ItemState.QUEUED, ItemState.RUNNING)
        count = COUNT_END if ended else COUNT
        counter = {"TableName": table, "Key": shard_key(batch_id, shard_of(idrssd)),
                   "UpdateExpression": count,
                   "ExpressionAttributeNames": {"#from": str(source), "#to": str(target)}
                   | ({"#lastEnd": "lastEnd"} if ended else {}),
                   "ExpressionAttributeValues": {":less": -1, ":more": 1}
                   | ({":now": _n(self._clock.now())} if ended else {})}  # fmt: skip
        client = self._table.meta.client
        attempt = 1
        while True:
            try:  # a token of this try: botocore's own retries of it are applied once
                client.transact_write_items(
                    TransactItems=[{"Update": item}, {"Update": counter}],
                    ClientRequestToken=str(uuid.uuid4()),
                )
                return None
            except ClientError as exc:
                reasons = cancellations(exc)
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    state = (reasons[0].get("Item") or {}).get("state", {}).get("S")
                    return ItemState(state) if state else None
                if not is_transient(exc) or attempt == MOVE_TRIES:
                    raise
            self._sleep(backoff(attempt, FIRST_WAIT_SECONDS))
            attempt += 1

    def _guarded(
        self, key: dict[str, str], update: str, condition: str, names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:  # fmt: skip
        try:
            self._table.update_item(Key=key, **_expression(update, condition, names, values))
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True


def _expression(
    update: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """The parts of an ``UpdateItem``, with only the names and values its expressions use
    (DynamoDB refuses any other)."""
    text = f"{update} {condition}"
    return {
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {k: v for k, v in names.items() if _names(text, k)},
        "ExpressionAttributeValues": {k: v for k, v in values.items() if _names(text, k)},
    }


def _names(text: str, token: str) -> bool:
    """Whether ``token`` (``#name`` or ``:value``) stands whole in ``text``."""
    return re.search(re.escape(token) + r"(?![A-Za-z0-9_])", text) is not None


def _n(seconds: float) -> Decimal:
    return Decimal(str(round(seconds, 3)))


def _batch_item(batch: Batch) -> dict[str, Any]:
    selection = batch.selection
    return batch_key(batch.batch_id) | {
        "batchId": batch.batch_id, "type": str(batch.type), "quarter": batch.quarter,
        "status": str(batch.status), "total": batch.total, "startedBy": batch.started_by,
        "createdAt": _n(batch.created_at), "updatedAt": _n(batch.updated_at),
        "selection": {"named": selection.named, "state": selection.state,
                      "minAssets": selection.min_assets, "maxAssets": selection.max_assets},
    }  # fmt: skip


def _batch_from(item: dict[str, Any]) -> Batch:
    chosen = item.get("selection") or {}
    selection = Selection(
        named=int(chosen.get("named") or 0),
        state=chosen.get("state"),
        min_assets=_int_or_none(chosen.get("minAssets")),
        max_assets=_int_or_none(chosen.get("maxAssets")),
    )
    counts = {str(k): int(v) for k, v in (item.get("counts") or {}).items()}
    finished = item.get("finishedAt")
    return Batch(
        batch_id=str(item["batchId"]), type=JobType(str(item["type"])),
        quarter=str(item["quarter"]), status=BatchStatus(str(item["status"])),
        total=int(item["total"]), started_by=str(item.get("startedBy", "")),
        created_at=float(item["createdAt"]), updated_at=float(item["updatedAt"]),
        selection=selection, finished_at=float(finished) if finished is not None else None,
        counts=counts,
    )  # fmt: skip


def _item_from(item: dict[str, Any]) -> Item:
    finished = item.get("finishedAt")
    return Item(
        idrssd=str(item["idrssd"]), state=ItemState(str(item["state"])),
        job_id=item.get("jobId"), error_code=item.get("errorCode"), message=item.get("message"),
        attempts=int(item.get("attempts", 0)),
        finished_at=float(finished) if finished is not None else None,
        bank_name=item.get("bankName"),
    )  # fmt: skip


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
