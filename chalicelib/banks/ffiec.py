"""Parser of the FFIEC CDR "Call Reports -- Single Period" bulk files.

Input is a zip or a folder (folders may hold zips and sub-folders) with one or more
quarters of::

    FFIEC CDR Call Bulk POR MMDDYYYY.txt               panel of reporters (names, places)
    FFIEC CDR Call Schedule RC MMDDYYYY.txt            one file per schedule
    FFIEC CDR Call Schedule RCRI MMDDYYYY(1 of 2).txt  wide schedules are split in parts

Schedule files are tab-delimited: a codes row whose first cell is ``"IDRSSD"`` (quoted),
then a caption row, then one row per bank, usually with a trailing tab. Blank means not
reported, ``CONF`` confidential; RC-R ratios may be percent strings (``9.1154%``).

Only the codes in :mod:`chalicelib.banks.mdrm` are read and checked; other columns of a
real file are skipped, which keeps memory to one quarter of the mapped fields. This module
imports nothing from AWS.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chalicelib.banks import mdrm
from chalicelib.banks.errors import FFIECFormatError
from chalicelib.banks.mdrm import Value

CONF = "CONF"
MAX_ID_DIGITS = 10

_NAME = re.compile(
    r"^FFIEC CDR Call (?:(?P<por>Bulk POR)|Schedule (?P<schedule>\S+)) "
    r"(?P<mm>\d{2})(?P<dd>\d{2})(?P<yyyy>\d{4})"
    r"(?:\s*\((?P<part>\d+) of (?P<parts>\d+)\))?\.txt$",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"^-?\d+$")
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
    """One bulk file: where it is (for messages) and how to read its bytes."""

    label: str
    basename: str
    read: Callable[[], bytes]


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


@dataclass
class Skipped:
    idrssd: str
    quarter: str
    reason: str


@dataclass
class QuarterReport:
    """A parsed, validated quarter."""

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


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}-{quarter[4:6]}-{quarter[6:]}"


def previous_quarter(quarter: str) -> str:
    """The quarter-end before ``quarter`` (yyyymmdd)."""
    year, month = int(quarter[:4]), int(quarter[4:6])
    ends = {3: "0331", 6: "0630", 9: "0930", 12: "1231"}
    if month == 3:
        return f"{year - 1}1231"
    return f"{year}{ends[month - 3]}"


def year_ago(quarter: str) -> str:
    return f"{int(quarter[:4]) - 1}{quarter[4:]}"


def _valid_quarter(quarter: str) -> bool:
    return quarter[4:] in {"0331", "0630", "0930", "1231"}


# -- discovering files ---------------------------------------------------------------


def discover(path: str | Path) -> list[Source]:
    """Every file under ``path`` (a zip, a folder, or one .txt), zips opened in place."""
    root = Path(path)
    if not root.exists():
        raise FFIECFormatError(str(root), None, "no such file or folder")
    if root.is_file():
        if zipfile.is_zipfile(root):
            return _zip_sources(root)
        return [Source(str(root), root.name, root.read_bytes)]
    sources: list[Source] = []
    for child in sorted(root.rglob("*")):
        if not child.is_file():
            continue
        if child.suffix.lower() == ".zip":
            sources.extend(_zip_sources(child))
        else:
            sources.append(Source(str(child), child.name, child.read_bytes))
    return sources


def _zip_sources(archive: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(archive) as handle:
            members = [info.filename for info in handle.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as error:
        raise FFIECFormatError(str(archive), None, f"not a readable zip ({error})") from error

    def reader(member: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with zipfile.ZipFile(archive) as handle:
                return handle.read(member)

        return read

    return [Source(f"{archive}:{member}", Path(member).name, reader(member)) for member in members]


def group_by_quarter(sources: list[Source], origin: str) -> dict[str, QuarterFiles]:
    """Sort the bulk files into quarters and check each quarter has what it needs."""
    quarters: dict[str, QuarterFiles] = {}
    for source in sources:
        name = parse_file_name(source.basename)
        if name is None:
            continue
        if not _valid_quarter(name.quarter):
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
            raise FFIECFormatError(
                source.label,
                None,
                f"unknown schedule {name.schedule!r} in the file name (known: RC, RI, RCN, "
                "RCRI, RIBI, RCK and the other Call Report schedules)",
            )
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


def _lines(source: Source) -> Iterator[str]:
    data = source.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older CDR files are Windows-1252; every byte decodes there.
        text = data.decode("cp1252", errors="replace")
    return iter(io.StringIO(text, newline=""))


def _rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) per row; quoted cells may hold tabs, doubled quotes or newlines."""
    reader = csv.reader(_lines(source), delimiter="\t", quotechar='"', strict=False)
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


