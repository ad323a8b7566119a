"""Import FFIEC call-report bulk files into the Banks table.

Layout (DESIGN §5): ``pk=BANK#{idrssd}`` with ``sk=PROFILE`` (name, city, state, fdicCert,
filingType, synthetic, latestQuarter, …) and ``sk=Q#{yyyymmdd}`` (one quarter's figures,
quarterly not year-to-date, thousands of dollars). Bookkeeping items: ``pk=INDEX`` (see
:mod:`chalicelib.banks.index`) and ``pk=IMPORT sk=Q#{yyyymmdd}`` (which banks a quarter's
last import wrote, and whether it finished).

Guarantees:

* Every quarter is parsed and validated before anything is written; a malformed file stops
  the import with a sentence naming file and line.
* Items are whole-item puts, so importing the same files again leaves the table the same,
  and importing a newer file for a quarter replaces it (banks no longer in it are removed).
* A quarter is marked ``writing`` before and ``complete`` after its items; a failure in
  between raises :class:`ImportIncomplete` naming the quarter and how to re-run.
* Synthetic banks (names ending "(SYNTHETIC)") are refused under a real bank's id, and real
  figures for an id that held synthetic ones first remove the synthetic quarters.

Memory: parsing, the join of a quarter's files on IDRSSD, the previous-quarter and year-ago
context and the latest figures of each bank all live in a temporary SQLite database
(:mod:`chalicelib.banks.staging`); banks are streamed through in IDRSSD order, 100 at a time
(one BatchGetItem), so memory does not grow with the number of banks. Two things do, by
design of the table: the compact index (:class:`BankIndex` reads and writes it whole, one
small entry per bank; it is only in memory while loaded and while written), and the
``IMPORT`` marker's list of ids (one JSON string, about 10 bytes a bank).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.banks import ffiec, mdrm, metrics
from chalicelib.banks.errors import ImportIncomplete, SyntheticUnderRealId
from chalicelib.banks.index import PROFILE_SK, BankIndex, bank_pk, quarter_sk, query_all
from chalicelib.banks.reference import (
    REFERENCE_FILE,
    ReferenceBank,
    read_reference_banks,
    reference_ids,
)
from chalicelib.banks.staging import Staging, dump, load

IMPORT_PK = "IMPORT"
SYNTHETIC_SUFFIX = "(SYNTHETIC)"
_BATCH_GET = 100

Progress = Callable[[int, int, str], None]

# The importer's staging tables (the parsed rows are in ffiec's): the bank index as loaded
# and then updated, ids whose synthetic quarters are purged, the ids the IMPORT marker of the
# quarter being written listed, the items written in this run (panel, figures, year-to-date)
# and each bank's latest quarter with its metrics.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS known (
    id TEXT PRIMARY KEY, data INTEGER NOT NULL, synthetic INTEGER NOT NULL, q TEXT,
    entry BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS purge (idrssd INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS old_ids (idrssd INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS written (
    quarter TEXT NOT NULL, idrssd INTEGER NOT NULL, panel BLOB NOT NULL,
    figures BLOB NOT NULL, ytd BLOB NOT NULL,
    PRIMARY KEY (quarter, idrssd)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (idrssd INTEGER PRIMARY KEY, bank BLOB NOT NULL)
"""
# An id in the marker's JSON list; ids are digits, so this reads the list without loading it.
_ID_IN_JSON = re.compile(r'"(\d+)"')


def is_synthetic(name: str) -> bool:
    return name.rstrip().upper().endswith(SYNTHETIC_SUFFIX)


