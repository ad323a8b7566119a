"""What an import knows of the banks' earlier quarters: their ``RECENT`` items, read once.

An import needs, of each bank it touches, the quarters before the ones it writes: the
previous quarter's year-to-date income (to turn its own into the quarter's) and the window
of twelve quarter-ends a profile is computed from. Both come from the bank's one ``RECENT``
item (:mod:`chalicelib.banks.table`), read the first time the run asks and kept in the
staging database, so a bank costs one read per run however many quarters the table holds.

A bank known with figures but without a ``RECENT`` item (stored by an importer that did
not write one) has its window read back from its ``Q#`` items instead, once.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.banks import quarters as quarter_ends
from chalicelib.banks.records import WINDOW, Recent
from chalicelib.banks.table import BanksTable, held_of
from ingest.staging import Staging, dump, load

SCHEMA = """
CREATE TABLE IF NOT EXISTS recent (idrssd INTEGER PRIMARY KEY, item BLOB)
"""


def covers(recent: Recent | None, quarter: str) -> bool:
    """Whether ``recent`` says for sure if the bank holds ``quarter``: the quarter is in its
    window or after it. Older quarters may be stored though no ``RECENT`` item lists them."""
    if recent is None or not recent.quarters:
        return True  # a bank with no stored quarters holds none
    start = quarter_ends.window(max(recent.quarters), WINDOW)[0]
    return quarter >= start


class RecentCache:
    """The ``RECENT`` items of the run's banks, read through on first use."""

    def __init__(self, banks: BanksTable, stage: Staging) -> None:
        self._banks = banks
        self._stage = stage
        stage.create(SCHEMA)

    def get(self, ids: Sequence[str], known_latest: dict[str, str]) -> dict[str, Recent | None]:
        """The items of ``ids`` (None: the bank holds no quarter). ``known_latest`` gives the
        latest quarter the index knows of banks with figures (for the read-back fallback)."""
        found: dict[str, Recent | None] = {}
        if not ids:
            return found
        marks = ", ".join("?" * len(ids))
        for idrssd, blob in self._stage.db.execute(
            f"SELECT idrssd, item FROM recent WHERE idrssd IN ({marks})", [int(i) for i in ids]
        ):
            found[str(idrssd)] = None if blob is None else load(blob)
        missing = [idrssd for idrssd in ids if idrssd not in found]
        if missing:
            read: dict[str, Recent | None] = dict(self._banks.recents(missing))
            without = [i for i in missing if i not in read and i in known_latest]
            read.update(self._read_back(without, known_latest))
            rows = []
            for idrssd in missing:
                recent = read.get(idrssd)
                found[idrssd] = recent
                rows.append((int(idrssd), None if recent is None else dump(recent)))
            self._stage.insert("INSERT OR REPLACE INTO recent VALUES (?, ?)", rows)
        return found

    def forget(self, ids: Sequence[str]) -> None:
        """Treat these banks as holding nothing (their stored quarters are being removed)."""
        self._stage.insert(
            "INSERT OR REPLACE INTO recent VALUES (?, NULL)", [(int(i),) for i in ids]
        )

    def _read_back(self, ids: Sequence[str], known_latest: dict[str, str]) -> dict[str, Recent]:
        """The window of each bank's known latest quarter, from its ``Q#`` items."""
        wanted: dict[str, list[str]] = {}
        for idrssd in ids:
            for quarter in quarter_ends.window(known_latest[idrssd], WINDOW):
                wanted.setdefault(quarter, []).append(idrssd)
        built: dict[str, Recent] = {idrssd: Recent({}) for idrssd in ids}
        for quarter, members in sorted(wanted.items()):
            for idrssd, record in self._banks.quarter_records(quarter, members).items():
                built[idrssd].quarters[quarter] = held_of(record)
        return {idrssd: recent for idrssd, recent in built.items() if recent.quarters}
