"""The published versions of each bank's artifacts: the ``LATEST#{type}`` and
``HISTORY#{type}#{jobId}`` items of the Jobs table. Read here for the API; written only in a
completion's transaction (``JobStore.complete``), whose publishing writes this module makes,
so that only a completed job is ever published (``rules.NOT_NEWER``)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.clock import Clock
from chalicelib.jobs import items, rules
from chalicelib.jobs.conditions import expression
from chalicelib.jobs.model import JobType, Publication


class PublicationStore:
    """Reads of the published versions over a boto3 DynamoDB ``Table`` (the Jobs table)."""

    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def latest(self, idrssd: str, job_type: JobType) -> Publication | None:
        """What the API serves as the bank's latest artifact of a type: one ``GetItem``."""
        item = self._table.get_item(Key=items.latest_key(idrssd, job_type)).get("Item")
        return items.publication_from_item(item) if item else None

    def latest_of_each(self, idrssd: str) -> dict[JobType, Publication]:
        """The latest artifact of every type, in one ``BatchGetItem``."""
        keys = [items.latest_key(idrssd, job_type) for job_type in JobType]
        client = self._table.meta.client
        # Through the resource's own client, values are plain Python (boto3 converts them).
        request = {self._table.name: {"Keys": keys}}
        found: list[dict[str, Any]] = []
        while request:
            response = client.batch_get_item(RequestItems=request)
            found += response.get("Responses", {}).get(self._table.name, [])
            request = response.get("UnprocessedKeys") or {}
        publications = (items.publication_from_item(item) for item in found)
        return {publication.type: publication for publication in publications}

    def history(self, idrssd: str, job_type: JobType, limit: int = 50) -> list[Publication]:
        """The bank's published artifacts of a type, newest first: one ``Query``."""
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(items.bank_pk(idrssd))
            & Key("sk").begins_with(items.history_prefix(job_type)),
            ScanIndexForward=False,
            Limit=limit,
        )
        now = self._clock.now()
        live = (item for item in response.get("Items", []) if items.history_item_is_live(item, now))
        return [items.publication_from_item(item) for item in live]

    def version(self, idrssd: str, job_type: JobType, job_id: str) -> Publication | None:
        """One published artifact by its job id: one ``GetItem``."""
        key = items.history_key(idrssd, job_type, job_id)
        item = self._table.get_item(Key=key).get("Item")
        if not item or not items.history_item_is_live(item, self._clock.now()):
            return None
        return items.publication_from_item(item)

    def publishing(self, publication: Publication, now: float) -> list[dict[str, Any]]:
        """The writes that publish ``publication``, for a completion's transaction: the
        latest (never over a newer job's, ``rules.NOT_NEWER``) and its history entry."""
        table = self._table.name
        created = {":jobCreatedAt": rules.epoch_ms(publication.job_created_at)}
        latest = {"TableName": table, "Item": items.latest_item(publication)}
        history = {"TableName": table, "Item": items.history_item(publication, now)}
        return [
            {"Put": latest | expression("", rules.NOT_NEWER, created)},
            {"Put": history},
        ]
