"""Parser of the FFIEC CDR "Call Reports -- Single Period" bulk files.

Input is a zip or a folder (folders may hold zips and sub-folders) with one or more
quarters of::

    FFIEC CDR Call Bulk POR MMDDYYYY.txt               panel of reporters (names, places)
    FFIEC CDR Call Schedule RC MMDDYYYY.txt            one file per schedule
    FFIEC CDR Call Schedule RCRI MMDDYYYY(1 of 2).txt  wide schedules are split in parts

Schedule files are tab-delimited: a codes row whose first cell is ``"IDRSSD"`` (quoted),
then a caption row, then one row per bank, usually with a trailing tab. Blank means not
reported, ``CONF`` confidential; RC-R ratios may be percent strings (``9.1154%``).

Only the codes in :mod:`ingest.mdrm` are read and checked; other columns of a
real file are skipped. Files are read as streams and each quarter is staged, row by row, in
an on-disk SQLite database (:mod:`ingest.staging`) where the schedules are joined
on IDRSSD, so memory does not grow with the number of banks: :func:`stage_quarter` parses and
validates, :func:`iter_banks` streams the joined banks back in IDRSSD order. :func:`load`
keeps whole quarters in memory, for tests and small sets. This module imports nothing from
AWS.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from chalicelib.banks import quarters as quarter_ends
from ingest import mdrm, staging
from ingest.errors import FFIECFormatError
from ingest.mdrm import Value
from ingest.staging import Staging

CONF = "CONF"
MAX_ID_DIGITS = 10

_NAME = re.compile(
    r"^FFIEC CDR Call (?:(?P<por>Bulk POR)|Schedule (?P<schedule>\S+)) "
    r"(?P<mm>\d{2})(?P<dd>\d{2})(?P<yyyy>\d{4})"
    r"(?:\s*\((?P<part>\d+) of (?P<parts>\d+)\))?\.txt$",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"^-?\d+$")
# FFIEC's readme says when CDR produced the files: "... processed by the FFIEC Central Data
# Repository (CDR) as of 2024-09-15T04:30:02 ...".
_PRODUCED = re.compile(rb"\bas of (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})")
_README = re.compile(r"^readme(\.\w+)?$", re.IGNORECASE)
_README_BYTES = 1 << 14  # the sentence is in the first lines
_READ_CHUNK = 1 << 16  # bytes read at a time to check the encoding
_DECIMAL = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)$")

# POR header names (compared case-insensitively, quotes removed).
_POR_COLUMNS = {
    "idrssd": "IDRSSD",
    "name": "Financial Institution Name",
    "city": "Financial Institution City",
    "state": "Financial Institution State",
    "fdicCert": "FDIC Certificate Number",
    "filingType": "Financial Institution Filing Type",
}


@dataclass(frozen=True)
class Source:
    """One bulk file: where it is (for messages), how to open it as a byte stream, and the
    zip or folder it came in (a readme there speaks for the files beside it)."""

    label: str
    basename: str
    open: Callable[[], IO[bytes]]
    container: str = ""


@dataclass(frozen=True)
class FileName:
    """What a bulk file's name says: quarter (yyyymmdd), kind, schedule and part."""

    quarter: str
    schedule: str | None  # None for the POR panel
    part: int = 1
    parts: int = 1


@dataclass
class Panel:
    """One reporter from the POR file."""

    idrssd: str
    name: str
    city: str
    state: str
    fdic_cert: str
    filing_type: str


@dataclass
class BankQuarter:
    """One bank's mapped figures for one quarter, as filed (flows still year-to-date)."""

    idrssd: str
    quarter: str
    panel: Panel
    values: dict[str, Value | None]
    confidential: tuple[str, ...] = ()


@dataclass
class QuarterFiles:
    quarter: str
    por: Source | None = None
    schedules: dict[str, dict[int, Source]] = field(default_factory=dict)
    parts: dict[str, int] = field(default_factory=dict)
    produced_at: str | None = None  # when CDR produced the files, from their readme
    unknown: list[str] = field(default_factory=list)  # schedule names we do not know


@dataclass
class Skipped:
    idrssd: str
    quarter: str
    reason: str


