"""Import FFIEC call-report bulk files into the Banks table.

Every item is written through the table's adapter (:mod:`chalicelib.banks.table`, which
also describes the layout), the one the API reads through.

Guarantees:

* Every quarter is parsed and validated before anything is written; a malformed file stops
  the import with a sentence naming file and line.
* Items are whole-item puts, so importing the same files again leaves the table the same,
  and importing a newer file for a quarter replaces it (banks no longer in it are removed).
* A quarter is marked ``writing`` before and ``complete`` after its items; a failure in
  between raises :class:`ImportIncomplete` naming the quarter and how to re-run.
* Synthetic banks (names ending "(SYNTHETIC)") are refused under a real bank's id, and real
  figures for an id that held synthetic ones first remove the synthetic quarters.
* * What a profile shows (latest figures, the metric series, its peer group in its latest
  quarter) is recomputed for every bank the import touched (:mod:`ingest.refresh`); the
  search index is written last, as a new version.

Cost: a bank costs, per run, one read (its ``RECENT`` item, :mod:`ingest.recent`) and one
write per quarter imported plus two (its profile and ``RECENT`` item), whatever the number
of quarters the table already holds. Writes go out in parallel ``BatchWriteItem`` calls.

Memory: parsing, the join of a quarter's files on IDRSSD, the previous-quarter and year-ago
context, the peer groups and the recomputed profiles all live in a temporary SQLite
database (:mod:`ingest.staging`); banks are streamed through in IDRSSD order, 100 at a time
(one BatchGetItem), so memory does not grow with the number of banks. Two things do, by
design of the table: the search index (read and written whole, one small entry per bank),
and the ``IMPORT`` marker's list of ids (one JSON string, about 10 bytes a bank).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib import telemetry
from chalicelib.aws.policy import describe
from chalicelib.banks import quarters
from chalicelib.banks.records import Held, ImportMarker, Profile, QuarterRecord
from chalicelib.banks.table import BanksTable, held_of
from ingest import ffiec, mdrm
from ingest.errors import ImportIncomplete, SyntheticUnderRealId
from ingest.recent import RecentCache, covers
from ingest.reference import REFERENCE_FILE, ReferenceBank, read_reference_banks, reference_ids
from ingest.refresh import ProfileRefresh, entry_of, is_synthetic, known_status, load_known
from ingest.staging import Staging, dump, load

# Banks written per page: their earlier quarters (RECENT items) are read in one go, four
# BatchGetItem calls in flight (chalicelib.banks.table.READ_THREADS).
_BATCH_GET = 400

Progress = Callable[[int, int, str], None]

# The importer's staging tables (the parsed rows are in ffiec's): the bank index as loaded
# and then updated (with the columns the refresh selects on), ids whose synthetic quarters
# are purged, the ids the IMPORT marker of the quarter being written listed, the items
# written in this run (panel, and the quarter as a profile reads it), the banks removed from
# a quarter, and the profiles and RECENT items recomputed (see ingest.refresh).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS known (
    id TEXT PRIMARY KEY, data INTEGER NOT NULL, synthetic INTEGER NOT NULL, q TEXT,
    cert TEXT NOT NULL, successor TEXT, entry BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS known_by_quarter ON known (q);
CREATE INDEX IF NOT EXISTS known_by_successor ON known (successor);
CREATE TABLE IF NOT EXISTS purge (idrssd INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS old_ids (idrssd INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS written (
    quarter TEXT NOT NULL, idrssd INTEGER NOT NULL, panel BLOB NOT NULL, held BLOB NOT NULL,
    PRIMARY KEY (quarter, idrssd)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS written_by_bank ON written (idrssd);
CREATE TABLE IF NOT EXISTS stale (
    idrssd INTEGER NOT NULL, quarter TEXT NOT NULL, PRIMARY KEY (idrssd, quarter)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS views (idrssd INTEGER PRIMARY KEY, profile BLOB NOT NULL, recent BLOB)
"""
# An id in the marker's JSON list; ids are digits, so this reads the list without loading it.
_ID_IN_JSON = re.compile(r'"(\d+)"')


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
        """``table`` is a boto3 ``Table`` or the :class:`BanksTable` adapter over one."""
        self._banks = table if isinstance(table, BanksTable) else BanksTable(table)
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
            staged_quarters: list[ffiec.StagedQuarter] = []
            for quarter in reports.quarters:
                staged = reports.stage(quarter, stage)
                self._check_synthetic(stage, staged)
                staged_quarters.append(staged)
            summary = ImportSummary(origin)
            cache = RecentCache(self._banks, stage)
            summary.items_deleted += self._purge(stage, cache)
            self._write_quarters(stage, staged_quarters, summary, cache)
            summary.items_written += self._refresh(stage, summary, cache)
            for staged in staged_quarters:
                self._banks.put_marker(self._marker(stage, staged, "complete", summary.source))
            summary.banks = stage.db.execute(
                "SELECT COUNT(DISTINCT idrssd) FROM written"
            ).fetchone()[0]
        summary.seconds = self._clock() - started
        telemetry.import_finished(summary.rows_read, summary.banks, summary.seconds, origin)
        return summary

    def _load_index(self, stage: Staging) -> None:
        """The index, copied into the staging database (memory: see the note above)."""
        load_known(self._banks, stage)

    def _write_quarters(
        self, stage: Staging, staged_quarters: list[ffiec.StagedQuarter], summary: ImportSummary,
        cache: RecentCache,
    ) -> None:  # fmt: skip
        """Pass 2: write quarter by quarter, oldest first, streaming banks in IDRSSD order."""
        total = sum(staged.banks for staged in staged_quarters)
        done = 0
        in_run: set[str] = set()
        missing_income = 0
        for staged in staged_quarters:
            summary.rows_read += staged.rows
            summary.skipped.extend(staged.skipped)
            summary.notes.extend(
                f"{name} is not a schedule this importer knows; nothing was read from it"
                for name in staged.unknown
            )
            context = _Context(stage, staged, in_run, cache)
            done, missing = self._write_quarter(context, summary, done, total)
            missing_income += missing
            in_run.add(staged.quarter)
            summary.quarters.append(staged.quarter)
        if missing_income:
            summary.notes.append(
                f"{missing_income} bank-quarter(s) have no quarterly income because the "
                "previous quarter of the same year was not imported; import it too"
            )

    def _refresh(self, stage: Staging, summary: ImportSummary, cache: RecentCache) -> int:
        try:
            return ProfileRefresh(self._banks, stage, summary.quarters, cache).run()
        except Exception as error:
            last = summary.quarters[-1] if summary.quarters else "?"
            total = stage.db.execute("SELECT COUNT(DISTINCT idrssd) FROM written").fetchone()[0]
            raise ImportIncomplete(last, 0, total, summary.source, describe(error)) from error

    def _check_synthetic(self, stage: Staging, staged: ffiec.StagedQuarter) -> None:
        """Refuse synthetic banks under real ids; note synthetic quarters to purge."""
        for panel in ffiec.iter_panel(stage, staged.quarter):
            synthetic = is_synthetic(panel.name)
            known = known_status(stage, panel.idrssd)
            has_data, was_synthetic = (known[0], known[1]) if known else (False, False)
            if synthetic and (panel.idrssd in self._real_ids or (has_data and not was_synthetic)):
                raise SyntheticUnderRealId(staged.files[0], panel.idrssd, panel.name)
            if not synthetic and has_data and was_synthetic:
                stage.db.execute("INSERT OR IGNORE INTO purge VALUES (?)", (int(panel.idrssd),))

    def _marker(
        self, stage: Staging, staged: ffiec.StagedQuarter, status: str, source: str
    ) -> ImportMarker:
        """The quarter's ``IMPORT`` item; its ids as one JSON string (about 10 bytes a bank),
        the id lists themselves stay in the staging database."""
        ids = _json_ids(panel.idrssd for panel in ffiec.iter_panel(stage, staged.quarter))
        return ImportMarker(staged.quarter, status, source, ids)

    def _write_quarter(
        self, context: _Context, summary: ImportSummary, done: int, total: int
    ) -> tuple[int, int]:
        """Write one quarter's items; return (bank-quarters done, banks without income).

        Its marker says ``writing`` until the whole run, profiles included, is done."""
        stage, staged = context.stage, context.staged
        quarter = staged.quarter
        source_files = [Path(label.split(":")[-1]).name for label in staged.files]
        written = missing_income = 0
        writer = None
        try:
            self._note_old_ids(stage, quarter)
            self._banks.put_marker(self._marker(stage, staged, "writing", summary.source))
            with self._banks.batch() as batch:
                writer = batch
                for chunk in _chunks(ffiec.iter_banks(stage, quarter), _BATCH_GET):
                    ytd_before = context.ytd_before(chunk, self._banks)
                    rows: list[tuple[Any, ...]] = []
                    for bank in chunk:
                        record = _record(
                            bank, ytd_before.get(bank.idrssd), source_files, staged.produced_at
                        )
                        missing_income += record.note is not None
                        batch.put_quarter(record)
                        written += 1
                        if written % 250 == 0 or written == staged.banks:
                            self._progress(done + written, total, quarter)
                        rows.append(_staged_row(bank, record))
                    stage.insert("INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?)", rows)
                summary.items_deleted += self._delete_stale(stage, quarter, batch)
        except Exception as error:
            landed = min(writer.landed, written) if writer is not None else 0
            raise ImportIncomplete(
                quarter, landed, staged.banks, summary.source, describe(error)
            ) from error
        summary.items_written += written
        return done + written, missing_income

    def _note_old_ids(self, stage: Staging, quarter: str) -> None:
        """The ids the quarter's previous import wrote, into ``old_ids``."""
        previous = self._banks.marker(quarter)
        stage.db.execute("DELETE FROM old_ids")
        if previous:
            stage.insert(
                "INSERT OR IGNORE INTO old_ids VALUES (?)",
                ((int(match[1]),) for match in _ID_IN_JSON.finditer(previous.ids)),
            )

    def _delete_stale(self, stage: Staging, quarter: str, batch: Any) -> int:
        """Remove the quarter's items of banks its new file no longer holds."""
        stale = 0
        for (idrssd,) in stage.rows(
            "SELECT idrssd FROM old_ids WHERE idrssd NOT IN "
            "(SELECT idrssd FROM written WHERE quarter = ?) ORDER BY idrssd",
            (quarter,),
        ):
            batch.delete_quarter(str(idrssd), quarter)
            stage.db.execute("INSERT OR IGNORE INTO stale VALUES (?, ?)", (idrssd, quarter))
            stale += 1
        return stale

    def _purge(self, stage: Staging, cache: RecentCache) -> int:
        """Remove the synthetic quarters of ids about to receive real figures."""
        ids = [str(number) for (number,) in stage.rows("SELECT idrssd FROM purge ORDER BY idrssd")]
        doomed = [
            (idrssd, quarter) for idrssd in ids for quarter in self._banks.quarters_of(idrssd)
        ]
        if doomed:
            with self._banks.batch() as batch:
                for idrssd, quarter in doomed:
                    batch.delete_quarter(idrssd, quarter)
        cache.forget(ids)
        return len(doomed)

    # -- reference banks -------------------------------------------------------------

    def load_reference_banks(
        self, banks: Sequence[ReferenceBank] | None = None, path: Path | str = REFERENCE_FILE
    ) -> int:
        """Write PROFILE items for real banks known by id only (no figures).

        A bank that already has imported figures keeps its profile. Returns how many
        profiles were written.
        """
        banks = list(banks) if banks is not None else read_reference_banks(path)
        entries = self._banks.index()
        if entries is None:
            entries = {entry.idrssd: entry for entry in map(entry_of, self._banks.scan_profiles())}
        written = 0
        with self._banks.batch() as batch:
            for bank in banks:
                known = entries.get(bank.idrssd)
                if known and known.has_data:
                    continue
                profile = Profile(bank.idrssd, bank.name, bank.city, bank.state, reference=True)
                batch.put_profile(profile)
                entries[bank.idrssd] = entry_of(profile)
                written += 1
        self._banks.write_index(entries.values())
        return written


