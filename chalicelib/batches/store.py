"""The batches' items in the Jobs table, and the one place their ``ClientError``s are read.

Layout: every batch record in one partition, newest first by its time-sorted id
(``BATCHES`` / ``BATCH#{batchId}``: a few writes per batch, never one per bank); each
bank's item in the batch's own partition (``BATCH#{batchId}`` / ``ITEM#{idrssd}``). Each
transition is one conditional write whose condition states ``model``'s rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.policy import error_code
from chalicelib.batches.model import (
    BEGIN_FROM,
    CANCEL_FROM,
    FINISH_FROM,
    REQUEUE_FROM,
    Batch,
    BatchStatus,
    Item,
    ItemState,
    Selection,
)
from chalicelib.clock import Clock
from chalicelib.job_types import JobType

BATCHES_PK = "BATCHES"
KEEP_SECONDS = 7 * 24 * 3600  # a batch of every bank can run for hours: its items outlive it
KEEP_FINISHED_SECONDS = 24 * 3600  # as a job: a day after it ends
PAGE = 50

# The rules of ``model``, as conditions on the item's state.
BEGIN = "#state IN (:queued, :running)"  # BEGIN_FROM
FINISH = "#state = :running"  # FINISH_FROM, by the run that began it (its attempt)
CANCEL = "#state = :queued"  # CANCEL_FROM
REQUEUE = "#state = :failed"  # REQUEUE_FROM
STATUS_FROM = "#status = :from"  # a batch's status moves on only from the one read
_STATES = {
    ":queued": str(BEGIN_FROM[0]),
    ":running": str(FINISH_FROM),
    ":failed": str(REQUEUE_FROM),
}
assert BEGIN_FROM[1] is FINISH_FROM and CANCEL_FROM is BEGIN_FROM[0]


def batch_key(batch_id: str) -> dict[str, str]:
    return {"pk": BATCHES_PK, "sk": f"BATCH#{batch_id}"}


def item_key(batch_id: str, idrssd: str) -> dict[str, str]:
    return {"pk": f"BATCH#{batch_id}", "sk": f"ITEM#{idrssd}"}


class BatchStore:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    # Batches -------------------------------------------------------------------------

    def create(self, batch: Batch, banks: Iterable[str]) -> None:
        """The batch's items first, then its record: a batch that can be read is whole."""
        expires = math.ceil(batch.created_at) + KEEP_SECONDS
        with self._table.batch_writer() as writer:  # resends what DynamoDB leaves over
            for idrssd in banks:
                item = item_key(batch.batch_id, idrssd) | {
                    "idrssd": idrssd, "state": str(ItemState.QUEUED), "attempts": 0,
                    "expiresAt": expires,
                }  # fmt: skip
                writer.put_item(Item=item)
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

    def begin(self, batch_id: str, idrssd: str) -> Item | None:
        """``BEGIN``: the item running, one attempt more; None when it has finished."""
        update = "SET #state = :running, #attempts = #attempts + :one"
        names = {"#state": "state", "#attempts": "attempts"}
        try:
            answer = self._table.update_item(
                Key=item_key(batch_id, idrssd), ReturnValues="ALL_NEW",
                **_expression(update, BEGIN, names, _STATES | {":one": 1}),
            )  # fmt: skip
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return None
        return _item_from(answer["Attributes"])

    def finish(self, batch_id: str, item: Item) -> bool:
        """``FINISH``: the item's outcome (completed, failed or skipped), once."""
        update = "SET #state = :to, #finishedAt = :now"
        values: dict[str, Any] = _STATES | {":to": str(item.state), ":now": _n(self._clock.now())}
        names = {"#state": "state", "#finishedAt": "finishedAt"}
        for name, value in (("jobId", item.job_id), ("errorCode", item.error_code),
                            ("message", item.message)):  # fmt: skip
            if value is not None:
                update += f", #{name} = :{name}"
                names[f"#{name}"], values[f":{name}"] = name, value
        return self._guarded(item_key(batch_id, item.idrssd), update, FINISH, names, values)

    def cancel(self, batch_id: str, idrssd: str) -> bool:
        """``CANCEL``: an item that had not started never will."""
        update = "SET #state = :cancelled, #finishedAt = :now"
        values = _STATES | {":cancelled": str(ItemState.CANCELLED), ":now": _n(self._clock.now())}
        names = {"#state": "state", "#finishedAt": "finishedAt"}
        return self._guarded(item_key(batch_id, idrssd), update, CANCEL, names, values)

    def requeue(self, batch_id: str, idrssd: str) -> bool:
        """``REQUEUE``: a failed item waits again (its failure is forgotten)."""
        update = "SET #state = :queued REMOVE #finishedAt, #errorCode, #message"
        names = {"#state": "state", "#finishedAt": "finishedAt", "#errorCode": "errorCode",
                 "#message": "message"}  # fmt: skip
        return self._guarded(item_key(batch_id, idrssd), update, REQUEUE, names, _STATES)

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
    )  # fmt: skip


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
