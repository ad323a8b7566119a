"""After an import has written its quarters: the profiles it changed, their peer groups, the
links between RSSD IDs of one institution, and the index.

Every bank the run touched (written in one of its quarters, or removed from one) gets its
profile recomputed from its latest quarter and the eleven quarter-ends before it: the run's
own rows merged into the bank's ``RECENT`` item (:mod:`ingest.recent`), so a bank costs one
read whatever the number of quarters held. Only a bank whose latest quarter moved back (its
newest was removed) is read from its ``Q#`` items, the window it now needs. The peer groups
of the run's quarters are computed from every bank that filed them (:mod:`ingest.bands`); a
bank that stopped filing keeps those of its last quarter. The index is written last, as a
new version, so that warm API processes reload it.

The staging tables used here (created by :mod:`ingest.importer`): ``known`` (the index as
loaded, then updated), ``written`` (the run's quarter items), ``stale`` (quarters removed
from a bank) and ``views`` (the recomputed profiles and ``RECENT`` items).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.banks.records import Held, IndexEntry, Link, Profile, Recent
from chalicelib.banks.table import BanksTable, held_of, recent_item
from ingest import ffiec, metrics, profiles
from ingest.bands import PeerGroups, median_history
from ingest.recent import RecentCache
from ingest.staging import Staging, dump, load

SYNTHETIC_SUFFIX = "(SYNTHETIC)"
_PAGE = 100  # banks per page: one BatchGetItem of RECENT items
_NO_CERT = frozenset({"", "0"})


def is_synthetic(name: str) -> bool:
    return name.rstrip().upper().endswith(SYNTHETIC_SUFFIX)


# -- the index, copied into the staging database ------------------------------------------------


def load_known(banks: BanksTable, stage: Staging) -> None:
    """Copy the index into ``known`` (rebuilt from the profiles when there is none yet)."""
    entries = banks.index()
    if entries is None:
        entries = {entry.idrssd: entry for entry in map(entry_of, banks.scan_profiles())}
    stage.insert(_KNOWN_INSERT, map(_known_row, entries.values()))


def known_status(stage: Staging, idrssd: str) -> tuple[bool, bool, str] | None:
    """(has figures, synthetic, latest quarter) of a bank in the index; None if absent."""
    row = stage.db.execute(
        "SELECT data, synthetic, q FROM known WHERE id = ?", (idrssd,)
    ).fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), row[2] or "")


def known_entry(stage: Staging, idrssd: str) -> IndexEntry | None:
    row = stage.db.execute("SELECT entry FROM known WHERE id = ?", (idrssd,)).fetchone()
    return None if row is None else load(row[0])


def known_entries(
    stage: Staging, where: str = "", params: Sequence[Any] = ()
) -> Iterator[IndexEntry]:
    for (blob,) in stage.rows(f"SELECT entry FROM known {where}", params):
        yield load(blob)


def entry_of(profile: Profile, successor: str | None = None) -> IndexEntry:
    """The index entry of a profile."""
    view = profile.view if profile.has_data else None
    return IndexEntry(
        idrssd=profile.idrssd, name=profile.name, city=profile.city, state=profile.state,
        synthetic=profile.synthetic, has_data=view is not None,
        quarter=profile.latest_quarter if view else None, assets=profile.total_assets,
        fdic_cert=profile.fdic_cert, former_names=profile.former_names,
        first_quarter=profile.first_quarter,
        successor=successor or (profile.successor.idrssd if profile.successor else None),
    )  # fmt: skip


_KNOWN_INSERT = "INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?, ?, ?)"


def _known_row(entry: IndexEntry) -> tuple[Any, ...]:
    return (
        entry.idrssd, int(entry.has_data), int(entry.synthetic), entry.quarter,
        entry.fdic_cert, entry.successor, dump(entry),
    )  # fmt: skip


def _put_known(stage: Staging, entry: IndexEntry) -> None:
    stage.db.execute(_KNOWN_INSERT, _known_row(entry))


# -- one touched bank ---------------------------------------------------------------------------


@dataclass
class _Bank:
    """What the run knows of one touched bank."""

    idrssd: str
    run: dict[str, tuple[ffiec.Panel, Held]]  # quarter → the run's row
    removed: set[str]
    recent: Recent | None
    known: IndexEntry | None
    quarters: dict[str, Held] = field(default_factory=dict)
    trusted: bool = True  # False: its quarters were read back, not merged into RECENT

    @property
    def latest(self) -> str | None:
        return max(self.quarters) if self.quarters else None

    def merge(self) -> bool:
        """Merge the stored quarters and the run's; False when the merge cannot be trusted
        for the new window (the latest moved back below what ``RECENT`` covered)."""
        stored = dict(self.recent.quarters) if self.recent else {}
        before = max(stored) if stored else None
        self.quarters = {q: held for q, held in stored.items() if q not in self.removed}
        self.quarters.update((quarter, held) for quarter, (_, held) in self.run.items())
        latest = self.latest
        if before is None:
            return not (self.known and self.known.has_data and not self.run)
        return latest is not None and latest >= before

    def known_rows(self) -> dict[str, dict[str, Any]]:
        """Series rows computed by an earlier import that this run's quarters leave valid."""
        if self.recent is None or not self.trusted:
            return {}
        changed = set(self.run) | self.removed
        return profiles.reusable_rows(self.recent.rows, self.recent.rows_version, changed)

    def names(self) -> tuple[tuple[str, str, str], ...]:
        """The names it filed under, (name, first quarter, last quarter), oldest first."""
        spans: dict[str, list[str]] = {}
        for name, first, last in self.recent.names if self.recent else ():
            spans[name] = [first, last]
        for quarter, (panel, _) in self.run.items():
            span = spans.setdefault(panel.name, [quarter, quarter])
            span[0], span[1] = min(span[0], quarter), max(span[1], quarter)
        return tuple(
            (name, first, last) for name, (first, last) in sorted(spans.items(), key=_by_last)
        )