class _Context:
    """What writing one quarter needs to know of the quarter before it."""

    def __init__(
        self, stage: Staging, staged: ffiec.StagedQuarter, in_run: set[str], cache: RecentCache
    ) -> None:
        self.stage = stage
        self.staged = staged
        self._in_run = in_run
        self._cache = cache

    def ytd_before(
        self, banks: Sequence[ffiec.BankQuarter], table: BanksTable
    ) -> dict[str, dict[str, Any]]:
        """Year-to-date flows of the previous quarter of the same year, for these banks:
        from this run, else from their ``RECENT`` items, else (a quarter older than what
        those cover) from the table."""
        quarter = self.staged.quarter
        if quarter.endswith("0331"):
            return {}
        previous = quarters.previous(quarter)
        ids = [bank.idrssd for bank in banks]
        if previous in self._in_run:
            marks = ", ".join("?" * len(ids))
            return {
                str(idrssd): load(blob).ytd
                for idrssd, blob in self.stage.db.execute(
                    f"SELECT idrssd, held FROM written WHERE quarter = ? AND idrssd IN ({marks})",
                    (previous, *(int(i) for i in ids)),
                )
            }
        known = {i: status[2] for i in ids if (status := known_status(self.stage, i)) and status[0]}
        recents = self._cache.get(ids, known)
        found: dict[str, dict[str, Any]] = {}
        older: list[str] = []
        for idrssd in ids:
            recent = recents.get(idrssd)
            if not covers(recent, previous):
                older.append(idrssd)
            elif recent is not None and previous in recent.quarters:
                found[idrssd] = dict(recent.quarters[previous].ytd)
        for idrssd, record in table.quarter_records(previous, older).items():
            found[idrssd] = dict(held_of(record).ytd)
        return found


