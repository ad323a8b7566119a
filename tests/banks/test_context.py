"""A bank's latest figures in context (changes on the quarter and year, percentile among
peers), from a profile's series and peer group."""

from __future__ import annotations

from typing import Any

from chalicelib.banks.context import change, figures_in_context, series_with_medians, shown_peers
from ingest.bands import median_history


def row(quarter: str, **values: Any) -> dict[str, Any]:
    return {"quarter": quarter, **values}


SERIES = [
    row("20230630", roa=1.00, totalAssets=1_000.0, netIncome=-5.0),
    row("20230930", roa=1.10, totalAssets=1_100.0, netIncome=10.0),
    row("20231231", roa=0.90, totalAssets=900.0, netIncome=None),
    row("20240331", roa=1.05, totalAssets=1_200.0, netIncome=12.0),
    row("20240630", roa=1.25, totalAssets=1_260.0, netIncome=15.0),
]
PEERS = {
    "bucket": "under_1b", "label": "Total assets under $1 billion", "banks": 41,
    "quarter": "20240630", "medians": {"roa": 0.98}, "percentiles": {"roa": 73},
}  # fmt: skip


def test_ratios_change_in_points_and_amounts_in_percent() -> None:
    shown = figures_in_context("20240630", SERIES, PEERS)
    assert shown["roa"]["kind"] == "ratio" and shown["roa"]["value"] == 1.25
    assert shown["roa"]["changes"] == {"qoq": 0.2, "yoy": 0.25}
    assert shown["totalAssets"]["kind"] == "amount"
    assert shown["totalAssets"]["changes"] == {"qoq": 5.0, "yoy": 26.0}


def test_the_peer_percentile_comes_with_the_median_and_the_groups_size() -> None:
    shown = figures_in_context("20240630", SERIES, PEERS)
    assert (shown["roa"]["percentile"], shown["roa"]["peerMedian"]) == (73, 0.98)
    assert shown["roa"]["peerBanks"] == 41
    # Not a peer metric: no percentile, rather than a made-up one.
    assert shown["totalAssets"]["percentile"] is None and shown["totalAssets"]["peerBanks"] is None
    # A group of another quarter compares other dates: not shown.
    other = figures_in_context("20240630", SERIES, {**PEERS, "quarter": "20240331"})
    assert other["roa"]["percentile"] is None


def test_a_missing_quarter_is_a_gap_never_bridged() -> None:
    # 2023-03-31 is not in the data: 2023-06-30's change on the quarter is unknown, not the
    # change from 2022-12-31; and a year before 2024-03-31 is that same missing quarter.
    series = [row("20221231", roa=0.5), row("20230630", roa=0.8), row("20240331", roa=1.0)]
    assert figures_in_context("20230630", series, None)["roa"]["changes"] == {
        "qoq": None, "yoy": None,
    }  # fmt: skip
    assert figures_in_context("20240331", series, None)["roa"]["changes"]["yoy"] is None


def test_an_unknown_value_or_a_base_at_or_below_zero_gives_no_change() -> None:
    shown = figures_in_context("20240331", SERIES, None)
    assert shown["netIncome"]["changes"] == {"qoq": None, "yoy": None}  # 2023-12-31 unknown
    assert change("netIncome", 10.0, -5.0) is None  # a loss to a profit: no percentage
    assert change("netIncome", 10.0, 0) is None
    assert change("roa", -0.25, 0.5) == -0.75  # a ratio may cross zero
    assert change("roa", None, 0.5) is None


def test_a_series_without_the_latest_quarter_gives_nothing() -> None:
    assert figures_in_context("20241231", SERIES, PEERS) == {}


def test_each_series_row_carries_its_own_quarters_peer_medians() -> None:
    history = {"20230630": {"roa": 0.91}, "20230930": None, "20240630": {"roa": 0.98}}
    rows = series_with_medians(SERIES, {**PEERS, "history": history})
    assert [r["peerMedians"] for r in rows] == [
        {"roa": 0.91}, None, None, None, {"roa": 0.98},
    ]  # fmt: skip
    assert all({**r, "peerMedians": None} == {**s, "peerMedians": None}
               for r, s in zip(rows, SERIES, strict=True))  # fmt: skip
    assert "history" not in (shown_peers({**PEERS, "history": history}) or {})


def test_a_profile_imported_before_medians_were_kept_per_quarter_knows_the_latest_only() -> None:
    rows = series_with_medians(SERIES, PEERS)
    assert [r["peerMedians"] for r in rows] == [None, None, None, None, {"roa": 0.98}]
    assert [r["peerMedians"] for r in series_with_medians(SERIES, None)] == [None] * 5


def test_the_median_of_a_quarter_is_that_of_the_band_the_bank_was_in_then() -> None:
    """A bank that grew past $1 billion is compared with the larger banks from then on; a
    quarter whose groups are unknown, or of unknown size, has no median."""
    groups = {
        "20240331": {"real": {"under_1b": {"banks": 4, "medians": {"roa": 0.8}},
                              "1b_10b": {"banks": 9, "medians": {"roa": 1.1}}}},
        "20240630": {"real": {"1b_10b": {"banks": 9, "medians": {"roa": 1.2}}},
                     "synthetic": {"1b_10b": {"banks": 3, "medians": {"roa": 9.9}}}},
    }  # fmt: skip
    series = [
        row("20231231", totalAssets=900_000.0),  # no groups recorded for it
        row("20240331", totalAssets=990_000.0),
        row("20240630", totalAssets=1_020_000.0),
        row("20240930", totalAssets=None),
    ]
    assert median_history(series, False, groups) == {
        "20231231": None, "20240331": {"roa": 0.8}, "20240630": {"roa": 1.2}, "20240930": None,
    }  # fmt: skip
    assert median_history(series, True, groups)["20240630"] == {"roa": 9.9}
