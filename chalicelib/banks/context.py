"""A bank's latest figures in context: each one's change on the quarter and on the year, and
where it stands among its peers. Pure functions over what the profile already holds.

The profile stores the series of the last quarters (one row per quarter held: its metrics
and the amounts charts draw) and its peer group in its latest quarter (medians, the bank's
percentiles: :mod:`ingest.bands`), so nothing here reads the table. A change compares the
latest quarter with the quarter-end before it and the same quarter-end a year before, found
by date: a quarter missing from the data (2023-03-31 in the shipped files) gives a null
change, never one bridged over the gap to an older quarter.

Ratios (percent) change in percentage points (``1.10`` to ``1.25`` is ``0.15``); amounts
(thousands of dollars) change in percent of the earlier amount, null when that amount is
zero or negative (a loss's "growth" means nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.banks.quarters import previous, year_ago

# The amounts of a series row (thousands of dollars); every other figure of a row is a ratio.
AMOUNTS = ("totalAssets", "loans", "deposits", "netIncome")


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    return float(value)


def change(name: str, now: Any, then: Any) -> float | None:
    """The change from ``then`` to ``now``: points for a ratio, percent for an amount."""
    current, before = _number(now), _number(then)
    if current is None or before is None:
        return None
    if name in AMOUNTS:
        return None if before <= 0 else round((current / before - 1) * 100, 2)
    return round(current - before, 4)


def figures_in_context(
    latest: str, series: Sequence[Mapping[str, Any]], peers: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Per metric and amount of the latest quarter's series row: its value, ``kind``
    (``ratio`` or ``amount``), ``changes`` (``qoq``, ``yoy``), and, for the metrics compared
    with peers, its ``percentile`` in the group, the group's ``peerMedian`` and its size
    (``peerBanks``). Empty when the series does not hold ``latest``."""
    rows = {str(row["quarter"]): row for row in series}
    row = rows.get(latest)
    if row is None:
        return {}
    before, year_before = rows.get(previous(latest), {}), rows.get(year_ago(latest), {})
    # The group is the latest quarter's (a profile keeps no other); a group of another
    # quarter would compare different dates.
    group = peers if peers and peers.get("quarter", latest) == latest else {}
    percentiles = group.get("percentiles") or {}
    medians = group.get("medians") or {}
    shown: dict[str, dict[str, Any]] = {}
    for name, value in row.items():
        if name == "quarter":
            continue
        entry: dict[str, Any] = {
            "value": value,
            "kind": "amount" if name in AMOUNTS else "ratio",
            "changes": {
                "qoq": change(name, value, before.get(name)),
                "yoy": change(name, value, year_before.get(name)),
            },
            "percentile": None,
            "peerMedian": None,
            "peerBanks": None,
        }
        if name in percentiles:
            entry["percentile"] = percentiles[name] if value is not None else None
            entry["peerMedian"] = medians.get(name)
            entry["peerBanks"] = group.get("banks")
        shown[name] = entry
    return shown


def series_with_medians(
    series: Sequence[Mapping[str, Any]], peers: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Each series row with ``peerMedians``: the medians of the bank's peer group in that
    row's quarter (``peers["history"]``, recorded by the import), or None where the import
    recorded none (an older import: only the latest quarter's group is known) — a gap, never
    another quarter's medians."""
    history = (peers or {}).get("history") or {}
    latest = (peers or {}).get("quarter")
    shown = []
    for row in series:
        quarter = str(row["quarter"])
        medians = history.get(quarter)
        if medians is None and peers and quarter == latest:
            medians = peers.get("medians")
        shown.append({**row, "peerMedians": dict(medians) if medians else None})
    return shown


def shown_peers(peers: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The latest quarter's group as the API shows it: its medians per quarter are in the
    series rows, not repeated here."""
    if peers is None:
        return None
    return {name: value for name, value in peers.items() if name != "history"}