def _by_last(item: tuple[str, list[str]]) -> tuple[str, str]:
    return item[1][1], item[1][0]


class ProfileRefresh:
    """Recomputes the profiles an import touched, their peer groups, links and the index."""

    def __init__(
        self, banks: BanksTable, stage: Staging, run_quarters: Sequence[str], cache: RecentCache
    ) -> None:
        self._banks = banks
        self._stage = stage
        self._run = set(run_quarters)
        self._cache = cache
        self._groups = PeerGroups(stage)
        # quarter → its peer groups: the run's own once computed, others read when needed
        self._by_quarter: dict[str, dict[str, Any]] = {}

    def run(self) -> int:
        """Write the touched profiles, the ones whose links moved and the index; items
        written."""
        for page in self._stage.pages(
            "SELECT idrssd FROM written UNION SELECT idrssd FROM stale ORDER BY idrssd",
            size=_PAGE,
        ):
            self._recompute([str(idrssd) for (idrssd,) in page])
        self._groups.compute()
        written = self._write_peer_groups()
        relinked = self._link_successors()
        written += self._write_profiles() + self._write_relinked(relinked)
        self._banks.write_index(known_entries(self._stage))
        return written

    # -- recomputing ------------------------------------------------------------------------

    def _recompute(self, ids: list[str]) -> None:
        banks = self._banks_of(ids)
        for bank in banks:
            bank.trusted = bank.merge()
        self._read_back([bank for bank in banks if not bank.trusted])
        stored = self._banks.profiles(
            [bank.idrssd for bank in banks if bank.latest not in bank.run]
        )
        rows = []
        for bank in banks:
            profile = self._profile(bank, stored.get(bank.idrssd))
            if profile is None:
                continue
            recent = self._recent_of(bank, profile)
            # Built now, kept as the item's few strings: cheaper to stage than the quarters.
            item = None if recent is None else dump(recent_item(bank.idrssd, recent))
            rows.append((int(bank.idrssd), dump(profile), item))
            _put_known(self._stage, entry_of(profile, bank.known.successor if bank.known else None))
        self._stage.insert("INSERT OR REPLACE INTO views VALUES (?, ?, ?)", rows)

    def _banks_of(self, ids: list[str]) -> list[_Bank]:
        """The run's rows, the removals, the ``RECENT`` items and the index entries."""
        numbers = [int(idrssd) for idrssd in ids]
        marks = ", ".join("?" * len(ids))
        run: dict[str, dict[str, tuple[ffiec.Panel, Held]]] = {i: {} for i in ids}
        for quarter, idrssd, panel, held in self._stage.db.execute(
            f"SELECT quarter, idrssd, panel, held FROM written WHERE idrssd IN ({marks})", numbers
        ):
            run[str(idrssd)][quarter] = (load(panel), load(held))
        removed: dict[str, set[str]] = {i: set() for i in ids}
        for idrssd, quarter in self._stage.db.execute(
            f"SELECT idrssd, quarter FROM stale WHERE idrssd IN ({marks})", numbers
        ):
            removed[str(idrssd)].add(quarter)
        known = {idrssd: known_entry(self._stage, idrssd) for idrssd in ids}
        latest = {i: e.quarter for i, e in known.items() if e and e.has_data and e.quarter}
        recents = self._cache.get(ids, latest)
        return [_Bank(i, run[i], removed[i], recents.get(i), known[i]) for i in ids]

    def _read_back(self, banks: list[_Bank]) -> None:
        """The quarters of banks whose latest moved back, from their ``Q#`` items (the table
        already lost what the run removed)."""
        for bank in banks:
            held = self._banks.quarters_of(bank.idrssd)
            bank.quarters = {}
            if not held:
                continue
            for quarter in (q for q in profiles.window(held[-1]) if q in held):
                record = self._banks.quarter_records(quarter, [bank.idrssd]).get(bank.idrssd)
                if record is not None:
                    bank.quarters[quarter] = held_of(record)
            first = held[0]
            if bank.known is not None:
                bank.known = replace(bank.known, first_quarter=first)

    def _profile(self, bank: _Bank, stored: Profile | None) -> Profile | None:
        """The bank's profile, peers and links left out (they are known once every bank is
        done)."""
        latest = bank.latest
        if latest is not None and latest in bank.run:
            panel = bank.run[latest][0]
            identity = Profile(
                idrssd=bank.idrssd, name=panel.name, city=panel.city, state=panel.state,
                fdic_cert=panel.fdic_cert, filing_type=panel.filing_type,
                synthetic=is_synthetic(panel.name),
            )  # fmt: skip
        elif stored is not None:
            identity = replace(stored, view=None, latest_quarter=None, peers=None)
        else:
            return None  # removed from every quarter and never profiled: nothing to show
        names = bank.names()
        identity = replace(
            identity,
            former_names=tuple(name for name, _, _ in reversed(names) if name != identity.name),
            first_quarter=_first_quarter(bank),
        )
        if latest is None:
            return identity
        view = profiles.view_of(latest, bank.quarters, identity.synthetic, bank.known_rows())
        shown = {row["quarter"]: row for row in view.series}
        for quarter in self._run & set(bank.quarters):
            self._groups.add(
                bank.idrssd, quarter, identity.synthetic,
                bank.quarters[quarter].figures.get("totalAssets"),
                profiles.peer_values(quarter, bank.quarters, shown.get(quarter)),
            )  # fmt: skip
        peers = _kept_peers(stored, latest)
        return replace(identity, latest_quarter=latest, view=view, peers=peers)

    def _recent_of(self, bank: _Bank, profile: Profile) -> Recent | None:
        if bank.latest is None:
            return None
        window = set(profiles.window(bank.latest))
        rows = {row["quarter"]: row for row in profile.view.series} if profile.view else {}
        return Recent(
            {q: h for q, h in bank.quarters.items() if q in window}, bank.names(), rows,
            metrics.ROWS_VERSION,
        )  # fmt: skip

    # -- links between RSSD IDs -----------------------------------------------------------------

    def _link_successors(self) -> set[str]:
        """An institution whose FDIC certificate is filed under another RSSD ID in the next
        quarter held continues there (Flagstar Bank, FSB → Flagstar Bank, N.A.): link the
        two. Returns the ids whose successor changed and that the run did not touch."""
        held = sorted(set(self._banks.imported_quarters()) | self._run)
        relinked: set[str] = set()
        for quarter in sorted(self._run):
            position = held.index(quarter)
            if position == 0:
                continue
            certs = self._certs_filed(quarter)
            for entry in known_entries(
                self._stage, "WHERE data = 1 AND q = ?", (held[position - 1],)
            ):
                successor = certs.get(entry.fdic_cert)
                if successor is None or successor == entry.idrssd or entry.successor == successor:
                    continue
                _put_known(self._stage, replace(entry, successor=successor))
                relinked.add(entry.idrssd)
        return relinked

    def _certs_filed(self, quarter: str) -> dict[str, str]:
        """FDIC certificate → the RSSD ID that filed under it in ``quarter``, in this run."""
        certs: dict[str, str] = {}
        for idrssd, panel in self._stage.rows(
            "SELECT idrssd, panel FROM written WHERE quarter = ?", (quarter,)
        ):
            cert = load(panel).fdic_cert
            if cert not in _NO_CERT:
                certs[cert] = str(idrssd)
        return certs

    def _links(self, profile: Profile) -> Profile:
        """The profile with the links the index holds: its successor, its predecessors."""
        entry = known_entry(self._stage, profile.idrssd)
        successor = None
        if entry is not None and entry.successor:
            found = known_entry(self._stage, entry.successor)
            name = found.name if found else ""
            successor = Link(entry.successor, name, entry.quarter or "")
        predecessors = tuple(
            Link(before.idrssd, before.name, before.quarter or "")
            for before in known_entries(self._stage, "WHERE successor = ?", (profile.idrssd,))
        )
        return replace(profile, successor=successor, predecessors=predecessors)

    # -- writing --------------------------------------------------------------------------

    def _write_peer_groups(self) -> int:
        """Each run quarter's groups, whole (every bank that filed it is in the run)."""
        computed = self._groups.by_quarter()
        for quarter in sorted(self._run):
            self._by_quarter[quarter] = computed.get(quarter, {})
            self._banks.put_peer_groups(quarter, self._by_quarter[quarter])
        return len(self._run)

    def _groups_of(self, quarters: list[str]) -> dict[str, dict[str, Any]]:
        """The peer groups of ``quarters``, those not of the run read once per run."""
        missing = [quarter for quarter in quarters if quarter not in self._by_quarter]
        if missing:
            found = self._banks.peer_groups(missing)
            self._by_quarter.update({quarter: found.get(quarter, {}) for quarter in missing})
        return self._by_quarter

    def _with_peers(self, profile: Profile) -> Profile:
        """The latest quarter's group (when the run computed it) and the medians of the
        bank's group in each quarter of its series."""
        if profile.has_data and profile.latest_quarter in self._run:
            peers = self._groups.peers_of(profile.idrssd, profile.latest_quarter)
            profile = replace(profile, peers=peers)
        if profile.peers is None or profile.view is None:
            return profile
        series = profile.view.series
        groups = self._groups_of([str(row["quarter"]) for row in series])
        history = median_history(series, profile.synthetic, groups)
        return replace(profile, peers={**profile.peers, "history": history})

    def _write_profiles(self) -> int:
        written = 0
        with self._banks.batch() as batch:
            for idrssd, profile_blob, recent_blob in self._stage.rows(
                "SELECT idrssd, profile, recent FROM views ORDER BY idrssd"
            ):
                profile: Profile = self._with_peers(load(profile_blob))
                batch.put_profile(self._links(profile))
                if recent_blob is None:
                    batch.delete_recent(str(idrssd))
                else:
                    batch.put_recent(load(recent_blob))
                written += 2
        return written

    def _write_relinked(self, ids: set[str]) -> int:
        """Profiles the run did not recompute whose successor it found, written again."""
        untouched = sorted(ids - self._touched(), key=int)
        written = 0
        with self._banks.batch() as batch:
            for start in range(0, len(untouched), _PAGE):
                for profile in self._banks.profiles(untouched[start : start + _PAGE]).values():
                    batch.put_profile(self._links(profile))
                    written += 1
        return written

    def _touched(self) -> set[str]:
        return {str(idrssd) for (idrssd,) in self._stage.rows("SELECT idrssd FROM views")}


def _first_quarter(bank: _Bank) -> str | None:
    """The first quarter the bank filed, as far as the table and the run know."""
    candidates = [*bank.run, *bank.quarters]
    first = bank.known.first_quarter if bank.known is not None else None
    if first and first not in bank.removed:
        candidates.append(first)
    return min(candidates) if candidates else None


def _kept_peers(stored: Profile | None, latest: str) -> dict[str, Any] | None:
    """A stored profile's peers when they are those of ``latest`` (a bank whose latest quarter
    is not one the run imports keeps its group)."""
    if stored is None or stored.peers is None or stored.peers.get("quarter") != latest:
        return None
    return stored.peers
