"""Band medians computed in the staging database equal the in-memory definition."""

from __future__ import annotations

import random

from chalicelib.banks.records import IndexEntry
from ingest import metrics
from ingest.bands import band_peers, peers_of
from ingest.staging import Staging


def test_medians_in_sqlite_are_those_of_peer_medians() -> None:
    rng = random.Random(5)
    entries = [
        IndexEntry(
            str(number),
            f"Bank {number}",
            has_data=number % 9 != 0,
            assets=rng.choice([50_000, 400_000, 2_000_000, 30_000_000]),
            metrics={
                name: round(rng.uniform(-2, 20), 4)
                for name in metrics.PEER_METRICS
                if rng.random() > 0.1
            },
        )
        for number in range(1, 300)
    ]
    with Staging() as stage:
        bands = band_peers(stage, entries)
    for bucket in metrics.SIZE_BUCKETS:
        members = [
            entry.metrics
            for entry in entries
            if entry.has_data and metrics.size_bucket(entry.assets) == bucket
        ]
        assert bands[bucket.name]["banks"] == len(members)
        assert bands[bucket.name]["medians"] == metrics.peer_medians(members)
        assert bands[bucket.name]["label"] == bucket.label
    assert bands["over_700b"]["banks"] == 0
    assert set(bands["over_700b"]["medians"].values()) == {None}
    assert peers_of(2_000_000, bands) is bands["1b_10b"] and peers_of(None, bands) is None
