"""Peer groups: banks of one kind and size band in one quarter, their medians and each
member's percentile, computed in the staging database.

A group is the real (or the synthetic: the two are never mixed) banks whose total assets
put them in one band of :data:`ingest.metrics.SIZE_BUCKETS` in one quarter. Every bank that
filed a quarter is in the run that imports it, so a quarter's groups are whole when the run
computes them; a bank's profile shows the group of its latest quarter, so a bank that
stopped filing keeps the peers of its last quarter. The members' values wait in the staging
database; one group at a time is read back in order and ranked in memory (a few hundred
kilobytes for the largest), so memory grows with the largest group, not with the number
of quarters or groups. Medians are those of :func:`ingest.metrics.peer_medians`, rounded
the same way.

A bank's percentile on a metric is the share of the other members reporting it whose value
is lower, ties counting half: 0 is the lowest, 100 the highest, None alone in its group.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections.abc import Callable
from typing import Any

from ingest import metrics
from ingest.staging import Staging

_COLUMNS = tuple(f"m{number}" for number in range(len(metrics.PEER_METRICS)))
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS peer_values (
    quarter TEXT NOT NULL, kind TEXT NOT NULL, band TEXT NOT NULL, idrssd INTEGER NOT NULL,
    {", ".join(f"{column} REAL" for column in _COLUMNS)},
    PRIMARY KEY (quarter, idrssd)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peer_ranks (
    quarter TEXT NOT NULL, idrssd INTEGER NOT NULL,
    {", ".join(f"{column} INTEGER" for column in _COLUMNS)},
    PRIMARY KEY (quarter, idrssd)
) WITHOUT ROWID
"""
# One row per bank and quarter, a column per metric (NULL: not known). A metric's group is
# its quarter, kind and band among the members that know it.
_GROUP = "quarter, kind, band"


def _ranked(values: list[float]) -> tuple[list[float], Callable[[float], int | None]]:
    """The values sorted, and a value's percentile among them (itself left out)."""
    ordered = sorted(values)
    others = len(ordered) - 1

    def percentile(value: float) -> int | None:
        if others < 1:
            return None
        below = bisect.bisect_left(ordered, value)
        ties = bisect.bisect_right(ordered, value) - below - 1
        return math.floor((below + ties / 2) * 100 / others + 0.5)  # halves round up

    return ordered, percentile


def kind_of(synthetic: bool) -> str:
    return "synthetic" if synthetic else "real"


class PeerGroups:
    """The peer groups of the quarters a run imports: fill with :meth:`add`, then
    :meth:`compute`, then read a member's group with :meth:`peers_of`."""

    def __init__(self, stage: Staging) -> None:
        self._stage = stage
        stage.create(_SCHEMA)
        self._groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(
        self, idrssd: str, quarter: str, synthetic: bool, total_assets: Any,
        values: dict[str, float],
    ) -> None:  # fmt: skip
        """One bank's peer metrics in one quarter (a bank of unknown size is in no group)."""
        bucket = metrics.size_bucket(total_assets)
        if bucket is None:
            return
        row = [values.get(name) for name in metrics.PEER_METRICS]
        self._stage.db.execute(
            f"INSERT OR REPLACE INTO peer_values VALUES (?, ?, ?, ?{', ?' * len(row)})",
            (quarter, kind_of(synthetic), bucket.name, int(idrssd), *row),
        )

    def compute(self) -> None:
        """Each group's size and medians, and every member's percentiles: one group in
        memory at a time (the largest, a quarter's banks under $1 billion, is ~3 800 rows)."""
        columns = ", ".join(_COLUMNS)
        rows = self._stage.rows(
            f"SELECT {_GROUP}, idrssd, {columns} FROM peer_values ORDER BY {_GROUP}"
        )
        for (quarter, kind, band), members in itertools.groupby(rows, key=lambda r: r[:3]):
            self._compute_group(quarter, kind, band, [row[3:] for row in members])

    def _compute_group(self, quarter: str, kind: str, band: str, rows: list[Any]) -> None:
        bucket = next(b for b in metrics.SIZE_BUCKETS if b.name == band)
        medians: dict[str, float | None] = {}
        ranks: list[list[Any]] = [[quarter, row[0]] for row in rows]
        for position, name in enumerate(metrics.PEER_METRICS, start=1):
            known = [row[position] for row in rows if row[position] is not None]
            ordered, percentile = _ranked(known)
            medians[name] = round(statistics.median(ordered), 4) if ordered else None
            for rank, row in zip(ranks, rows, strict=True):
                value = row[position]
                rank.append(None if value is None else percentile(value))
        self._groups[(quarter, kind, band)] = {
            "bucket": band, "label": bucket.label, "banks": len(rows), "quarter": quarter,
            "medians": medians,
        }  # fmt: skip
        marks = ", ".join("?" * (len(_COLUMNS) + 2))
        self._stage.insert(f"INSERT OR REPLACE INTO peer_ranks VALUES ({marks})", ranks)

    def by_quarter(self) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """The groups computed, as the Banks table keeps them: quarter → kind → band →
        ``{"banks", "medians"}``."""
        found: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        for (quarter, kind, band), group in self._groups.items():
            shown = {"banks": group["banks"], "medians": dict(group["medians"])}
            found.setdefault(quarter, {}).setdefault(kind, {})[band] = shown
        return found

    def peers_of(self, idrssd: str, quarter: str) -> dict[str, Any] | None:
        """The group of a member in ``quarter`` with its percentiles; None if not a member."""
        found = self._stage.db.execute(
            f"SELECT v.kind, v.band, {', '.join(f'r.{c}' for c in _COLUMNS)} "
            "FROM peer_values AS v JOIN peer_ranks AS r USING (quarter, idrssd) "
            "WHERE v.quarter = ? AND v.idrssd = ?",
            (quarter, int(idrssd)),
        ).fetchone()
        if found is None:
            return None
        kind, band, *ranks = found
        group = self._groups[(quarter, kind, band)]
        percentiles = dict(zip(metrics.PEER_METRICS, ranks, strict=True))
        return {**group, "medians": dict(group["medians"]), "percentiles": percentiles}


def median_history(
    series: list[dict[str, Any]], synthetic: bool, groups: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """Per quarter of a bank's series, the medians of its group in that quarter (its band by
    that quarter's total assets, as :meth:`PeerGroups.add` placed it); None when the bank was
    in no group or the quarter's groups are not known (a gap, never another quarter's)."""
    kind = kind_of(synthetic)
    history: dict[str, dict[str, Any] | None] = {}
    for row in series:
        quarter = str(row["quarter"])
        bucket = metrics.size_bucket(row.get("totalAssets"))
        band = groups.get(quarter, {}).get(kind, {}).get(bucket.name) if bucket else None
        history[quarter] = None if band is None else dict(band["medians"])
    return history