@dataclass
class StagedQuarter:
    """A quarter parsed, validated and staged on disk; its banks are read with iter_banks."""

    quarter: str
    banks: int  # banks that will be imported (in the POR and with a balance sheet row)
    skipped: list[Skipped]
    files: list[str]
    rows: int
    produced_at: str | None = None
    unknown: list[str] = field(default_factory=list)


@dataclass
class QuarterReport:
    """A parsed, validated quarter, all in memory."""

    quarter: str
    banks: dict[str, BankQuarter]
    skipped: list[Skipped]
    files: list[str]
    rows: int


def parse_file_name(basename: str) -> FileName | None:
    """Recognise a bulk file by name; None for other files (Readme.txt, …)."""
    match = _NAME.match(basename)
    if not match:
        return None
    quarter = f"{match['yyyy']}{match['mm']}{match['dd']}"
    schedule = None if match["por"] else match["schedule"].upper()
    part = int(match["part"] or 1)
    parts = int(match["parts"] or 1)
    return FileName(quarter, schedule, part, parts)


# -- discovering files ---------------------------------------------------------------


def discover(path: str | Path) -> list[Source]:
    """Every file under ``path`` (a zip, a folder, or one .txt), zips opened in place."""
    root = Path(path)
    if not root.exists():
        raise FFIECFormatError(str(root), None, "no such file or folder")
    if root.is_file():
        if zipfile.is_zipfile(root):
            return _zip_sources(root)
        return [Source(str(root), root.name, _file_opener(root), str(root.parent))]
    sources: list[Source] = []
    for child in sorted(root.rglob("*")):
        if not child.is_file():
            continue
        if child.suffix.lower() == ".zip":
            sources.extend(_zip_sources(child))
        else:
            sources.append(Source(str(child), child.name, _file_opener(child), str(child.parent)))
    return sources


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    def open_file() -> IO[bytes]:
        return path.open("rb")

    return open_file


