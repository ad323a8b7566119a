"""The Banks table: its key layout and every read and write of it, the API's and the importer's.

Items (docs/ARCHITECTURE.md, "Banks table")::

    pk=BANK#{idrssd}  sk=PROFILE          who the bank is and what its profile shows: the
                                          latest figures and metrics, the metric series of the
                                          last 8 quarters (``view``) and the medians of its
                                          peer band (``peers``), JSON strings that the
                                          importer recomputes whenever they change
    pk=BANK#{idrssd}  sk=Q#{yyyymmdd}     one quarter's figures (thousands of dollars, income
                                          for the quarter alone) and its year-to-date income
    pk=INDEX          sk=VERSION          the search index's version number and shard count
    pk=INDEX          sk=SHARD#{v}#{n}    version v of the search index, 500 banks a shard:
                                          what a search shows of each bank
    pk=INDEX          sk=PEERS#{v}#{n}    the same banks' latest peer metrics, which only
                                          the importer reads (for the band medians)
    pk=IMPORT         sk=Q#{yyyymmdd}     which banks a quarter's last import wrote, and
                                          whether that import finished

A profile is one ``GetItem``; a start's bank check is one ``GetItem`` of three attributes; a
warm search reads the ``VERSION`` item now and then and the shards only when the version
moved (an import writes the new shards first and moves the version last, so a reader never
sees half an index). Everything returned is plain Python: str, int, float, bool, None, lists
and dicts, never ``Decimal``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.banks.records import (
    BankStatus,
    ImportMarker,
    IndexEntry,
    IndexVersion,
    Profile,
    ProfileView,
    QuarterRecord,
)

PROFILE_SK = "PROFILE"
QUARTER_PREFIX = "Q#"
INDEX_PK = "INDEX"
VERSION_SK = "VERSION"
SHARD_PREFIX = "SHARD#"
PEERS_PREFIX = "PEERS#"
SHARD_SIZE = 500  # a few hundred bytes a bank: far below DynamoDB's 400 KB item limit
IMPORT_PK = "IMPORT"
# Profiles written before the profile carried its view have no ``layout``: they count as
# holding no figures until they are imported again.
PROFILE_LAYOUT = 2
_BATCH_KEYS = 100  # BatchGetItem's limit
_BATCH_ROUNDS = 6  # rounds of UnprocessedKeys before giving up
_THROTTLED: Any = {
    "Error": {
        "Code": "ProvisionedThroughputExceededException",
        "Message": "DynamoDB left keys of a BatchGetItem unprocessed after several rounds",
    }
}


def bank_pk(idrssd: str) -> str:
    return f"BANK#{idrssd}"


def quarter_sk(quarter: str) -> str:
    return f"{QUARTER_PREFIX}{quarter}"


def plain(value: Any) -> Any:
    """DynamoDB values made plain: Decimal to int or float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(item) for item in value]
    return value