@dataclass
class ImportSummary:
    """What an import did."""

    source: str
    quarters: list[str] = field(default_factory=list)
    banks: int = 0
    items_written: int = 0
    items_deleted: int = 0
    rows_read: int = 0
    skipped: list[ffiec.Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skip in self.skipped:
            counts[skip.reason] = counts.get(skip.reason, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "quarters": self.quarters,
            "banks": self.banks,
            "itemsWritten": self.items_written,
            "itemsDeleted": self.items_deleted,
            "rowsRead": self.rows_read,
            "skipped": self.skipped_by_reason(),
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }

    def sentence(self) -> str:
        span = f"{self.quarters[0]}..{self.quarters[-1]}" if self.quarters else "no quarters"
        text = (
            f"Imported {self.banks} banks over {len(self.quarters)} quarters ({span}) from "
            f"{self.source}: {self.items_written} items written, {self.items_deleted} removed, "
            f"{self.rows_read} rows read in {self.seconds:.1f} s."
        )
        for reason, count in sorted(self.skipped_by_reason().items()):
            text += f" Skipped {count} row(s): {reason}."
        for note in self.notes:
            text += f" Note: {note}."
        return text


def _dynamo(value: Any) -> Any:
    """Numbers as DynamoDB wants them (int or Decimal, never float)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _dynamo(value) for key, value in values.items() if value is not None}


class BankImporter:
    """Writes parsed call reports (and the reference list) into the Banks table."""

    def __init__(
        self,
        table: Any,
        *,
        real_ids: Iterable[str] | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._table = table
        self._index = BankIndex(table)
        self._real_ids = frozenset(real_ids) if real_ids is not None else reference_ids()
        self._progress = progress or (lambda done, total, label: None)
        self._clock = clock

    # -- call reports ----------------------------------------------------------------

    def import_path(self, path: str | Path) -> ImportSummary:
        """Import every quarter under ``path`` (zip, folder, or folder of zips)."""
        started = self._clock()
        origin = str(path)
        reports = ffiec.open_call_reports(path)
        with Staging() as stage:
            stage.create(_SCHEMA)
            self._load_index(stage)
            # Pass 1: parse, check and stage every quarter; nothing is written if any file
            # is bad. Rows go to the staging database, not to memory.
            quarters: list[ffiec.StagedQuarter] = []
            for quarter in reports.quarters:
                staged = reports.stage(quarter, stage)
                self._check_synthetic(stage, staged)
                quarters.append(staged)
            summary = ImportSummary(origin)
            total = sum(staged.banks for staged in quarters)
            done = 0
            summary.items_deleted += self._purge(stage)

            # Pass 2: write quarter by quarter, oldest first, streaming banks in IDRSSD order.
            in_run: set[str] = set()
            missing_income = 0
            for staged in quarters:
                summary.rows_read += staged.rows
                summary.skipped.extend(staged.skipped)
                done, missing = self._write_quarter(
                    stage, staged, in_run, origin, summary, done, total
                )
                missing_income += missing
                in_run.add(staged.quarter)
                self._stage_latest(stage, staged.quarter, in_run)
                summary.quarters.append(staged.quarter)
            if missing_income:
                summary.notes.append(
                    f"{missing_income} bank-quarter(s) have no quarterly income because the "
                    "previous quarter of the same year was not imported; import it too"
                )
            summary.items_written += self._write_profiles(stage, origin, summary)
            summary.banks = stage.db.execute("SELECT COUNT(*) FROM latest").fetchone()[0]
        summary.seconds = self._clock() - started
        return summary

    def _load_index(self, stage: Staging) -> None:
        """Copy the bank index into the staging database (see the note on memory above)."""
        entries = self._index.load()
        stage.insert(
            "INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?)",
            (_known_row(key, entry) for key, entry in entries.items()),
        )

    def _write_index(self, stage: Staging) -> None:
        """Write the index back whole, as :class:`BankIndex` wants it."""
        entries = {key: load(blob) for key, blob in stage.rows("SELECT id, entry FROM known")}
        self._index.write(entries)

    def _known(self, stage: Staging, idrssd: str) -> tuple[bool, bool, str] | None:
        """(has data, synthetic, latest quarter) of a bank in the index, None if absent."""
        row = stage.db.execute(
            "SELECT data, synthetic, q FROM known WHERE id = ?", (idrssd,)
        ).fetchone()
        return None if row is None else (bool(row[0]), bool(row[1]), row[2] or "")

    def _check_synthetic(self, stage: Staging, staged: ffiec.StagedQuarter) -> None:
        """Refuse synthetic banks under real ids; note synthetic quarters to purge."""
        for panel in ffiec.iter_panel(stage, staged.quarter):
            synthetic = is_synthetic(panel.name)
            known = self._known(stage, panel.idrssd)
            has_data, was_synthetic = (known[0], known[1]) if known else (False, False)
            if synthetic and (panel.idrssd in self._real_ids or (has_data and not was_synthetic)):
                raise SyntheticUnderRealId(staged.files[0], panel.idrssd, panel.name)
            if not synthetic and has_data and was_synthetic:
                stage.db.execute("INSERT OR IGNORE INTO purge VALUES (?)", (int(panel.idrssd),))

    def _quarter_item(
        self,
        bank: ffiec.BankQuarter,
        figures: dict[str, Any],
        ytd: dict[str, Any],
        note: str | None,
        source_files: list[str],
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": bank_pk(bank.idrssd),
            "sk": quarter_sk(bank.quarter),
            "idrssd": bank.idrssd,
            "quarter": bank.quarter,
            "filingType": bank.panel.filing_type,
            "synthetic": is_synthetic(bank.panel.name),
            "figures": _compact(figures),
            "ytd": _compact(ytd),
            "sourceFiles": source_files,
        }
        if bank.confidential:
            item["confidential"] = list(bank.confidential)
        if note:
            item["note"] = note
        return item

    def _write_quarter(
        self,
        stage: Staging,
        staged: ffiec.StagedQuarter,
        in_run: set[str],
        origin: str,
        summary: ImportSummary,
        done: int,
        total: int,
    ) -> tuple[int, int]:
        """Write one quarter's items; return (bank-quarters done, banks without income)."""
        quarter = staged.quarter
        marker = {"pk": IMPORT_PK, "sk": quarter_sk(quarter)}
        # The marker lists the quarter's ids as one JSON string (about 10 bytes a bank); the
        # id lists themselves stay in the staging database.
        new_ids = _json_ids(panel.idrssd for panel in ffiec.iter_panel(stage, quarter))
        source_files = [Path(label.split(":")[-1]).name for label in staged.files]
        written = 0
        missing_income = 0
        stale = 0
        try:
            previous = self._table.get_item(Key=marker).get("Item")
            stage.db.execute("DELETE FROM old_ids")
            if previous:
                stage.insert(
                    "INSERT OR IGNORE INTO old_ids VALUES (?)",
                    ((int(match[1]),) for match in _ID_IN_JSON.finditer(previous["ids"])),
                )
            self._table.put_item(
                Item={**marker, "status": "writing", "source": origin, "ids": new_ids}
            )
            with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for chunk in _chunks(ffiec.iter_banks(stage, quarter), _BATCH_GET):
                    ytd_before = self._ytd_before(stage, quarter, chunk, in_run)
                    rows: list[tuple[Any, ...]] = []
                    for bank in chunk:
                        ytd = {name: bank.values.get(name) for name in mdrm.FLOW_FIELDS}
                        flows, note = ffiec.quarterly_flows(
                            quarter, ytd, ytd_before.get(bank.idrssd)
                        )
                        if note:
                            missing_income += 1
                        figures = {name: bank.values.get(name) for name in mdrm.STOCK_FIELDS}
                        figures.update(flows)
                        figures["totalDeposits"] = mdrm.total_deposits(bank.values)
                        item = self._quarter_item(bank, figures, ytd, note, source_files)
                        batch.put_item(Item=item)
                        written += 1
                        if written % 250 == 0 or written == staged.banks:
                            self._progress(done + written, total, quarter)
                        rows.append(
                            (quarter, int(bank.idrssd), dump(bank.panel), dump(figures), dump(ytd))
                        )
                    stage.insert("INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)", rows)
                for (idrssd,) in stage.rows(
                    "SELECT idrssd FROM old_ids WHERE idrssd NOT IN "
                    "(SELECT idrssd FROM written WHERE quarter = ?) ORDER BY idrssd",
                    (quarter,),
                ):
                    batch.delete_item(Key={"pk": bank_pk(str(idrssd)), "sk": quarter_sk(quarter)})
                    stale += 1
            self._table.put_item(
                Item={**marker, "status": "complete", "source": origin, "ids": new_ids}
            )
        except Exception as error:
            raise ImportIncomplete(
                quarter, written, staged.banks, origin, _describe(error)
            ) from error
        summary.items_written += written
        summary.items_deleted += stale
        return done + written, missing_income

    def _ytd_before(
        self, stage: Staging, quarter: str, banks: Sequence[ffiec.BankQuarter], in_run: set[str]
    ) -> dict[str, dict[str, Any]]:
        """Year-to-date flows of the previous quarter of the same year, for these banks."""
        if quarter.endswith("0331"):
            return {}
        previous = ffiec.previous_quarter(quarter)
        ids = [bank.idrssd for bank in banks]
        if previous in in_run:
            return self._staged(stage, previous, ids, "ytd")
        return {key: item.get("ytd", {}) for key, item in self._stored(previous, ids).items()}

    def _context(
        self, stage: Staging, quarter: str, ids: Sequence[str], in_run: set[str]
    ) -> dict[str, dict[str, Any]]:
        """Figures of ``quarter`` for these banks: written in this run, or stored before."""
        if quarter in in_run:
            return self._staged(stage, quarter, ids, "figures")
        return self._stored_figures(quarter, ids)

    def _staged(
        self, stage: Staging, quarter: str, ids: Sequence[str], column: str
    ) -> dict[str, dict[str, Any]]:
        assert column in {"figures", "ytd"}
        marks = ", ".join("?" * len(ids))
        return {
            str(idrssd): load(blob)
            for idrssd, blob in stage.db.execute(
                f"SELECT idrssd, {column} FROM written WHERE quarter = ? AND idrssd IN ({marks})",
                (quarter, *(int(i) for i in ids)),
            )
        }

    def _stage_latest(self, stage: Staging, quarter: str, in_run: set[str]) -> None:
        """Metrics of a written quarter (with previous and year-ago context) as each bank's
        latest, for the PROFILE items and the index written at the end."""
        previous = ffiec.previous_quarter(quarter)
        year_ago = ffiec.year_ago(quarter)
        for page in stage.pages(
            "SELECT idrssd, panel, figures FROM written WHERE quarter = ? ORDER BY idrssd",
            (quarter,),
            size=_BATCH_GET,
        ):
            ids = [str(idrssd) for idrssd, _, _ in page]
            before = self._context(stage, previous, ids, in_run)
            year = self._context(stage, year_ago, ids, in_run)
            rows: list[tuple[Any, ...]] = []
            for idrssd, panel, blob in page:
                figures = load(blob)
                values = metrics.quarter_metrics(
                    figures, before.get(str(idrssd)), year.get(str(idrssd))
                )
                rows.append((idrssd, dump((load(panel), quarter, figures, values))))
            stage.insert("INSERT OR REPLACE INTO latest VALUES (?, ?)", rows)

    def _write_profiles(self, stage: Staging, origin: str, summary: ImportSummary) -> int:
        written = 0
        try:
            with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for _, blob in stage.rows("SELECT idrssd, bank FROM latest ORDER BY idrssd"):
                    panel, quarter, figures, values = load(blob)
                    known = self._known(stage, panel.idrssd)
                    if known and known[0] and known[2] > quarter:
                        continue  # a newer quarter was imported before; its profile stays
                    profile = self._profile_item(panel, quarter, figures, values)
                    batch.put_item(Item=profile)
                    written += 1
                    entry = {
                        "id": panel.idrssd,
                        "name": panel.name,
                        "city": panel.city,
                        "state": panel.state,
                        "synthetic": profile["synthetic"],
                        "data": True,
                        "q": quarter,
                        "assets": figures.get("totalAssets"),
                        # Only the peer metrics: they keep an index shard well under 400 KB.
                        "m": {
                            key: values[key]
                            for key in metrics.PEER_METRICS
                            if values.get(key) is not None
                        },
                    }
                    stage.db.execute(
                        "INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?)",
                        _known_row(panel.idrssd, entry),
                    )
            self._write_index(stage)
        except Exception as error:
            last = summary.quarters[-1] if summary.quarters else "?"
            total = stage.db.execute("SELECT COUNT(*) FROM latest").fetchone()[0]
            raise ImportIncomplete(last, written, total, origin, _describe(error)) from error
        return written

    def _profile_item(
        self,
        panel: ffiec.Panel,
        quarter: str,
        figures: dict[str, Any],
        values: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "pk": bank_pk(panel.idrssd),
            "sk": PROFILE_SK,
            "idrssd": panel.idrssd,
            "name": panel.name,
            "city": panel.city,
            "state": panel.state,
            "fdicCert": panel.fdic_cert,
            "filingType": panel.filing_type,
            "synthetic": is_synthetic(panel.name),
            "data": "loaded",
            "latestQuarter": quarter,
            "totalAssets": figures.get("totalAssets"),
            "latestMetrics": _compact(values),
        }

    def _stored(self, quarter: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored Q items of ``quarter`` for these banks (BatchGetItem, 100 keys a call)."""
        found: dict[str, dict[str, Any]] = {}
        client = self._table.meta.client
        for start in range(0, len(ids), _BATCH_GET):
            keys = [{"pk": bank_pk(i), "sk": quarter_sk(quarter)} for i in ids[start : start + 100]]
            request: dict[str, Any] = {self._table.name: {"Keys": keys}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    found[item["idrssd"]] = item
                request = response.get("UnprocessedKeys") or {}
        return found

    def _stored_figures(self, quarter: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {key: item.get("figures", {}) for key, item in self._stored(quarter, ids).items()}

    def _purge(self, stage: Staging) -> int:
        """Remove the synthetic quarters of ids about to receive real figures."""
        deleted = 0
        for (number,) in stage.rows("SELECT idrssd FROM purge ORDER BY idrssd"):
            idrssd = str(number)
            items = query_all(
                self._table,
                KeyConditionExpression=Key("pk").eq(bank_pk(idrssd)) & Key("sk").begins_with("Q#"),
                ProjectionExpression="pk, sk",
            )
            with self._table.batch_writer() as batch:
                for item in items:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                    deleted += 1
        return deleted

    # -- reference banks -------------------------------------------------------------

    def load_reference_banks(
        self, banks: Sequence[ReferenceBank] | None = None, path: Path | str = REFERENCE_FILE
    ) -> int:
        """Write PROFILE items for real banks known by id only (``data: none``).

        A bank that already has imported figures keeps its profile. Returns how many
        profiles were written.
        """
        banks = list(banks) if banks is not None else read_reference_banks(path)
        entries = self._index.load()
        written = 0
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for bank in banks:
                known = entries.get(bank.idrssd)
                if known and known.get("data"):
                    continue
                batch.put_item(
                    Item={
                        "pk": bank_pk(bank.idrssd),
                        "sk": PROFILE_SK,
                        "idrssd": bank.idrssd,
                        "name": bank.name,
                        "city": bank.city,
                        "state": bank.state,
                        "synthetic": False,
                        "data": "none",
                        "reference": True,
                    }
                )
                written += 1
                entries[bank.idrssd] = {
                    "id": bank.idrssd,
                    "name": bank.name,
                    "city": bank.city,
                    "state": bank.state,
                    "synthetic": False,
                    "data": False,
                    "q": None,
                    "assets": None,
                    "m": {},
                }
        self._index.write(entries)
        return written


def _known_row(key: str, entry: dict[str, Any]) -> tuple[str, int, int, str | None, bytes]:
    return (
        key,
        int(bool(entry.get("data"))),
        int(bool(entry.get("synthetic"))),
        entry.get("q"),
        dump(entry),
    )


def _json_ids(ids: Iterable[str]) -> str:
    """``json.dumps`` of a list of digit strings, without building the list."""
    return "[" + ", ".join(f'"{idrssd}"' for idrssd in ids) + "]"


def _chunks(banks: Iterable[ffiec.BankQuarter], size: int) -> Iterator[list[ffiec.BankQuarter]]:
    chunk: list[ffiec.BankQuarter] = []
    for bank in banks:
        chunk.append(bank)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        detail = response["Error"]
        return f"{detail.get('Code', 'error')} ({detail.get('Message', '')})".strip()
    return str(error) or type(error).__name__
