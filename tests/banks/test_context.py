"""A bank's latest figures in context (changes on the quarter and year, percentile among
peers), from a profile's series and peer group."""

from __future__ import annotations

from typing import Any

from chalicelib.banks.context import change, figures_in_context


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
