"""After an import has written its quarters: the profiles it changed, their peers, the index.

Every bank the run touched (written in one of its quarters, or removed from one) gets its
profile recomputed from its latest quarter and the eleven quarter-ends before it: from the
staging database for the run's own quarters, from the table (``BatchGetItem``, 100 banks a
call) for quarters imported before. Then the medians of every size band are recomputed
from the index; a band whose medians moved has them rewritten on the profiles of its other
members too. The index is written last, as a new version, so that warm API processes
reload it.

The staging tables used here (created by :mod:`ingest.importer`): ``known`` (the index as
loaded, then updated), ``written`` (the run's quarter items), ``stale`` (banks removed from
a quarter) and ``views`` (the recomputed profiles).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.banks.records import IndexEntry, Profile
from chalicelib.banks.table import BanksTable
from ingest import ffiec, metrics, profiles
from ingest.bands import Bands, band_peers, peers_of
from ingest.profiles import Stored
from ingest.staging import Staging, dump, load

SYNTHETIC_SUFFIX = "(SYNTHETIC)"
_PAGE = 100  # banks per page: one BatchGetItem per stored quarter


def is_synthetic(name: str) -> bool:
    return name.rstrip().upper().endswith(SYNTHETIC_SUFFIX)


# -- the index, copied into the staging database ------------------------------------------------


def load_known(banks: BanksTable, stage: Staging) -> None:
    """Copy the index into ``known`` (rebuilt from the profiles when there is none yet)."""
    entries = banks.index()
    if entries is None:
        entries = {entry.idrssd: entry for entry in map(entry_of, banks.scan_profiles())}
    stage.insert(
        "INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?)", map(_known_row, entries.values())
    )


def known_status(stage: Staging, idrssd: str) -> tuple[bool, bool, str] | None:
    """(has figures, synthetic, latest quarter) of a bank in the index; None if absent."""
    row = stage.db.execute(
        "SELECT data, synthetic, q FROM known WHERE id = ?", (idrssd,)
    ).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), row[2] or "")


def known_entries(stage: Staging) -> Iterator[IndexEntry]:
    for (blob,) in stage.rows("SELECT entry FROM known"):
        yield load(blob)


def entry_of(profile: Profile) -> IndexEntry:
    """The index entry of a profile."""
    view = profile.view if profile.has_data else None
    return IndexEntry(
        idrssd=profile.idrssd, name=profile.name, city=profile.city, state=profile.state,
        synthetic=profile.synthetic, has_data=view is not None,
        quarter=profile.latest_quarter if view else None, assets=profile.total_assets,
        metrics=profiles.peer_metrics(view) if view else {},
    )  # fmt: skip


def _known_row(entry: IndexEntry) -> tuple[str, int, int, str | None, bytes]:
    return (entry.idrssd, int(entry.has_data), int(entry.synthetic), entry.quarter, dump(entry))


# -- recomputing the touched profiles -----------------------------------------------------------


@dataclass
class _Bank:
    """What the run knows of one touched bank."""

    idrssd: str
    run: dict[str, tuple[ffiec.Panel, dict[str, Any], str | None]]  # quarter → its rows
    known_latest: str | None
    latest: str | None = None
    stored: dict[str, Stored] | None = None

    def candidates(self) -> list[str]:
        return sorted({*self.run, *([self.known_latest] if self.known_latest else [])})


class ProfileRefresh:
    """Recomputes the profiles an import touched, their bands' peers and the index."""

    def __init__(self, banks: BanksTable, stage: Staging, run_quarters: Sequence[str]) -> None:
        self._banks = banks
        self._stage = stage
        self._run = set(run_quarters)
        self._earlier = set(banks.imported_quarters()) - self._run

    def run(self) -> int:
        """Write the touched profiles, the peers that moved and the index; items written."""
        bands_before = band_peers(self._stage, known_entries(self._stage))
        for page in self._stage.pages(
            "SELECT idrssd FROM written UNION SELECT idrssd FROM stale ORDER BY idrssd",
            size=_PAGE,
        ):
            self._recompute([str(idrssd) for (idrssd,) in page])
        bands = band_peers(self._stage, known_entries(self._stage))
        written = self._write_profiles(bands)
        written += self._write_moved_peers(bands, bands_before)
        self._banks.write_index(known_entries(self._stage))
        return written

    def _recompute(self, ids: list[str]) -> None:
        banks = self._banks_of(ids)
        for bank in banks:
            bank.latest = bank.candidates()[-1] if bank.candidates() else None
        self._gather([bank for bank in banks if bank.latest])
        self._find_latest(
            [bank for bank in banks if bank.latest and bank.latest not in (bank.stored or {})]
        )
        stored_profiles = self._banks.profiles(
            [bank.idrssd for bank in banks if not bank.latest or bank.latest not in bank.run]
        )
        rows = []
        for bank in banks:
            profile = self._profile(bank, stored_profiles.get(bank.idrssd))
            if profile is None:
                continue
            rows.append((int(bank.idrssd), dump(profile)))
            entry = entry_of(profile)
            self._stage.db.execute(
                "INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?)", _known_row(entry)
            )
        self._stage.insert("INSERT OR REPLACE INTO views VALUES (?, ?)", rows)

    def _banks_of(self, ids: list[str]) -> list[_Bank]:
        """The run's rows and the index's latest quarter of these banks."""
        run: dict[str, dict[str, tuple[ffiec.Panel, dict[str, Any], str | None]]] = {
            idrssd: {} for idrssd in ids
        }
        marks = ", ".join("?" * len(ids))
        for quarter, idrssd, panel, figures, note in self._stage.db.execute(
            f"SELECT quarter, idrssd, panel, figures, note FROM written WHERE idrssd IN ({marks})",
            [int(idrssd) for idrssd in ids],
        ):
            run[str(idrssd)][quarter] = (load(panel), load(figures), note)
        banks = []
        for idrssd in ids:
            known = known_status(self._stage, idrssd)
            banks.append(_Bank(idrssd, run[idrssd], known[2] if known and known[0] else None))
        return banks

    def _gather(self, banks: list[_Bank]) -> None:
        """Each bank's quarters in the window of its latest: the run's, then the table's."""
        wanted: dict[str, list[_Bank]] = {}
        for bank in banks:
            assert bank.latest is not None
            bank.stored = {
                quarter: Stored(figures, note) for quarter, (_, figures, note) in bank.run.items()
            }
            for quarter in profiles.window(bank.latest):
                if quarter in self._earlier:
                    wanted.setdefault(quarter, []).append(bank)
        for quarter, members in sorted(wanted.items()):
            found = self._banks.quarter_records(quarter, [bank.idrssd for bank in members])
            for bank in members:
                record = found.get(bank.idrssd)
                if record is not None and bank.stored is not None:
                    bank.stored[quarter] = Stored(record.figures, record.note)

    def _find_latest(self, banks: list[_Bank]) -> None:
        """The newest quarter each bank still has, when the one it was known by is gone
        (replaced or purged): one of the run's, or an earlier one the table holds."""
        pending = list(banks)
        for quarter in sorted(self._run | self._earlier, reverse=True):
            held = {bank.idrssd for bank in pending if quarter in bank.run}
            asked = [bank.idrssd for bank in pending if bank.idrssd not in held]
            if asked and quarter in self._earlier:
                held.update(self._banks.quarter_records(quarter, asked))
            for bank in pending:
                bank.latest = quarter if bank.idrssd in held else None
            pending = [bank for bank in pending if bank.idrssd not in held]
            if not pending:
                break
        found = [bank for bank in banks if bank.latest]
        for bank in found:
            bank.stored = None
        self._gather(found)

    def _profile(self, bank: _Bank, stored: Profile | None) -> Profile | None:
        """The bank's profile, peers left out (they are known once every bank is done)."""
        if bank.latest and bank.latest in bank.run:
            panel = bank.run[bank.latest][0]
            identity = Profile(
                idrssd=bank.idrssd, name=panel.name, city=panel.city, state=panel.state,
                fdic_cert=panel.fdic_cert, filing_type=panel.filing_type,
                synthetic=is_synthetic(panel.name),
            )  # fmt: skip
        elif stored is not None:
            identity = replace(stored, view=None, latest_quarter=None, peers=None)
        else:
            return None  # removed from every quarter and never profiled: nothing to show
        if not bank.latest or bank.stored is None or bank.latest not in bank.stored:
            return identity
        view = profiles.view_of(bank.latest, bank.stored)
        return replace(identity, latest_quarter=bank.latest, view=view)

    # -- writing --------------------------------------------------------------------------

    def _write_profiles(self, bands: Bands) -> int:
        written = 0
        with self._banks.batch() as batch:
            for (blob,) in self._stage.rows("SELECT profile FROM views ORDER BY idrssd"):
                profile: Profile = load(blob)
                if profile.has_data:
                    profile = replace(profile, peers=peers_of(profile.total_assets, bands))
                batch.put_profile(profile)
                written += 1
        return written

    def _write_moved_peers(self, bands: Bands, before: Bands) -> int:
        """New medians on the untouched members of the bands whose medians moved: their
        profiles read back 100 at a time and written whole, 25 at a time."""
        moved = {name for name, peers in bands.items() if before.get(name) != peers}
        written = 0
        with self._banks.batch() as batch:
            for page in self._stage.pages(
                "SELECT entry FROM known WHERE data = 1 AND CAST(id AS INTEGER) NOT IN "
                "(SELECT idrssd FROM views) ORDER BY id",
                size=_PAGE,
            ):
                members = [
                    entry.idrssd
                    for entry in (load(blob) for (blob,) in page)
                    if (bucket := metrics.size_bucket(entry.assets)) and bucket.name in moved
                ]
                for profile in self._banks.profiles(members).values():
                    if profile.has_data:
                        batch.put_profile(
                            replace(profile, peers=peers_of(profile.total_assets, bands))
                        )
                        written += 1
        return written
