"""Cuts of the real FFIEC files shipped in ``data/ffiec/``, for tests.

A cut keeps a few banks' rows of each file verbatim (the codes row, the caption row, and
the chosen banks' rows, byte for byte) and every column, under the file's own name, so a
test reads what FFIEC published without importing 4 800 banks. A bank missing from a
quarter is simply absent from that quarter's cut, as it is from the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data" / "ffiec"

# Banks the tests lean on, by what they show (RSSD IDs as the call reports give them).
JPMORGAN = "852218"  # FFIEC 031, the largest bank: total assets $3.5 trillion in 2024
SILICON_VALLEY = "802866"  # failed in March 2023: last report 2022-12-31
FIRST_REPUBLIC = "4114567"  # failed in May 2023: last report 2022-12-31
FLAGSTAR_FSB = "146672"  # FDIC certificate 32541, last report 2022-09-30 ...
FLAGSTAR_NA = "694904"  # ... the same certificate from 2022-12-31 on


def quarter_zip(quarter: str) -> Path:
    """The shipped zip of a quarter (``yyyymmdd``)."""
    return REAL_DATA / f"FFIEC CDR Call Bulk Subset {quarter[4:]}{quarter[:4]}.zip"


def shipped_quarters() -> list[str]:
    """The quarters shipped in ``data/ffiec/``, oldest first."""
    names = (path.stem.rsplit(" ", 1)[-1] for path in REAL_DATA.glob("*.zip"))
    return sorted(f"{name[4:]}{name[:4]}" for name in names)


def _bank_of(line: bytes) -> str:
    return line.split(b"\t", 1)[0].strip().strip(b'"').decode("ascii", "replace")


def cut_lines(data: bytes, ids: frozenset[str]) -> bytes:
    """The header lines (codes, and captions in schedule files) and the rows of ``ids``."""
    lines = data.splitlines(keepends=True)
    kept = [lines[0]]
    for line in lines[1:]:
        first = _bank_of(line)
        if not first.isdigit() or first in ids:  # the caption row has no IDRSSD
            kept.append(line)
    return b"".join(kept)


def cut(folder: Path, ids: Iterable[str], quarters: Iterable[str] | None = None) -> Path:
    """Write the cut of ``ids`` (all columns, every file of each quarter) into ``folder``.

    Each quarter goes to a sub-folder named like its zip, with FFIEC's ``readme.md``.
    Returns ``folder``.
    """
    wanted = frozenset(str(int(idrssd)) for idrssd in ids)
    for quarter in quarters if quarters is not None else shipped_quarters():
        archive = quarter_zip(quarter)
        target = folder / archive.stem
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as handle:
            for info in handle.infolist():
                data = handle.read(info)
                name = Path(info.filename).name
                is_table = name.endswith(".txt")
                (target / name).write_bytes(cut_lines(data, wanted) if is_table else data)
    return folder
