"""Peer groups computed in the staging database equal their plain definitions."""

from __future__ import annotations

import math
import random
from typing import Any

from ingest import metrics
from ingest.bands import PeerGroups
from ingest.staging import Staging

QUARTERS = ("20240331", "20240630")


def _members(rng: random.Random) -> list[dict[str, Any]]:
    members = []
    for number in range(1, 400):
        members.append(
            {
                "id": str(number),
                "quarter": rng.choice(QUARTERS),
                "synthetic": number % 5 == 0,
                "assets": rng.choice([50_000, 400_000, 2_000_000, 30_000_000, None]),
                "values": {
                    name: round(rng.choice([rng.uniform(-2, 20), 1.5]), 4)  # ties on 1.5
                    for name in metrics.PEER_METRICS
                    if rng.random() > 0.1
                },
            }
        )
    return members


def _same_group(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["quarter"] == b["quarter"]
        and a["synthetic"] == b["synthetic"]
        and metrics.size_bucket(a["assets"]) == metrics.size_bucket(b["assets"])
    )


def _percentile(member: dict[str, Any], group: list[dict[str, Any]], name: str) -> int | None:
    """The share of the other members reporting ``name`` whose value is lower, ties half."""
    mine = member["values"].get(name)
    others = [m["values"][name] for m in group if m is not member and name in m["values"]]
    if mine is None or not others:
        return None
    below = sum(value < mine for value in others)
    ties = sum(value == mine for value in others)
    return math.floor((below + ties / 2) * 100 / len(others) + 0.5)  # halves round up


def test_groups_medians_and_percentiles_are_their_definitions() -> None:
    members = _members(random.Random(5))
    with Staging() as stage:
        groups = PeerGroups(stage)
        for m in members:
            groups.add(m["id"], m["quarter"], m["synthetic"], m["assets"], m["values"])
        groups.compute()
        for member in members:
            peers = groups.peers_of(member["id"], member["quarter"])
            if member["assets"] is None:
                assert peers is None  # a bank of unknown size is in no group
                continue
            group = [m for m in members if _same_group(m, member)]
            bucket = metrics.size_bucket(member["assets"])
            assert peers is not None and bucket is not None
            assert peers["bucket"] == bucket.name and peers["label"] == bucket.label
            assert peers["quarter"] == member["quarter"]
            assert peers["banks"] == len(group)
            assert peers["medians"] == metrics.peer_medians(m["values"] for m in group)
            assert peers["percentiles"] == {
                name: _percentile(member, group, name) for name in metrics.PEER_METRICS
            }
        assert groups.peers_of("1", "20991231") is None


def test_real_and_synthetic_banks_are_never_one_group() -> None:
    with Staging() as stage:
        groups = PeerGroups(stage)
        groups.add("1", "20240630", False, 500_000, {"roa": 1.0})
        groups.add("9900001", "20240630", True, 500_000, {"roa": 3.0})
        groups.compute()
        real, synthetic = groups.peers_of("1", "20240630"), groups.peers_of("9900001", "20240630")
    assert real is not None and synthetic is not None
    assert real["banks"] == synthetic["banks"] == 1
    assert real["medians"]["roa"] == 1.0 and synthetic["medians"]["roa"] == 3.0
    assert real["percentiles"]["roa"] is None  # alone in its group
