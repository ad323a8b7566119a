"""Every metric against figures worked out by hand (thousands of dollars, percent out)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest import metrics

PREVIOUS = {
    "totalAssets": 900, "totalEquity": 90, "loans": 500, "totalDeposits": 700,
    "interestBearingBalances": 50, "securitiesAFS": 150, "securitiesHTM": 0,
}  # fmt: skip
CURRENT = {
    "totalAssets": 1100, "totalEquity": 110, "loans": 700, "totalDeposits": 800,
    "interestBearingBalances": 50, "securitiesAFS": 250, "securitiesHTM": 0,
    "netIncome": 5, "netInterestIncome": 12, "noninterestIncome": 4, "noninterestExpense": 10,
    "nonaccrualLoans": 14, "pastDue90Plus": 7, "allowance": 21, "chargeOffs": 3,
    "recoveries": 1, "leverageRatio": Decimal("9.1154"), "cet1Ratio": Decimal("12.5"),
    "tier1Ratio": Decimal("12.5"), "totalCapitalRatio": Decimal("13.75"),
}  # fmt: skip
YEAR_AGO = {"totalAssets": 800, "loans": 560, "totalDeposits": 640}


def test_single_functions_by_hand() -> None:
    # 5 a quarter x 4 = 20 a year over average assets (1100 + 900) / 2 = 1000 -> 2 %
    assert metrics.roa(5, 1000) == 2.0
    # 20 over average equity 100 -> 20 %
    assert metrics.roe(5, 100) == 20.0
    # 12 x 4 = 48 over earning assets 960 -> 5 %
    assert metrics.nim(12, 960) == 5.0
    # 10 / (12 + 4) = 62.5 %
    assert metrics.efficiency_ratio(10, 12, 4) == 62.5
    assert metrics.loan_to_deposit(700, 800) == 87.5
    assert metrics.nonaccrual_ratio(14, 700) == 2.0
    assert metrics.nonperforming_ratio(14, 7, 700) == 3.0
    # (3 - 1) x 4 = 8 over average loans 600 -> 1.3333 %
    assert metrics.net_charge_off_ratio(3, 1, 600) == 1.3333
    assert metrics.allowance_coverage(21, 14) == 150.0
    assert metrics.allowance_to_loans(21, 700) == 3.0
    assert metrics.equity_to_assets(110, 1100) == 10.0
    assert metrics.growth(1100, 1000) == 10.0
    assert metrics.growth(900, 1000) == -10.0
    assert metrics.reported(Decimal("9.1154")) == 9.1154


@pytest.mark.parametrize(
    "value",
    [
        metrics.roa(5, 0),
        metrics.roa(None, 1000),
        metrics.roe(5, -3),
        metrics.efficiency_ratio(10, 0, 0),
        metrics.efficiency_ratio(10, None, 4),
        metrics.loan_to_deposit(700, None),
        metrics.allowance_coverage(21, 0),
        metrics.net_charge_off_ratio(3, None, 600),
        metrics.growth(5, 0),
        metrics.growth(None, 5),
        metrics.reported(None),
    ],
)
def test_missing_or_zero_denominators_give_none(value: float | None) -> None:
    assert value is None


def test_quarter_metrics_uses_averages_and_context() -> None:
    result = metrics.quarter_metrics(CURRENT, PREVIOUS, YEAR_AGO)
    assert result["roa"] == 2.0  # 20 / 1000
    assert result["roe"] == 20.0  # 20 / 100
    # earning assets: now 50 + 250 + 700 = 1000, before 50 + 150 + 500 = 700 -> avg 850
    assert result["nim"] == round(48 / 850 * 100, 4)
    assert result["efficiencyRatio"] == 62.5
    assert result["loanToDeposit"] == 87.5
    assert result["nonaccrualRatio"] == 2.0
    assert result["nonperformingRatio"] == 3.0
    assert result["netChargeOffRatio"] == 1.3333  # 8 / avg loans 600
    assert result["allowanceCoverage"] == 150.0
    assert result["leverageRatio"] == 9.1154
    assert result["totalCapitalRatio"] == 13.75
    assert result["assetGrowthQoQ"] == round((1100 / 900 - 1) * 100, 4)
    assert result["assetGrowthYoY"] == 37.5  # 1100 / 800
    assert result["loanGrowthYoY"] == 25.0  # 700 / 560
    assert result["depositGrowthYoY"] == 25.0  # 800 / 640
    assert result["depositGrowthQoQ"] == round((800 / 700 - 1) * 100, 4)


def test_rck_average_wins_and_first_quarter_uses_period_end() -> None:
    with_average = dict(CURRENT, averageAssets=1250)
    assert metrics.quarter_metrics(with_average)["roa"] == 1.6  # 20 / 1250
    alone = metrics.quarter_metrics(CURRENT)  # no previous: period-end balances
    assert alone["roa"] == round(20 / 1100 * 100, 4)
    assert alone["assetGrowthQoQ"] is None and alone["assetGrowthYoY"] is None


def test_nim_falls_back_to_total_assets_without_earning_assets() -> None:
    figures = {"totalAssets": 1000, "netInterestIncome": 10}
    assert metrics.quarter_metrics(figures)["nim"] == 4.0  # 40 / 1000


def test_deposits_from_parts_when_total_missing() -> None:
    assert metrics.total_deposits({"domesticDeposits": 300, "foreignDeposits": 50}) == 350
    assert metrics.total_deposits({}) is None


def test_series_skips_gaps_and_orders_oldest_first() -> None:
    quarters = {
        "20240331": {"totalAssets": 100, "netIncome": 1},
        "20240630": {"totalAssets": 110, "netIncome": 1},
        "20241231": {"totalAssets": 121, "netIncome": 1},  # 20240930 missing
    }
    series = metrics.metric_series(quarters)
    assert [row["quarter"] for row in series] == ["20240331", "20240630", "20241231"]
    assert series[1]["assetGrowthQoQ"] == 10.0
    assert series[2]["assetGrowthQoQ"] is None  # not computed across the gap
    assert metrics.metric_series(quarters, last=1)[0]["quarter"] == "20241231"


def test_size_buckets_and_peer_medians() -> None:
    assert metrics.size_bucket(999_999) is metrics.SIZE_UNDER_1B
    assert metrics.size_bucket(1_000_000) is metrics.SIZE_1B_10B
    assert metrics.size_bucket(3_000_000_000) is metrics.SIZE_OVER_700B
    assert metrics.size_bucket(None) is None
    medians = metrics.peer_medians(
        [{"roa": 1.0, "roe": 8.0}, {"roa": 3.0, "roe": None}, {"roa": 2.0}], ("roa", "roe", "nim")
    )
    assert medians == {"roa": 2.0, "roe": 8.0, "nim": None}