def _zip_sources(archive: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(archive) as handle:
            members = [info.filename for info in handle.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as error:
        raise FFIECFormatError(str(archive), None, f"not a readable zip ({error})") from error

    def reader(member: str) -> Callable[[], IO[bytes]]:
        def open_member() -> IO[bytes]:
            # The member stream keeps the archive's file open until it is closed itself.
            with zipfile.ZipFile(archive) as handle:
                return handle.open(member)

        return open_member

    return [
        Source(f"{archive}:{m}", Path(m).name, reader(m), _container(archive, m)) for m in members
    ]


def _container(archive: Path, member: str) -> str:
    return f"{archive}:{Path(member).parent}"


def produced_at(source: Source) -> str | None:
    """When CDR produced the files, as FFIEC's readme says it (ISO 8601), if it does."""
    with source.open() as stream:
        match = _PRODUCED.search(stream.read(_README_BYTES))
    return match[1].decode() if match else None


def group_by_quarter(sources: list[Source], origin: str) -> dict[str, QuarterFiles]:
    """Sort the bulk files into quarters and check each quarter has what it needs."""
    quarters: dict[str, QuarterFiles] = {}
    readmes: dict[str, Source] = {}
    for source in sources:
        name = parse_file_name(source.basename)
        if name is None:
            if _README.match(source.basename):
                readmes.setdefault(source.container, source)
            continue
        if not quarter_ends.is_quarter_end(name.quarter):
            raise FFIECFormatError(
                source.label, None, f"{name.quarter} in the file name is not a quarter end"
            )
        files = quarters.setdefault(name.quarter, QuarterFiles(name.quarter))
        if name.schedule is None:
            if files.por is not None and files.por.label != source.label:
                raise FFIECFormatError(
                    source.label, None, f"a second POR file for quarter {name.quarter}"
                )
            files.por = source
            continue
        if name.schedule not in mdrm.KNOWN_SCHEDULES:
            # A schedule FFIEC added, or a typo: read nothing from it, and say so.
            files.unknown.append(source.basename)
            continue
        if name.schedule not in mdrm.USED_SCHEDULES:
            continue
        parts = files.schedules.setdefault(name.schedule, {})
        if name.part in parts:
            raise FFIECFormatError(
                source.label, None, f"schedule {name.schedule} part {name.part} appears twice"
            )
        parts[name.part] = source
        files.parts[name.schedule] = max(files.parts.get(name.schedule, 1), name.parts)
    if not quarters:
        raise FFIECFormatError(
            origin,
            None,
            "no FFIEC call-report files found (expected names like "
            "'FFIEC CDR Call Schedule RC 12312024.txt' and 'FFIEC CDR Call Bulk POR "
            "12312024.txt' — download 'Call Reports -- Single Period' in tab-delimited format)",
        )
    for files in quarters.values():
        _check_complete(files, origin)
        assert files.por is not None  # _check_complete made sure
        readme = readmes.get(files.por.container)
        files.produced_at = produced_at(readme) if readme else None
    return dict(sorted(quarters.items()))


def _check_complete(files: QuarterFiles, origin: str) -> None:
    where = f"{origin} (quarter {files.quarter})"
    if files.por is None:
        raise FFIECFormatError(
            where,
            None,
            f"the panel of reporters 'FFIEC CDR Call Bulk POR {_mmddyyyy(files)}.txt' is missing",
        )
    for schedule in sorted(mdrm.REQUIRED_SCHEDULES):
        if schedule not in files.schedules:
            raise FFIECFormatError(
                where,
                None,
                f"schedule {schedule} ('FFIEC CDR Call Schedule {schedule} {_mmddyyyy(files)}"
                ".txt') is missing",
            )
    for schedule, parts in files.schedules.items():
        expected = set(range(1, files.parts[schedule] + 1))
        missing = sorted(expected - set(parts))
        if missing:
            raise FFIECFormatError(
                where,
                None,
                f"schedule {schedule} is split in {files.parts[schedule]} parts but part "
                f"{missing[0]} of {files.parts[schedule]} is missing",
            )


def _mmddyyyy(files: QuarterFiles) -> str:
    quarter = files.quarter
    return f"{quarter[4:6]}{quarter[6:]}{quarter[:4]}"


# -- reading one file ----------------------------------------------------------------


def _is_utf8(source: Source) -> bool:
    """Whether the whole file decodes as UTF-8, read in chunks (the file is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with source.open() as stream:
        try:
            while chunk := stream.read(_READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) per row; quoted cells may hold tabs, doubled quotes or newlines."""
    # The encoding is decided for the whole file before the first row, as when files were
    # decoded in one piece: older CDR files are Windows-1252, where every byte decodes.
    if _is_utf8(source):
        encoding, errors = "utf-8-sig", "strict"
    else:
        encoding, errors = "cp1252", "replace"
    with io.TextIOWrapper(source.open(), encoding=encoding, errors=errors, newline="") as text:
        reader = csv.reader(text, delimiter="\t", quotechar='"', strict=False)
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as error:
            raise FFIECFormatError(
                source.label, reader.line_num, f"unreadable row ({error})"
            ) from error


def _trim(cells: list[str]) -> list[str]:
    """A header without the empty cells its trailing tab makes."""
    while cells and cells[-1].strip() == "":
        cells = cells[:-1]
    return cells


def _fit(source: Source, line: int, cells: list[str], width: int) -> list[str]:
    """A data row cut to the header's width; a trailing tab adds one empty cell."""
    if len(cells) > width:
        if any(cell.strip() for cell in cells[width:]):
            raise FFIECFormatError(
                source.label, line, f"the row has {len(cells)} cells but the header has {width}"
            )
        return cells[:width]
    if len(cells) < width:
        raise FFIECFormatError(
            source.label, line, f"the row has {len(cells)} cells but the header has {width}"
        )
    return cells


def _idrssd(source: Source, line: int, raw: str) -> str:
    text = raw.strip().strip('"').strip()
    if not text.isdigit() or len(text) > MAX_ID_DIGITS:
        raise FFIECFormatError(
            source.label, line, f"IDRSSD {raw!r} is not a number of at most 10 digits"
        )
    return str(int(text))


def parse_value(raw: str, kind: mdrm.Kind) -> Value | str | None:
    """One cell: None when blank, ``CONF`` when confidential, else int or Decimal.

    Raises ValueError with a reason when the cell is not a number of that kind.
    """
    text = raw.strip().strip('"').strip()
    if text == "":
        return None
    if text.upper() == CONF:
        return CONF
    if kind == "percent":
        number = text[:-1].strip() if text.endswith("%") else text
        if not _DECIMAL.match(number):
            raise ValueError(f"{raw!r} is not a percentage")
        try:
            return Decimal(number)
        except InvalidOperation as error:  # pragma: no cover - regex guards it
            raise ValueError(f"{raw!r} is not a percentage") from error
    if not _INTEGER.match(text):
        raise ValueError(f"{raw!r} is not a whole number of thousands of dollars")
    return int(text)


# Staged rows of every quarter of a run. ``cells`` holds one row per bank per schedule file
# (the file's wanted codes, pickled); ``balance`` says the file carries a balance-sheet
# (schedule RC) code, which a bank needs to be imported. The primary keys are what catch an
# IDRSSD appearing twice in one file.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS panel (
    quarter TEXT NOT NULL, idrssd INTEGER NOT NULL, name TEXT NOT NULL, city TEXT NOT NULL,
    state TEXT NOT NULL, fdic_cert TEXT NOT NULL, filing_type TEXT NOT NULL,
    PRIMARY KEY (quarter, idrssd)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cells (
    quarter TEXT NOT NULL, idrssd INTEGER NOT NULL, file INTEGER NOT NULL,
    balance INTEGER NOT NULL, codes BLOB NOT NULL,
    PRIMARY KEY (quarter, idrssd, file)
) WITHOUT ROWID
"""
_BALANCE_SHEET_CODES = frozenset(
    code for item in mdrm.FIELDS if item.schedule == "RC" for code in item.codes
)


def _header(source: Source, rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise FFIECFormatError(source.label, 1, "the file is empty")
    return _trim(first[1])


def _stage_schedule(
    source: Source, stage: Staging, quarter: str, number: int, wanted: frozenset[str]
) -> int:
    """Stage one schedule file's wanted codes as rows of ``cells``; return its data rows."""
    rows = _rows(source)
    header = _header(source, rows)
    if not header or header[0].strip().strip('"').strip().upper() != "IDRSSD":
        raise FFIECFormatError(
            source.label, 1, f'the first header cell is {header[0]!r}, expected "IDRSSD"'
        )
    codes = [cell.strip().strip('"').strip().upper() for cell in header]
    columns = [(index, code) for index, code in enumerate(codes) if code in wanted]
    balance = int(any(code in _BALANCE_SHEET_CODES for _, code in columns))
    insert = "INSERT INTO cells VALUES (?, ?, ?, ?, ?)"
    count = 0
    first_row = True
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        caption = first_row and not cells[0].strip().strip('"').strip().isdigit()
        first_row = False
        if caption:
            continue  # the row of captions under the codes
        cells = _fit(source, line, cells, len(codes))
        idrssd = _idrssd(source, line, cells[0])
        bank: dict[str, Value | str | None] = {}
        for index, code in columns:
            try:
                bank[code] = parse_value(cells[index], mdrm.CODE_KIND[code])
            except ValueError as error:
                _refuse_duplicate(stage, source, line, idrssd, quarter, number)
                raise FFIECFormatError(
                    source.label, line, f"column {code} for IDRSSD {idrssd}: {error}"
                ) from error
        try:
            stage.db.execute(insert, (quarter, int(idrssd), number, balance, staging.dump(bank)))
        except sqlite3.IntegrityError as error:
            raise FFIECFormatError(source.label, line, f"IDRSSD {idrssd} appears twice") from error
        count += 1
    return count


def _refuse_duplicate(
    stage: Staging, source: Source, line: int, idrssd: str, quarter: str, number: int
) -> None:
    """Raise for a repeated IDRSSD: a repeat is reported before a bad cell on its row."""
    seen = stage.db.execute(
        "SELECT 1 FROM cells WHERE quarter = ? AND idrssd = ? AND file = ?",
        (quarter, int(idrssd), number),
    ).fetchone()
    if seen:
        raise FFIECFormatError(source.label, line, f"IDRSSD {idrssd} appears twice")


def _stage_por(source: Source, stage: Staging, quarter: str) -> int:
    """Stage the panel of reporters: id, name, city, state, FDIC cert, filing type."""
    rows = _rows(source)
    header = [cell.strip().strip('"').strip().lower() for cell in _header(source, rows)]
    positions: dict[str, int] = {}
    for key, title in _POR_COLUMNS.items():
        if title.lower() in header:
            positions[key] = header.index(title.lower())
    if "idrssd" not in positions or positions["idrssd"] != 0:
        raise FFIECFormatError(source.label, 1, 'the first header cell is not "IDRSSD"')
    if "name" not in positions:
        raise FFIECFormatError(
            source.label, 1, "the 'Financial Institution Name' column is missing"
        )
    count = 0
    for line, raw_cells in rows:
        if not any(cell.strip() for cell in raw_cells):
            continue
        cells = _fit(source, line, raw_cells, len(header))
        idrssd = _idrssd(source, line, cells[0])

        def cell(key: str, cells: list[str] = cells) -> str:
            index = positions.get(key)
            return " ".join(cells[index].split()) if index is not None else ""

        filing = cell("filingType")
        fdic_cert = str(int(cell("fdicCert"))) if cell("fdicCert").isdigit() else ""
        filing_type = filing.zfill(3) if filing.isdigit() else filing
        try:
            stage.db.execute(
                "INSERT INTO panel VALUES (?, ?, ?, ?, ?, ?, ?)",
                (quarter, int(idrssd), cell("name"), cell("city"), cell("state").upper(),
                 fdic_cert, filing_type),
            )  # fmt: skip
        except sqlite3.IntegrityError as error:
            raise FFIECFormatError(source.label, line, f"IDRSSD {idrssd} appears twice") from error
        count += 1
    return count


# -- assembling a quarter ------------------------------------------------------------


def stage_quarter(files: QuarterFiles, stage: Staging) -> StagedQuarter:
    """Parse and validate every file of one quarter into ``stage``; count and skip banks.

    Staging a quarter again replaces what was staged for it. Memory stays flat: rows go to
    the staging database as they are read, and the skip list is the only per-bank output.
    """
    assert files.por is not None  # group_by_quarter checked it
    quarter = files.quarter
    stage.create(_SCHEMA)
    stage.db.execute("DELETE FROM panel WHERE quarter = ?", (quarter,))
    stage.db.execute("DELETE FROM cells WHERE quarter = ?", (quarter,))
    rows = _stage_por(files.por, stage, quarter)
    labels = [files.por.label]
    number = 0
    for schedule in sorted(files.schedules):
        for part in sorted(files.schedules[schedule]):
            source = files.schedules[schedule][part]
            labels.append(source.label)
            number += 1  # files are merged in this order: a later file's code wins
            rows += _stage_schedule(source, stage, quarter, number, mdrm.WANTED_CODES)
    banks = 0
    skipped: list[Skipped] = []
    for idrssd, in_panel, balance in stage.rows(
        """SELECT idrssd, MAX(in_panel), MAX(balance) FROM (
               SELECT idrssd, 1 AS in_panel, 0 AS balance FROM panel WHERE quarter = ?
               UNION ALL
               SELECT idrssd, 0, balance FROM cells WHERE quarter = ?
           ) GROUP BY idrssd ORDER BY idrssd""",
        (quarter, quarter),
    ):
        if not in_panel:
            skipped.append(Skipped(str(idrssd), quarter, "not in the panel of reporters (POR)"))
        elif not balance:
            skipped.append(Skipped(str(idrssd), quarter, "no balance sheet (schedule RC) row"))
        else:
            banks += 1
    return StagedQuarter(
        quarter, banks, skipped, labels, rows, files.produced_at, list(files.unknown)
    )


_IMPORTABLE = """
    SELECT idrssd, name, city, state, fdic_cert, filing_type FROM panel AS p
    WHERE quarter = ? AND EXISTS (
        SELECT 1 FROM cells AS c
        WHERE c.quarter = p.quarter AND c.idrssd = p.idrssd AND c.balance
    )
    ORDER BY idrssd
"""


def iter_panel(stage: Staging, quarter: str) -> Iterator[Panel]:
    """The POR rows of the banks :func:`iter_banks` yields, in IDRSSD order (no figures)."""
    for idrssd, *rest in stage.rows(_IMPORTABLE, (quarter,)):
        yield Panel(str(idrssd), *rest)


def iter_banks(stage: Staging, quarter: str) -> Iterator[BankQuarter]:
    """The importable banks of a staged quarter, joined across files, in IDRSSD order.

    A merge join of two cursors both sorted by IDRSSD (the panel, and the staged cells in
    file order), so one bank's cells are in memory at a time.
    """
    cells = stage.rows(
        "SELECT idrssd, codes FROM cells WHERE quarter = ? ORDER BY idrssd, file", (quarter,)
    )
    pending = next(cells, None)
    for panel in iter_panel(stage, quarter):
        number = int(panel.idrssd)
        codes: dict[str, Value | str | None] = {}
        while pending is not None and pending[0] <= number:
            if pending[0] == number:
                codes.update(staging.load(pending[1]))
            pending = next(cells, None)  # cells of skipped banks are passed over
        values, confidential = resolve(codes)
        yield BankQuarter(panel.idrssd, quarter, panel, values, confidential)


def read_quarter(files: QuarterFiles) -> QuarterReport:
    """Parse and validate every file of one quarter, all in memory (tests, small sets)."""
    with Staging() as stage:
        staged = stage_quarter(files, stage)
        banks = {bank.idrssd: bank for bank in iter_banks(stage, files.quarter)}
    return QuarterReport(files.quarter, banks, staged.skipped, staged.files, staged.rows)


def resolve(
    codes: dict[str, Value | str | None],
) -> tuple[dict[str, Value | None], tuple[str, ...]]:
    """Pick each field's first reported code (RCFD before RCON); note confidential ones."""
    values: dict[str, Value | None] = {}
    confidential: list[str] = []
    for item in mdrm.FIELDS:
        chosen: Value | None = None
        was_conf = False
        for code in item.codes:
            value = codes.get(code)
            if value == CONF:
                was_conf = True
                continue
            if value is not None and not isinstance(value, str):
                chosen = value
                break
        values[item.name] = chosen
        if chosen is None and was_conf:
            confidential.append(item.name)
    return values, tuple(confidential)


def quarterly_flows(
    quarter: str,
    ytd: dict[str, Value | None],
    previous_ytd: dict[str, Value | None] | None,
) -> tuple[dict[str, Value | None], str | None]:
    """Turn year-to-date income items into the quarter's own figures.

    Q1 is its year-to-date figure; a later quarter is YTD minus the previous quarter's YTD
    of the same year. Without the previous quarter, the flows are None and the note says
    why — nothing is invented.
    """
    if quarter[4:] == "0331":
        return {name: ytd.get(name) for name in mdrm.FLOW_FIELDS}, None
    if previous_ytd is None:
        previous = quarter_ends.previous(quarter)
        return {name: None for name in mdrm.FLOW_FIELDS}, (
            f"quarterly income for {quarter_ends.label(quarter)} not derived: the year-to-date "
            f"figures of {quarter_ends.label(previous)} were not imported; import that quarter too"
        )
    flows: dict[str, Value | None] = {}
    for name in mdrm.FLOW_FIELDS:
        current, before = ytd.get(name), previous_ytd.get(name)
        flows[name] = None if current is None or before is None else current - before
    return flows, None


@dataclass
class CallReportSet:
    """The quarters found under one path, read lazily: staged one by one, or in memory."""

    origin: str
    quarters: dict[str, QuarterFiles]

    def stage(self, quarter: str, stage: Staging) -> StagedQuarter:
        return stage_quarter(self.quarters[quarter], stage)

    def read(self, quarter: str) -> QuarterReport:
        return read_quarter(self.quarters[quarter])

    def __iter__(self) -> Iterator[QuarterReport]:
        for quarter in self.quarters:
            yield self.read(quarter)


def open_call_reports(path: str | Path) -> CallReportSet:
    """Find and check the bulk files under ``path`` (zip, folder, or a folder of zips)."""
    sources = discover(path)
    if not sources:
        raise FFIECFormatError(str(path), None, "the folder is empty")
    return CallReportSet(str(path), group_by_quarter(sources, str(path)))


def load(path: str | Path) -> list[QuarterReport]:
    """Parse every quarter under ``path`` (all in memory; fine for tests and small sets)."""
    return list(open_call_reports(path))
