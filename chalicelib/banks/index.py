"""The compact bank index kept in the Banks table, and the table's key layout.

Search and peer medians need a little about every bank (name, place, size, a handful of
latest ratios). Reading that from the PROFILE items would be a full-table Scan, which also
reads every quarter item. Instead the importer maintains an index: items ``pk=INDEX``,
``sk=SHARD#0000``, ``SHARD#0001``, … each holding up to :data:`SHARD_SIZE` banks as one JSON
string (about 500 bytes a bank, so about 250 KB, under DynamoDB's 400 KB item limit). Reading it
is one Query; 5 000 banks are 10 shards.

When the index is missing (a table filled by something else), :meth:`BankIndex.load`
rebuilds it from a Scan of the PROFILE items, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.banks.metrics import PEER_METRICS

INDEX_PK = "INDEX"
SHARD_PREFIX = "SHARD#"
SHARD_SIZE = 500
PROFILE_SK = "PROFILE"


def bank_pk(idrssd: str) -> str:
    return f"BANK#{idrssd}"


def quarter_sk(quarter: str) -> str:
    return f"Q#{quarter}"


def plain(value: Any) -> Any:
    """DynamoDB values made JSON-ready: Decimal to int or float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(item) for item in value]
    return value


def entry_from_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """An index entry from a PROFILE item (used when rebuilding the index)."""
    return {
        "id": str(profile.get("idrssd") or profile["pk"].removeprefix("BANK#")),
        "name": profile.get("name", ""),
        "city": profile.get("city", ""),
        "state": profile.get("state", ""),
        "synthetic": bool(profile.get("synthetic", False)),
        "data": profile.get("data") != "none" and bool(profile.get("latestQuarter")),
        "q": profile.get("latestQuarter"),
        "assets": plain(profile.get("totalAssets")),
        "m": {
            key: value
            for key, value in plain(profile.get("latestMetrics") or {}).items()
            if key in PEER_METRICS
        },
    }


class BankIndex:
    """Reads and writes the index shards of one Banks table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The index as ``{idrssd: entry}``; None when no shard exists yet."""
        items = _query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(INDEX_PK) & Key("sk").begins_with(SHARD_PREFIX),
        )
        if not items:
            return None
        entries: dict[str, dict[str, Any]] = {}
        for item in items:
            for entry in json.loads(item["entries"]):
                entries[entry["id"]] = entry
        return entries

    def load(self) -> dict[str, dict[str, Any]]:
        """The index, rebuilt from PROFILE items (and saved) when it does not exist."""
        entries = self.read()
        if entries is not None:
            return entries
        entries = {}
        for profile in _scan_all(self._table, FilterExpression=Attr("sk").eq(PROFILE_SK)):
            entry = entry_from_profile(profile)
            entries[entry["id"]] = entry
        if entries:
            self.write(entries)
        return entries

    def write(self, entries: dict[str, dict[str, Any]]) -> None:
        """Replace the index with ``entries`` (sorted by id, so the bytes are stable)."""
        ordered = [entries[key] for key in sorted(entries, key=lambda k: (len(k), k))]
        shards = [ordered[i : i + SHARD_SIZE] for i in range(0, len(ordered), SHARD_SIZE)]
        existing = {
            item["sk"]
            for item in _query_all(
                self._table,
                KeyConditionExpression=Key("pk").eq(INDEX_PK) & Key("sk").begins_with(SHARD_PREFIX),
                ProjectionExpression="pk, sk",
            )
        }
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            written = set()
            for number, shard in enumerate(shards):
                sk = f"{SHARD_PREFIX}{number:04d}"
                written.add(sk)
                batch.put_item(
                    Item={
                        "pk": INDEX_PK,
                        "sk": sk,
                        "entries": json.dumps(shard, separators=(",", ":"), ensure_ascii=False),
                    }
                )
            for sk in sorted(existing - written):
                batch.delete_item(Key={"pk": INDEX_PK, "sk": sk})


def _query_all(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _scan_all(table: Any, **kwargs: Any) -> Iterable[dict[str, Any]]:
    while True:
        page = table.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_all(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query returns, across pages."""
    return _query_all(table, **kwargs)