def _number(value: Any) -> Any:
    """Numbers as DynamoDB stores them: int or Decimal, never float."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _dumps(value: Any) -> str:
    return json.dumps(
        value, default=plain, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


# -- item mapping -------------------------------------------------------------------------------


def _profile_item(profile: Profile) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": bank_pk(profile.idrssd), "sk": PROFILE_SK, "idrssd": profile.idrssd,
        "name": profile.name, "city": profile.city, "state": profile.state,
        "fdicCert": profile.fdic_cert, "filingType": profile.filing_type,
        "synthetic": profile.synthetic, "data": "loaded" if profile.has_data else "none",
        "layout": PROFILE_LAYOUT,
    }  # fmt: skip
    if profile.reference:
        item["reference"] = True
    if profile.latest_quarter:
        item["latestQuarter"] = profile.latest_quarter
    if profile.view is not None:
        view = profile.view  # not dataclasses.asdict: it deep-copies every value, slowly
        item["view"] = _dumps(
            {"figures": view.figures, "metrics": view.metrics, "series": view.series,
             "notes": view.notes}
        )  # fmt: skip
    if profile.peers is not None:
        item["peers"] = _dumps(profile.peers)
    return item


def _profile_from(item: Mapping[str, Any]) -> Profile:
    current = plain(item.get("layout")) == PROFILE_LAYOUT and "view" in item
    view = ProfileView(**json.loads(item["view"])) if current else None
    return Profile(
        idrssd=str(item.get("idrssd") or str(item["pk"]).removeprefix("BANK#")),
        name=str(item.get("name", "")),
        city=str(item.get("city", "")),
        state=str(item.get("state", "")),
        fdic_cert=str(item.get("fdicCert") or ""),
        filing_type=str(item.get("filingType") or ""),
        synthetic=bool(item.get("synthetic", False)),
        reference=bool(item.get("reference", False)),
        latest_quarter=item.get("latestQuarter") if item.get("data") != "none" else None,
        view=view,
        peers=json.loads(item["peers"]) if current and item.get("peers") else None,
    )


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _number(value) for key, value in values.items() if value is not None}


def _quarter_item(record: QuarterRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": bank_pk(record.idrssd), "sk": quarter_sk(record.quarter),
        "idrssd": record.idrssd, "quarter": record.quarter, "filingType": record.filing_type,
        "synthetic": record.synthetic, "figures": _compact(record.figures),
        "ytd": _compact(record.ytd), "sourceFiles": list(record.source_files),
    }  # fmt: skip
    if record.confidential:
        item["confidential"] = list(record.confidential)
    if record.note:
        item["note"] = record.note
    return item


def _quarter_from(item: Mapping[str, Any]) -> QuarterRecord:
    return QuarterRecord(
        idrssd=str(item["idrssd"]),
        quarter=str(item["quarter"]),
        figures=plain(item.get("figures") or {}),
        ytd=plain(item.get("ytd") or {}),
        filing_type=str(item.get("filingType") or ""),
        synthetic=bool(item.get("synthetic", False)),
        source_files=list(item.get("sourceFiles") or []),
        confidential=tuple(item.get("confidential") or ()),
        note=item.get("note"),
    )


class BatchWriter:
    """Puts and deletes sent 25 at a time (``BatchWriteItem``), from :meth:`BanksTable.batch`."""

    def __init__(self, batch: Any) -> None:
        self._batch = batch

    def put_quarter(self, record: QuarterRecord) -> None:
        self._batch.put_item(Item=_quarter_item(record))

    def delete_quarter(self, idrssd: str, quarter: str) -> None:
        self._batch.delete_item(Key={"pk": bank_pk(idrssd), "sk": quarter_sk(quarter)})

    def put_profile(self, profile: Profile) -> None:
        self._batch.put_item(Item=_profile_item(profile))


class BanksTable:
    """The one adapter of the Banks table (a boto3 ``Table``)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    # -- what the API reads -----------------------------------------------------------------

    def bank_status(self, idrssd: str) -> BankStatus | None:
        """Whether the bank is known and has figures: one ``GetItem`` of three attributes."""
        item = self._table.get_item(
            Key={"pk": bank_pk(idrssd), "sk": PROFILE_SK},
            ProjectionExpression="#name, #data, #layout",
            ExpressionAttributeNames={"#name": "name", "#data": "data", "#layout": "layout"},
        ).get("Item")
        if item is None:
            return None
        loaded = item.get("data") == "loaded" and plain(item.get("layout")) == PROFILE_LAYOUT
        return BankStatus(str(item.get("name") or f"RSSD {idrssd}"), loaded)

    def profile(self, idrssd: str) -> Profile | None:
        """The bank's profile with everything it shows: one ``GetItem``."""
        item = self._table.get_item(Key={"pk": bank_pk(idrssd), "sk": PROFILE_SK}).get("Item")
        return None if item is None else _profile_from(item)

    def index_version(self) -> IndexVersion | None:
        item = self._table.get_item(Key={"pk": INDEX_PK, "sk": VERSION_SK}).get("Item")
        if item is None:
            return None
        return IndexVersion(int(item["version"]), int(item["shards"]))

    def index_entries(
        self, version: IndexVersion, with_metrics: bool = False
    ) -> dict[str, IndexEntry] | None:
        """The index of ``version`` (one ``BatchGetItem``), with the peer metrics when asked
        (the importer); None when a newer import has replaced it since the version was read."""
        prefixes = (SHARD_PREFIX, PEERS_PREFIX) if with_metrics else (SHARD_PREFIX,)
        keys = [_index_key(p, version.number, n) for p in prefixes for n in range(version.shards)]
        items = self._batch_get(keys)
        if len(items) < len(keys):
            return None
        fields: dict[str, dict[str, Any]] = {}
        metrics: dict[str, dict[str, float]] = {}
        for item in sorted(items, key=lambda found: str(found["sk"])):
            if str(item["sk"]).startswith(PEERS_PREFIX):
                metrics.update(json.loads(item["entries"]))
            else:
                fields.update((str(data["id"]), data) for data in json.loads(item["entries"]))
        return {key: _entry_from(data, metrics.get(key, {})) for key, data in fields.items()}

    # -- what the importer reads -------------------------------------------------------------

    def index(self) -> dict[str, IndexEntry] | None:
        """The current index; None when none was ever written."""
        for _ in range(3):  # a concurrent import may replace the version between the reads
            version = self.index_version()
            if version is None:
                return None
            entries = self.index_entries(version, with_metrics=True)
            if entries is not None:
                return entries
        raise RuntimeError("the bank index kept changing while it was read")

    def scan_profiles(self) -> Iterator[Profile]:
        """Every ``PROFILE`` item (a Scan: for rebuilding a missing index only)."""
        kwargs: dict[str, Any] = {"FilterExpression": Attr("sk").eq(PROFILE_SK)}
        while True:
            page = self._table.scan(**kwargs)
            yield from (_profile_from(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def profiles(self, ids: Sequence[str]) -> dict[str, Profile]:
        items = self._batch_get([{"pk": bank_pk(i), "sk": PROFILE_SK} for i in ids])
        return {profile.idrssd: profile for profile in map(_profile_from, items)}

    def quarter_records(self, quarter: str, ids: Sequence[str]) -> dict[str, QuarterRecord]:
        """The stored ``Q#`` items of ``quarter`` for these banks (``BatchGetItem``)."""
        items = self._batch_get([{"pk": bank_pk(i), "sk": quarter_sk(quarter)} for i in ids])
        return {record.idrssd: record for record in map(_quarter_from, items)}

    def quarters_of(self, idrssd: str) -> list[str]:
        """The quarters stored for one bank, oldest first."""
        condition = Key("pk").eq(bank_pk(idrssd)) & Key("sk").begins_with(QUARTER_PREFIX)
        items = self._query(KeyConditionExpression=condition, ProjectionExpression="sk")
        return sorted(str(item["sk"]).removeprefix(QUARTER_PREFIX) for item in items)

    def marker(self, quarter: str) -> ImportMarker | None:
        item = self._table.get_item(Key={"pk": IMPORT_PK, "sk": quarter_sk(quarter)}).get("Item")
        if item is None:
            return None
        return ImportMarker(quarter, item["status"], item.get("source", ""), item["ids"])

    def imported_quarters(self) -> list[str]:
        """Quarters an import has written (or started to), oldest first."""
        condition = Key("pk").eq(IMPORT_PK) & Key("sk").begins_with(QUARTER_PREFIX)
        items = self._query(KeyConditionExpression=condition, ProjectionExpression="sk")
        return sorted(str(item["sk"]).removeprefix(QUARTER_PREFIX) for item in items)

    # -- writes --------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[BatchWriter]:
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            yield BatchWriter(batch)

    def put_marker(self, marker: ImportMarker) -> None:
        self._table.put_item(
            Item={"pk": IMPORT_PK, "sk": quarter_sk(marker.quarter), "status": marker.status,
                  "source": marker.source, "ids": marker.ids}
        )  # fmt: skip

    def write_index(self, entries: Iterable[IndexEntry]) -> IndexVersion:
        """Write ``entries`` as the next version of the index, then make it current; when
        they are the current index already, nothing is written and its version stays."""
        ordered = sorted(entries, key=lambda entry: (len(entry.idrssd), entry.idrssd))
        current = self.index_version()
        if current is not None and self.index_entries(current, with_metrics=True) == {
            entry.idrssd: entry for entry in ordered
        }:
            return current
        number = (current.number if current else 0) + 1
        shards = [ordered[i : i + SHARD_SIZE] for i in range(0, len(ordered), SHARD_SIZE)]
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for n, shard in enumerate(shards):
                batch.put_item(
                    Item={**_index_key(SHARD_PREFIX, number, n),
                          "entries": _dumps([_entry_json(entry) for entry in shard])}
                )  # fmt: skip
                batch.put_item(
                    Item={**_index_key(PEERS_PREFIX, number, n),
                          "entries": _dumps({entry.idrssd: entry.metrics for entry in shard})}
                )  # fmt: skip
        self._table.put_item(
            Item={"pk": INDEX_PK, "sk": VERSION_SK, "version": number,
                  "shards": len(shards), "banks": len(ordered)}
        )  # fmt: skip
        self._delete_index_before(number)
        return IndexVersion(number, len(shards))

    def _delete_index_before(self, number: int) -> None:
        keep = tuple(f"{prefix}{number:010d}#" for prefix in (SHARD_PREFIX, PEERS_PREFIX))
        stale = [
            item["sk"]
            for item in self._query(
                KeyConditionExpression=Key("pk").eq(INDEX_PK), ProjectionExpression="sk"
            )
            if item["sk"] != VERSION_SK and not str(item["sk"]).startswith(keep)
        ]
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for sk in stale:
                batch.delete_item(Key={"pk": INDEX_PK, "sk": sk})

    # -- paging --------------------------------------------------------------------------------

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_get(self, keys: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
        """The items that exist among ``keys``, 100 keys a ``BatchGetItem``."""
        client, name = self._table.meta.client, self._table.name
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _BATCH_KEYS):
            request: dict[str, Any] = {name: {"Keys": list(keys[start : start + _BATCH_KEYS])}}
            for round_number in range(_BATCH_ROUNDS):
                if round_number:
                    time.sleep(0.05 * 2**round_number)  # DynamoDB asks for backoff here
                response = client.batch_get_item(RequestItems=request)
                found.extend(response.get("Responses", {}).get(name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                # Unprocessed keys are DynamoDB throttling the read: say so as it would.
                raise ClientError(_THROTTLED, "BatchGetItem")
        return found


def _index_key(prefix: str, version_number: int, number: int) -> dict[str, str]:
    return {"pk": INDEX_PK, "sk": f"{prefix}{version_number:010d}#{number:04d}"}


def _entry_json(entry: IndexEntry) -> dict[str, Any]:
    return {
        "id": entry.idrssd, "name": entry.name, "city": entry.city, "state": entry.state,
        "synthetic": entry.synthetic, "data": entry.has_data, "q": entry.quarter,
        "assets": entry.assets,
    }  # fmt: skip


def _entry_from(data: Mapping[str, Any], metrics: Mapping[str, float]) -> IndexEntry:
    return IndexEntry(
        str(data["id"]), str(data.get("name", "")), str(data.get("city", "")),
        str(data.get("state", "")), bool(data.get("synthetic")), bool(data.get("data")),
        data.get("q"), data.get("assets"), dict(metrics),
    )  # fmt: skip
