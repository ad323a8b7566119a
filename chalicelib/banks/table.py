"""The Banks table: its key layout and every read and write of it, the API's and the importer's.

Items (docs/ARCHITECTURE.md, "Banks table")::

    pk=BANK#{idrssd}  sk=PROFILE          who the bank is and what its profile shows: the
                                          latest figures and metrics, the metric series of the
                                          last 8 quarters and where the figures come from
                                          (``view``), its peer group in its latest quarter
                                          (``peers``: the band's medians and the bank's
                                          percentiles), former names and the RSSD IDs its FDIC
                                          certificate passed from or to; JSON strings the
                                          importer recomputes whenever they change
    pk=BANK#{idrssd}  sk=Q#{yyyymmdd}     one quarter's figures (thousands of dollars, income
                                          for the quarter alone) and its year-to-date income,
                                          as JSON strings
    pk=BANK#{idrssd}  sk=RECENT           what the next import needs of the bank: its quarters
                                          among the last 12 quarter-ends up to its latest, and
                                          the names it filed under (one read, not twelve)
    pk=INDEX          sk=VERSION          the search index's version number, shard count and
                                          the newest quarter held of real and synthetic banks
    pk=INDEX          sk=SHARD#{v}#{n}    version v of the search index, 500 banks a shard:
                                          what a search shows and filters on of each bank
    pk=IMPORT         sk=Q#{yyyymmdd}     which banks a quarter's last import wrote, and
                                          whether that import finished
    pk=PEERS          sk=Q#{yyyymmdd}     that quarter's peer groups, real and synthetic:
                                          per size band its banks and medians (written by
                                          the import of the quarter; a profile's series
                                          shows each quarter's median from them)

A profile is one ``GetItem``; a start's bank check is one ``GetItem`` of three attributes; a
warm search reads the ``VERSION`` item now and then and the shards only when the version
moved (an import writes the new shards first and moves the version last, so a reader never
sees half an index). Everything returned is plain Python: str, int, float, bool, None, lists
and dicts, never ``Decimal``.

Figures travel as JSON strings rather than DynamoDB maps: nothing queries inside them, and
one string attribute costs a fraction of forty numbers to write, read and (in the local
emulator, whose response serializer walks every attribute) serialize.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import orjson
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.aws.policy import backoff
from chalicelib.banks.records import (
    BankStatus,
    Held,
    ImportMarker,
    IndexEntry,
    IndexVersion,
    Link,
    Profile,
    ProfileView,
    QuarterRecord,
    Recent,
)

PROFILE_SK = "PROFILE"
QUARTER_PREFIX = "Q#"
RECENT_SK = "RECENT"
INDEX_PK = "INDEX"
VERSION_SK = "VERSION"
SHARD_PREFIX = "SHARD#"
SHARD_SIZE = 500  # a few hundred bytes a bank: far below DynamoDB's 400 KB item limit
IMPORT_PK = "IMPORT"
PEERS_PK = "PEERS"
# Profiles written before the profile carried its peer group per quarter (layout 3) count
# as holding no figures until they are imported again.
PROFILE_LAYOUT = 3
_BATCH_KEYS = 100  # BatchGetItem's limit
_BATCH_PUTS = 25  # BatchWriteItem's limit
_BATCH_ROUNDS = 8  # rounds of unprocessed keys or items before giving up
# BatchWriteItem calls in flight at once: DynamoDB takes them in parallel; past a few, the
# local emulator (one Python process) only queues them.
WRITE_THREADS = 4
# BatchGetItem calls in flight at once when a read spans several: the caller decodes one
# answer while DynamoDB (or the emulator, in its own process) serves the next.
READ_THREADS = 4
_THROTTLED: Any = {
    "Error": {
        "Code": "ProvisionedThroughputExceededException",
        "Message": "DynamoDB left keys or items of a batch unprocessed after several rounds",
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


def _dumps(value: Any) -> str:
    """Compact UTF-8 JSON, the same text as ``json.dumps(separators=(",", ":"),
    ensure_ascii=False)`` writes, in a quarter of its time (orjson; measured on the real
    profiles and RECENT items). Keys that are not strings are written as strings. One
    difference: orjson writes a NaN or an infinity as ``null`` where ``json.dumps`` with
    ``allow_nan=False`` refused it; the figures are parsed from integers and the metrics give
    None where a denominator is zero or missing, so neither ever reaches here."""
    return orjson.dumps(value, default=plain, option=orjson.OPT_NON_STR_KEYS).decode()


def _json(item: Mapping[str, Any], name: str, empty: Any) -> Any:
    """A JSON-string attribute read back (a map written by an older importer as it is)."""
    value = item.get(name)
    if value is None:
        return empty
    return orjson.loads(value) if isinstance(value, str) else plain(value)


def unprocessed_backoff(round_number: int) -> float:
    """Seconds before resending what a batch call left unprocessed (DynamoDB asks for
    backoff there): 0.1, 0.2, 0.4 … 6.4."""
    return backoff(round_number, first=0.1)


# -- item mapping -------------------------------------------------------------------------------


def _link_json(link: Link) -> dict[str, str]:
    return {"idrssd": link.idrssd, "name": link.name, "quarter": link.quarter}


def _link_from(data: Mapping[str, Any]) -> Link:
    return Link(str(data["idrssd"]), str(data.get("name", "")), str(data.get("quarter", "")))


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
    if profile.first_quarter:
        item["firstQuarter"] = profile.first_quarter
    if profile.view is not None:
        view = profile.view  # not dataclasses.asdict: it deep-copies every value, slowly
        item["view"] = _dumps(
            {"figures": view.figures, "metrics": view.metrics, "series": view.series,
             "notes": view.notes, "source": view.source, "incomeUnknown": view.income_unknown}
        )  # fmt: skip
    if profile.peers is not None:
        item["peers"] = _dumps(profile.peers)
    if profile.former_names:
        item["formerNames"] = list(profile.former_names)
    if profile.successor is not None:
        item["successor"] = _dumps(_link_json(profile.successor))
    if profile.predecessors:
        item["predecessors"] = _dumps([_link_json(link) for link in profile.predecessors])
    return item


def _view_from(data: dict[str, Any]) -> ProfileView:
    return ProfileView(
        figures=data["figures"], metrics=data["metrics"], series=data["series"],
        notes=data.get("notes") or [], source=data.get("source"),
        income_unknown=data.get("incomeUnknown") or [],
    )  # fmt: skip


def _profile_from(item: Mapping[str, Any]) -> Profile:
    current = plain(item.get("layout")) == PROFILE_LAYOUT and "view" in item
    view = _view_from(orjson.loads(item["view"])) if current else None
    successor = _json(item, "successor", None)
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
        peers=orjson.loads(item["peers"]) if current and item.get("peers") else None,
        first_quarter=item.get("firstQuarter"),
        former_names=tuple(item.get("formerNames") or ()),
        successor=_link_from(successor) if successor else None,
        predecessors=tuple(map(_link_from, _json(item, "predecessors", []))),
    )


def _flat(values: Mapping[str, Any]) -> dict[str, Any]:
    """A flat map of figures, plain and without the unknown ones."""
    return {
        key: plain(value) if type(value) is Decimal else value
        for key, value in values.items()
        if value is not None
    }


def _quarter_item(record: QuarterRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": bank_pk(record.idrssd), "sk": quarter_sk(record.quarter),
        "idrssd": record.idrssd, "quarter": record.quarter, "filingType": record.filing_type,
        "synthetic": record.synthetic, "figures": _dumps(_flat(record.figures)),
        "ytd": _dumps(_flat(record.ytd)), "sourceFiles": list(record.source_files),
    }  # fmt: skip
    if record.confidential:
        item["confidential"] = list(record.confidential)
    if record.note:
        item["note"] = record.note
    if record.produced_at:
        item["producedAt"] = record.produced_at
    return item


def _quarter_from(item: Mapping[str, Any]) -> QuarterRecord:
    return QuarterRecord(
        idrssd=str(item["idrssd"]),
        quarter=str(item["quarter"]),
        figures=_json(item, "figures", {}),
        ytd=_json(item, "ytd", {}),
        filing_type=str(item.get("filingType") or ""),
        synthetic=bool(item.get("synthetic", False)),
        source_files=list(item.get("sourceFiles") or []),
        confidential=tuple(item.get("confidential") or ()),
        note=item.get("note"),
        produced_at=item.get("producedAt"),
    )


def held_of(record: QuarterRecord) -> Held:
    """What a profile needs of a stored quarter."""
    return Held(
        figures=_flat(record.figures), ytd=_flat(record.ytd), note=record.note,
        produced_at=record.produced_at,
    )  # fmt: skip


def recent_item(idrssd: str, recent: Recent) -> dict[str, Any]:
    """The bank's ``RECENT`` item, for :meth:`BatchWriter.put_recent` (an import builds it
    when it recomputes the bank and keeps it, a few strings, until it writes it).

    Columns, not maps: each quarter's figures as a list in the order of ``fields`` (named
    once), a third of the bytes of named values."""
    quarters = dict(sorted(recent.quarters.items()))
    fields = sorted({name for held in quarters.values() for name in held.figures})
    flows = sorted({name for held in quarters.values() for name in held.ytd})
    data = {
        "fields": fields, "flows": flows,
        "figures": {q: [held.figures.get(name) for name in fields] for q, held in quarters.items()},
        "ytd": {q: [h.ytd.get(name) for name in flows] for q, h in quarters.items() if h.ytd},
        "notes": {q: held.note for q, held in quarters.items() if held.note},
        "producedAt": {q: held.produced_at for q, held in quarters.items() if held.produced_at},
    }  # fmt: skip
    row_fields = sorted({name for row in recent.rows.values() for name in row} - {"quarter"})
    data["rows"] = {
        "version": recent.rows_version, "fields": row_fields,
        "values": {q: [row.get(name) for name in row_fields] for q, row in recent.rows.items()},
    }  # fmt: skip
    return {
        "pk": bank_pk(idrssd), "sk": RECENT_SK, "quarters": _dumps(data),
        "names": _dumps([list(name) for name in recent.names]),
    }  # fmt: skip


def _columns(names: list[str], values: list[Any]) -> dict[str, Any]:
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


def _recent_from(item: Mapping[str, Any]) -> Recent:
    data = orjson.loads(item["quarters"])
    fields, flows, ytd = data["fields"], data["flows"], data["ytd"]
    quarters = {
        quarter: Held(
            figures=_columns(fields, values),
            ytd=_columns(flows, ytd.get(quarter) or [None] * len(flows)),
            note=data["notes"].get(quarter),
            produced_at=data["producedAt"].get(quarter),
        )
        for quarter, values in data["figures"].items()
    }
    names = tuple(tuple(name) for name in orjson.loads(item.get("names") or "[]"))
    stored = data.get("rows") or {}
    row_fields = stored.get("fields", [])
    rows = {
        quarter: {"quarter": quarter, **dict(zip(row_fields, values, strict=True))}
        for quarter, values in (stored.get("values") or {}).items()
    }
    return Recent(quarters, names, rows, int(stored.get("version", 0)))  # type: ignore[arg-type]


# -- writes ---------------------------------------------------------------------------------------


class ParallelWriter:
    """Puts and deletes sent as ``BatchWriteItem`` calls of 25 from a few threads at once.

    ``client`` is a boto3 ``Table``'s client, which turns Python values into DynamoDB's (in
    the calling thread: the writer threads share that work too).

    What DynamoDB leaves unprocessed is sent again after a backoff, a few rounds, then the
    writer fails as DynamoDB throttling would. A key given twice before its batch is sent
    keeps its last write (as boto3's ``overwrite_by_pkeys``); callers write each key at most
    once per writer otherwise, since batches in flight land in any order. Memory is bounded:
    at most ``2 x threads`` batches wait. The first error is raised by the next call or by
    :meth:`close`.
    """

    def __init__(
        self, client: Any, table_name: str, threads: int = WRITE_THREADS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self._client = client
        self._name = table_name
        self._sleep = sleep
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="banks-write")
        self._slots = threading.BoundedSemaphore(threads * 2)
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._futures: list[Future[None]] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self.landed = 0  # puts and deletes DynamoDB has confirmed

    def put(self, item: Mapping[str, Any]) -> None:
        self._add((str(item["pk"]), str(item["sk"])), {"PutRequest": {"Item": dict(item)}})

    def delete(self, pk: str, sk: str) -> None:
        self._add((pk, sk), {"DeleteRequest": {"Key": {"pk": pk, "sk": sk}}})

    def _add(self, key: tuple[str, str], request: dict[str, Any]) -> None:
        self._raise_error()
        self._pending[key] = request
        if len(self._pending) == _BATCH_PUTS:
            self._send()

    def _send(self) -> None:
        if not self._pending:
            return
        requests, self._pending = list(self._pending.values()), {}
        self._slots.acquire()  # wait while enough batches are in flight
        future = self._pool.submit(self._write, requests)
        future.add_done_callback(lambda _: self._slots.release())
        self._futures = [pending for pending in self._futures if not pending.done()]
        self._futures.append(future)

    def _write(self, requests: list[dict[str, Any]]) -> None:
        try:
            batch: dict[str, Any] = {self._name: requests}
            for round_number in range(_BATCH_ROUNDS):
                if round_number:
                    self._sleep(unprocessed_backoff(round_number))
                batch = self._client.batch_write_item(RequestItems=batch).get(
                    "UnprocessedItems"
                ) or {}  # fmt: skip
                done = len(requests) - len(batch.get(self._name, []))
                with self._lock:
                    self.landed += done
                requests = batch.get(self._name, [])
                if not batch:
                    return
            raise ClientError(_THROTTLED, "BatchWriteItem")
        except BaseException as error:
            with self._lock:
                self._error = self._error or error
            raise

    def _raise_error(self) -> None:
        with self._lock:
            error = self._error
        if error is not None:
            raise error

    def close(self) -> None:
        """Send what is left, wait for every batch, and raise the first error if any."""
        try:
            if self._error is None:
                self._send()
            for future in self._futures:
                future.exception()  # waits; the error itself is kept in self._error
        finally:
            self._pool.shutdown(wait=True)
        self._raise_error()


class BatchWriter:
    """The Banks table's items written through a :class:`ParallelWriter`, from
    :meth:`BanksTable.batch`."""

    def __init__(self, writer: ParallelWriter) -> None:
        self._writer = writer

    @property
    def landed(self) -> int:
        """Writes DynamoDB has confirmed so far."""
        return self._writer.landed

    def put_quarter(self, record: QuarterRecord) -> None:
        self._writer.put(_quarter_item(record))

    def delete_quarter(self, idrssd: str, quarter: str) -> None:
        self._writer.delete(bank_pk(idrssd), quarter_sk(quarter))

    def put_profile(self, profile: Profile) -> None:
        self._writer.put(_profile_item(profile))

    def put_recent(self, item: Mapping[str, Any]) -> None:
        """A ``RECENT`` item built by :func:`recent_item`."""
        self._writer.put(item)

    def delete_recent(self, idrssd: str) -> None:
        self._writer.delete(bank_pk(idrssd), RECENT_SK)


class BanksTable:
    """The one adapter of the Banks table (a boto3 ``Table``)."""

    def __init__(self, table: Any, write_threads: int = WRITE_THREADS) -> None:
        self._table = table
        self._write_threads = write_threads

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
        # ``data`` is Profile.has_data as written (``_profile_item``); an item of an older
        # layout has no figures this code reads, as ``_profile_from`` finds too.
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
        newest = _json(item, "newest", {})
        return IndexVersion(int(item["version"]), int(item["shards"]), dict(newest))

    def index_entries(self, version: IndexVersion) -> dict[str, IndexEntry] | None:
        """The index of ``version`` (one ``BatchGetItem``); None when a newer import has
        replaced it since the version was read."""
        keys = [_index_key(version.number, n) for n in range(version.shards)]
        items = self._batch_get(keys)
        if len(items) < len(keys):
            return None
        entries: dict[str, IndexEntry] = {}
        for item in sorted(items, key=lambda found: str(found["sk"])):
            for data in orjson.loads(item["entries"]):
                entries[str(data["id"])] = _entry_from(data)
        return entries

    # -- what the importer reads -------------------------------------------------------------

    def index(self) -> dict[str, IndexEntry] | None:
        """The current index; None when none was ever written."""
        for _ in range(3):  # a concurrent import may replace the version between the reads
            version = self.index_version()
            if version is None:
                return None
            entries = self.index_entries(version)
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

    def recents(self, ids: Sequence[str]) -> dict[str, Recent]:
        """The ``RECENT`` items of these banks (``BatchGetItem``); absent ones are left out."""
        items = self._batch_get([{"pk": bank_pk(i), "sk": RECENT_SK} for i in ids])
        return {str(item["pk"]).removeprefix("BANK#"): _recent_from(item) for item in items}

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

    def markers(self) -> list[ImportMarker]:
        """Every quarter an import has written (or started to), oldest first, without
        the id lists (one ``Query``)."""
        condition = Key("pk").eq(IMPORT_PK) & Key("sk").begins_with(QUARTER_PREFIX)
        items = self._query(
            KeyConditionExpression=condition,
            ProjectionExpression="sk, #status, #source",
            ExpressionAttributeNames={"#status": "status", "#source": "source"},
        )
        found = [
            ImportMarker(
                str(item["sk"]).removeprefix(QUARTER_PREFIX),
                str(item.get("status", "")),
                str(item.get("source", "")),
                "",
            )
            for item in items
        ]
        return sorted(found, key=lambda marker: marker.quarter)

    def imported_quarters(self) -> list[str]:
        """Quarters an import has written (or started to), oldest first."""
        return [marker.quarter for marker in self.markers()]

    # -- writes --------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[BatchWriter]:
        """Writes sent in parallel batches; all of them have landed when the block ends."""
        with self._writer() as writer:
            yield BatchWriter(writer)

    @contextmanager
    def _writer(self) -> Iterator[ParallelWriter]:
        writer = ParallelWriter(self._table.meta.client, self._table.name, self._write_threads)
        try:
            yield writer
        except BaseException:
            with contextlib.suppress(Exception):  # the block's own error is the one to report
                writer.close()
            raise
        writer.close()

    def put_marker(self, marker: ImportMarker) -> None:
        self._table.put_item(
            Item={"pk": IMPORT_PK, "sk": quarter_sk(marker.quarter), "status": marker.status,
                  "source": marker.source, "ids": marker.ids}
        )  # fmt: skip

    def put_peer_groups(self, quarter: str, groups: Mapping[str, Any]) -> None:
        """A quarter's peer groups: kind (``real``, ``synthetic``) → band → banks, medians."""
        item = {"pk": PEERS_PK, "sk": quarter_sk(quarter), "groups": _dumps(groups)}
        self._table.put_item(Item=item)

    def peer_groups(self, quarters: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored peer groups of ``quarters`` (one ``BatchGetItem``); a quarter whose
        import recorded none (imported before they were recorded) is left out."""
        keys = [{"pk": PEERS_PK, "sk": quarter_sk(quarter)} for quarter in quarters]
        return {
            str(item["sk"]).removeprefix(QUARTER_PREFIX): orjson.loads(item["groups"])
            for item in self._batch_get(keys)
        }

    def write_index(self, entries: Iterable[IndexEntry]) -> IndexVersion:
        """Write ``entries`` as the next version of the index, then make it current; when
        they are the current index already, nothing is written and its version stays."""
        ordered = sorted(entries, key=lambda entry: (len(entry.idrssd), entry.idrssd))
        current = self.index_version()
        newest = _newest(ordered)
        if (
            current is not None
            and current.newest == newest
            and self.index_entries(current) == {entry.idrssd: entry for entry in ordered}
        ):
            return current
        number = (current.number if current else 0) + 1
        shards = [ordered[i : i + SHARD_SIZE] for i in range(0, len(ordered), SHARD_SIZE)]
        with self._writer() as writer:
            for n, shard in enumerate(shards):
                writer.put(
                    {**_index_key(number, n),
                     "entries": _dumps([_entry_json(entry) for entry in shard])}
                )  # fmt: skip
        self._table.put_item(
            Item={"pk": INDEX_PK, "sk": VERSION_SK, "version": number, "shards": len(shards),
                  "banks": len(ordered), "newest": _dumps(newest)}
        )  # fmt: skip
        self._delete_index_before(number)
        return IndexVersion(number, len(shards), newest)

    def _delete_index_before(self, number: int) -> None:
        keep = f"{SHARD_PREFIX}{number:010d}#"
        stale = [
            item["sk"]
            for item in self._query(
                KeyConditionExpression=Key("pk").eq(INDEX_PK), ProjectionExpression="sk"
            )
            if item["sk"] != VERSION_SK and not str(item["sk"]).startswith(keep)
        ]
        with self._writer() as writer:
            for sk in stale:
                writer.delete(INDEX_PK, str(sk))

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
        """The items that exist among ``keys``, 100 keys a ``BatchGetItem``, up to
        :data:`READ_THREADS` of them in flight (boto3's clients are thread-safe)."""
        chunks = [keys[start : start + _BATCH_KEYS] for start in range(0, len(keys), _BATCH_KEYS)]
        if len(chunks) <= 1:
            return self._batch_get_chunk(chunks[0]) if chunks else []
        threads = min(READ_THREADS, len(chunks))
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="banks-read") as pool:
            return [item for found in pool.map(self._batch_get_chunk, chunks) for item in found]

    def _batch_get_chunk(self, keys: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
        """One ``BatchGetItem`` of at most 100 keys, its unprocessed keys asked again."""
        client, name = self._table.meta.client, self._table.name
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {name: {"Keys": list(keys)}}
        for round_number in range(_BATCH_ROUNDS):
            if round_number:
                time.sleep(unprocessed_backoff(round_number))
            response = client.batch_get_item(RequestItems=request)
            found.extend(response.get("Responses", {}).get(name, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        # Unprocessed keys are DynamoDB throttling the read: say so as it would.
        raise ClientError(_THROTTLED, "BatchGetItem")


def _newest(entries: Iterable[IndexEntry]) -> dict[str, str]:
    """The newest quarter any bank with figures holds, for real and for synthetic banks."""
    newest: dict[str, str] = {}
    for entry in entries:
        if entry.has_data and entry.quarter:
            kind = "synthetic" if entry.synthetic else "real"
            newest[kind] = max(newest.get(kind, ""), entry.quarter)
    return newest


def _index_key(version_number: int, number: int) -> dict[str, str]:
    return {"pk": INDEX_PK, "sk": f"{SHARD_PREFIX}{version_number:010d}#{number:04d}"}


def _entry_json(entry: IndexEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.idrssd, "name": entry.name, "city": entry.city, "state": entry.state,
        "synthetic": entry.synthetic, "data": entry.has_data, "q": entry.quarter,
        "assets": entry.assets,
    }  # fmt: skip
    if entry.fdic_cert:
        data["cert"] = entry.fdic_cert
    if entry.former_names:
        data["formerNames"] = list(entry.former_names)
    if entry.first_quarter:
        data["first"] = entry.first_quarter
    if entry.successor:
        data["successor"] = entry.successor
    return data


def _entry_from(data: Mapping[str, Any]) -> IndexEntry:
    return IndexEntry(
        str(data["id"]), str(data.get("name", "")), str(data.get("city", "")),
        str(data.get("state", "")), bool(data.get("synthetic")), bool(data.get("data")),
        data.get("q"), data.get("assets"), str(data.get("cert") or ""),
        tuple(data.get("formerNames") or ()), data.get("first"), data.get("successor"),
    )  # fmt: skip