def _record(
    bank: ffiec.BankQuarter, ytd_before: dict[str, Any] | None, source_files: list[str],
    produced_at: str | None,
) -> QuarterRecord:  # fmt: skip
    """The quarter item of one bank: quarterly flows from its year-to-date ones."""
    ytd = {name: bank.values.get(name) for name in mdrm.FLOW_FIELDS}
    flows, note = ffiec.quarterly_flows(bank.quarter, ytd, ytd_before)
    figures: dict[str, Any] = {name: bank.values.get(name) for name in mdrm.STOCK_FIELDS}
    figures.update(flows)
    figures["totalDeposits"] = mdrm.total_deposits(bank.values)
    return QuarterRecord(
        idrssd=bank.idrssd, quarter=bank.quarter, figures=figures, ytd=ytd,
        filing_type=bank.panel.filing_type, synthetic=is_synthetic(bank.panel.name),
        source_files=source_files, confidential=bank.confidential, note=note,
        produced_at=produced_at,
    )  # fmt: skip


def _staged_row(bank: ffiec.BankQuarter, record: QuarterRecord) -> tuple[Any, ...]:
    """A row of the staging table ``written``: the panel, and the quarter as a profile
    reads it."""
    held: Held = held_of(record)
    return (record.quarter, int(bank.idrssd), dump(bank.panel), dump(held))


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
