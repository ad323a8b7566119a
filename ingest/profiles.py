"""What a bank's profile shows, computed once at import. Pure functions, no AWS.

The profile is read with one ``GetItem`` (:mod:`chalicelib.banks.table`), so the importer
stores on it what it shows: the latest figures and metrics, the metric series of the last
:data:`SERIES_QUARTERS` quarter-ends, the data notes of those quarters and where the latest
figures come from; its peer group comes from :mod:`ingest.bands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.banks import quarters
from chalicelib.banks.records import WINDOW, Held, ProfileView
from chalicelib.banks.table import plain
from ingest import metrics

SERIES_QUARTERS = 8
WINDOW_QUARTERS = WINDOW  # the series' oldest quarter needs its year-ago quarter too
CDR_TITLE = "FFIEC Central Data Repository, Call Reports -- Single Period bulk files"
SYNTHETIC_TITLE = "Synthetic sample in the FFIEC bulk-file format (invented banks)"


def window(latest: str) -> list[str]:
    """The quarter-ends whose figures the view of a bank whose latest is ``latest`` reads."""
    return quarters.window(latest, WINDOW_QUARTERS)


def source_of(latest: str, held: Held, synthetic: bool) -> dict[str, Any]:
    """Where a quarter's figures come from, as the profile and the page say it."""
    return {
        "kind": "synthetic" if synthetic else "ffiec_cdr",
        "title": SYNTHETIC_TITLE if synthetic else CDR_TITLE,
        "quarter": latest,
        "producedAt": held.produced_at,
    }


def view_of(
    latest: str, stored: Mapping[str, Held], synthetic: bool = False,
    known: Mapping[str, Any] | None = None,
) -> ProfileView:  # fmt: skip
    """The view from the bank's quarters in :func:`window` (``stored[latest]`` must exist);
    a quarter missing from ``stored`` leaves None in the metrics that need it. ``known``:
    series rows still valid (see :func:`reusable_rows`)."""
    shown = {quarter: stored[quarter] for quarter in window(latest) if quarter in stored}
    series = metrics.metric_series(
        {quarter: item.figures for quarter, item in shown.items()}, SERIES_QUARTERS, known
    )
    latest_row = series[-1]
    return ProfileView(
        figures={
            key: plain(value) for key, value in stored[latest].figures.items() if value is not None
        },
        metrics={name: latest_row[name] for name in metrics.METRIC_NAMES},
        series=series,
        notes=sorted({item.note for item in shown.values() if item.note}),
        source=source_of(latest, stored[latest], synthetic),
        income_unknown=[row["quarter"] for row in series if shown[row["quarter"]].note],
    )


def reusable_rows(
    rows: Mapping[str, dict[str, Any]], version: int, changed: set[str]
) -> dict[str, dict[str, Any]]:
    """The stored series rows still valid: of the current formulas, and whose quarter, the
    quarter before it and the one a year before (all a row is computed from) did not
    change."""
    if version != metrics.ROWS_VERSION:
        return {}
    return {
        quarter: row
        for quarter, row in rows.items()
        if not {quarter, quarters.previous(quarter), quarters.year_ago(quarter)} & changed
    }


def peer_values(
    quarter: str, stored: Mapping[str, Held], shown: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """The metrics a bank is compared with its peers on, in ``quarter`` (which it holds):
    from its series row when the view shows that quarter, else computed."""
    row = shown or metrics.quarter_metrics(
        stored[quarter].figures,
        _figures(stored, quarters.previous(quarter)),
        _figures(stored, quarters.year_ago(quarter)),
    )
    return {
        name: float(value) for name in metrics.PEER_METRICS if (value := row.get(name)) is not None
    }


def _figures(stored: Mapping[str, Held], quarter: str) -> Mapping[str, Any] | None:
    held = stored.get(quarter)
    return None if held is None else held.figures
