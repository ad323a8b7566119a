"""The peer medians of every size band, computed in the staging database.

A median needs every value of its band; SQLite sorts them on disk (an index on band,
metric and value), so memory does not grow with the number of banks. The medians are
those of :func:`ingest.metrics.peer_medians`, rounded the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.banks.records import IndexEntry
from ingest import metrics
from ingest.staging import Staging

Bands = dict[str, dict[str, Any]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS peer_values (
    band TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS peer_values_in_order ON peer_values (band, metric, value)
"""


def band_peers(stage: Staging, entries: Iterable[IndexEntry]) -> Bands:
    """Per size band: ``{"bucket", "label", "banks", "medians"}`` over the banks with figures
    (each in the band of its total assets)."""
    stage.create(_SCHEMA)
    stage.db.execute("DELETE FROM peer_values")
    counts: Counter[str] = Counter()

    def values() -> Iterator[tuple[str, str, float]]:
        for entry in entries:
            bucket = metrics.size_bucket(entry.assets) if entry.has_data else None
            if bucket is None:
                continue
            counts[bucket.name] += 1
            for name in metrics.PEER_METRICS:
                value = entry.metrics.get(name)
                if value is not None:
                    yield bucket.name, name, float(value)

    stage.insert("INSERT INTO peer_values VALUES (?, ?, ?)", values())
    return {
        bucket.name: {
            "bucket": bucket.name,
            "label": bucket.label,
            "banks": counts[bucket.name],
            "medians": {name: _median(stage, bucket.name, name) for name in metrics.PEER_METRICS},
        }
        for bucket in metrics.SIZE_BUCKETS
    }


def peers_of(total_assets: Any, bands: Bands) -> dict[str, Any] | None:
    """The peers a profile shows for a bank of this size; None when its size is unknown."""
    bucket = metrics.size_bucket(total_assets)
    return None if bucket is None else bands[bucket.name]


def _median(stage: Staging, band: str, metric: str) -> float | None:
    where = "FROM peer_values WHERE band = ? AND metric = ?"
    (count,) = stage.db.execute(f"SELECT COUNT(*) {where}", (band, metric)).fetchone()
    if count == 0:
        return None
    # The middle value, or the two middle ones of an even count (as statistics.median).
    middle = [
        value
        for (value,) in stage.db.execute(
            f"SELECT value {where} ORDER BY value LIMIT ? OFFSET ?",
            (band, metric, 2 - count % 2, (count - 1) // 2),
        )
    ]
    return round(sum(middle) / len(middle), 4)