def parse_schedule(
    source: Source, into: dict[str, dict[str, Value | str | None]], wanted: frozenset[str]
) -> int:
    """Read one schedule file's wanted codes into ``into[idrssd][code]``; return data rows."""
    rows = _rows(source)
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise FFIECFormatError(source.label, 1, "the file is empty")
    _, header = first
    header = _trim(header)
    if not header or header[0].strip().strip('"').strip().upper() != "IDRSSD":
        raise FFIECFormatError(
            source.label, 1, f'the first header cell is {header[0]!r}, expected "IDRSSD"'
        )
    codes = [cell.strip().strip('"').strip().upper() for cell in header]
    columns = [(index, code) for index, code in enumerate(codes) if code in wanted]
    seen: set[str] = set()
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
        if idrssd in seen:
            raise FFIECFormatError(source.label, line, f"IDRSSD {idrssd} appears twice")
        seen.add(idrssd)
        bank = into.setdefault(idrssd, {})
        for index, code in columns:
            try:
                bank[code] = parse_value(cells[index], mdrm.CODE_KIND[code])
            except ValueError as error:
                raise FFIECFormatError(
                    source.label, line, f"column {code} for IDRSSD {idrssd}: {error}"
                ) from error
        count += 1
    return count


def parse_por(source: Source) -> dict[str, Panel]:
    """Read the panel of reporters: id, name, city, state, FDIC cert, filing type."""
    rows = _rows(source)
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise FFIECFormatError(source.label, 1, "the file is empty")
    header = [cell.strip().strip('"').strip().lower() for cell in _trim(first[1])]
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
    panel: dict[str, Panel] = {}
    for line, raw_cells in rows:
        if not any(cell.strip() for cell in raw_cells):
            continue
        cells = _fit(source, line, raw_cells, len(header))
        idrssd = _idrssd(source, line, cells[0])
        if idrssd in panel:
            raise FFIECFormatError(source.label, line, f"IDRSSD {idrssd} appears twice")

        def cell(key: str, cells: list[str] = cells) -> str:
            index = positions.get(key)
            return " ".join(cells[index].split()) if index is not None else ""

        filing = cell("filingType")
        panel[idrssd] = Panel(
            idrssd=idrssd,
            name=cell("name"),
            city=cell("city"),
            state=cell("state").upper(),
            fdic_cert=str(int(cell("fdicCert"))) if cell("fdicCert").isdigit() else "",
            filing_type=filing.zfill(3) if filing.isdigit() else filing,
        )
    return panel


# -- assembling a quarter ------------------------------------------------------------


def read_quarter(files: QuarterFiles) -> QuarterReport:
    """Parse and validate every file of one quarter; merge split schedules on IDRSSD."""
    assert files.por is not None  # group_by_quarter checked it
    panel = parse_por(files.por)
    raw: dict[str, dict[str, Value | str | None]] = {}
    rows = len(panel)
    labels = [files.por.label]
    for schedule in sorted(files.schedules):
        for part in sorted(files.schedules[schedule]):
            source = files.schedules[schedule][part]
            labels.append(source.label)
            rows += parse_schedule(source, raw, mdrm.WANTED_CODES)
    balance_sheet = _ids_with_any(raw, "RC")
    banks: dict[str, BankQuarter] = {}
    skipped: list[Skipped] = []
    for idrssd in sorted(set(raw) | set(panel), key=int):
        if idrssd not in panel:
            skipped.append(Skipped(idrssd, files.quarter, "not in the panel of reporters (POR)"))
            continue
        if idrssd not in balance_sheet:
            skipped.append(Skipped(idrssd, files.quarter, "no balance sheet (schedule RC) row"))
            continue
        values, confidential = resolve(raw.get(idrssd, {}))
        banks[idrssd] = BankQuarter(idrssd, files.quarter, panel[idrssd], values, confidential)
    return QuarterReport(files.quarter, banks, skipped, labels, rows)


def _ids_with_any(raw: dict[str, dict[str, Value | str | None]], schedule: str) -> set[str]:
    codes = {code for f in mdrm.FIELDS if f.schedule == schedule for code in f.codes}
    return {idrssd for idrssd, values in raw.items() if codes & values.keys()}


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
        previous = previous_quarter(quarter)
        return {name: None for name in mdrm.FLOW_FIELDS}, (
            f"quarterly income for {quarter_label(quarter)} not derived: the year-to-date "
            f"figures of {quarter_label(previous)} were not imported; import that quarter too"
        )
    flows: dict[str, Value | None] = {}
    for name in mdrm.FLOW_FIELDS:
        current, before = ytd.get(name), previous_ytd.get(name)
        flows[name] = None if current is None or before is None else current - before
    return flows, None


@dataclass
class CallReportSet:
    """The quarters found under one path, read lazily so that one quarter is in memory."""

    origin: str
    quarters: dict[str, QuarterFiles]

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
