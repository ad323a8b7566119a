"""What a bank's profile shows, computed once at import. Pure functions, no AWS.

The profile is read with one ``GetItem`` (:mod:`chalicelib.banks.table`), so the importer
stores on it what it shows: the latest figures and metrics, the metric series of the last
:data:`SERIES_QUARTERS` quarter-ends and the data notes of those quarters; the medians of
its peer band come from :mod:`ingest.bands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.banks.records import ProfileView
from chalicelib.banks.table import plain
from ingest import metrics, quarters

SERIES_QUARTERS = 8
# The series' oldest quarter needs its year-ago quarter for the year-on-year growth rates.
WINDOW_QUARTERS = SERIES_QUARTERS + 4


@dataclass(frozen=True)
class Stored:
    """One quarter of one bank, as the view needs it."""

    figures: Mapping[str, Any]
    note: str | None = None


def window(latest: str) -> list[str]:
    """The quarter-ends whose figures the view of a bank whose latest is ``latest`` reads."""
    return quarters.window(latest, WINDOW_QUARTERS)


def view_of(latest: str, stored: Mapping[str, Stored]) -> ProfileView:
    """The view from the bank's quarters in :func:`window` (``stored[latest]`` must exist);
    a quarter missing from ``stored`` leaves None in the metrics that need it."""
    shown = {quarter: stored[quarter] for quarter in window(latest) if quarter in stored}
    series = metrics.metric_series(
        {quarter: item.figures for quarter, item in shown.items()}, last=SERIES_QUARTERS
    )
    latest_row = series[-1]
    return ProfileView(
        figures={
            key: plain(value) for key, value in stored[latest].figures.items() if value is not None
        },
        metrics={name: latest_row[name] for name in metrics.METRIC_NAMES},
        series=series,
        notes=sorted({item.note for item in shown.values() if item.note}),
    )


def peer_metrics(view: ProfileView) -> dict[str, float]:
    """The metrics the search index keeps of a bank, for its band's medians."""
    return {
        name: value
        for name in metrics.PEER_METRICS
        if (value := view.metrics.get(name)) is not None
    }
