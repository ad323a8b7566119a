"""Bank performance ratios from one quarter's Call Report figures. Pure functions, no AWS.

Conventions, for every function here:

* Inputs are figures in thousands of dollars as stored by the importer: balances at
  quarter end, income items for the quarter alone (not year-to-date).
* Ratios are returned in **percent** (1.25 means 1.25 %), as floats, or None when an input
  is missing or a denominator is zero or negative — never a made-up number.
* Flows are annualised as quarterly flow x 4 and set against the average balance of the
  quarter: the RC-K quarterly average when the bank reports it, else the mean of this and
  the previous quarter-end balance, else (first quarter of a series) this quarter-end.
* Capital ratios are the RC-R Part I ratios as reported (already in percent).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.banks import quarters as quarter_ends

Number = int | float | Decimal
Figures = Mapping[str, Any]

# Balance-sheet lines that earn interest (RC items 1.b, 2.a, 2.b, 3.a, 3.b, 4.a, 4.b, 5).
EARNING_ASSET_FIELDS: tuple[str, ...] = (
    "interestBearingBalances",
    "securitiesHTM",
    "securitiesAFS",
    "fedFundsSold",
    "reverseRepos",
    "loansHeldForSale",
    "loans",
    "tradingAssets",
)


def _num(value: Any) -> float | None:
    kind = type(value)
    if kind is int or kind is float:  # nearly every figure: the fast path
        return float(value)
    if value is None or kind is bool:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


def _ratio(numerator: Any, denominator: Any, scale: float = 100.0) -> float | None:
    top, bottom = _num(numerator), _num(denominator)
    if top is None or bottom is None or bottom <= 0:
        return None
    return round(top / bottom * scale, 4)


def average(current: Any, previous: Any) -> float | None:
    """Mean of two balances; the current one alone when the previous is unknown."""
    now, before = _num(current), _num(previous)
    if now is None:
        return None
    return now if before is None else (now + before) / 2


def annualised(quarterly_flow: Any) -> float | None:
    """A quarter's flow x 4."""
    flow = _num(quarterly_flow)
    return None if flow is None else flow * 4


def roa(net_income: Any, average_assets: Any) -> float | None:
    """Return on assets: annualised quarterly net income (RIAD4340) / average total assets."""
    return _ratio(annualised(net_income), average_assets)


def roe(net_income: Any, average_equity: Any) -> float | None:
    """Return on equity: annualised quarterly net income / average total bank equity (3210)."""
    return _ratio(annualised(net_income), average_equity)


def nim(net_interest_income: Any, average_earning_assets: Any) -> float | None:
    """Net interest margin: annualised net interest income (RIAD4074) / average earning assets.

    Earning assets are the sum of :data:`EARNING_ASSET_FIELDS`; when none of them is
    reported, :func:`quarter_metrics` passes average total assets instead (a slightly lower
    margin, since it includes non-earning assets).
    """
    return _ratio(annualised(net_interest_income), average_earning_assets)


def efficiency_ratio(
    noninterest_expense: Any, net_interest_income: Any, noninterest_income: Any
) -> float | None:
    """Noninterest expense (4093) / (net interest income (4074) + noninterest income (4079)).

    Lower is better; no annualising, all three are the same quarter's flows.
    """
    nii, other = _num(net_interest_income), _num(noninterest_income)
    if nii is None or other is None:
        return None
    return _ratio(noninterest_expense, nii + other)


def loan_to_deposit(loans: Any, deposits: Any) -> float | None:
    """Loans held for investment (B528) / total deposits (RCON2200 + RCFN2200)."""
    return _ratio(loans, deposits)


def nonaccrual_ratio(nonaccrual_loans: Any, loans: Any) -> float | None:
    """Nonaccrual loans (RC-N 1403) / loans held for investment."""
    return _ratio(nonaccrual_loans, loans)


def nonperforming_ratio(nonaccrual_loans: Any, past_due_90: Any, loans: Any) -> float | None:
    """(Nonaccrual (1403) + 90 days past due and still accruing (1407)) / loans."""
    nonaccrual, past_due = _num(nonaccrual_loans), _num(past_due_90)
    if nonaccrual is None or past_due is None:
        return None
    return _ratio(nonaccrual + past_due, loans)


def net_charge_off_ratio(charge_offs: Any, recoveries: Any, average_loans: Any) -> float | None:
    """Annualised (charge-offs (RIAD4635) - recoveries (RIAD4605)) / average loans."""
    off, back = _num(charge_offs), _num(recoveries)
    if off is None or back is None:
        return None
    return _ratio((off - back) * 4, average_loans)


def allowance_coverage(allowance: Any, nonaccrual_loans: Any) -> float | None:
    """Allowance for credit losses (3123) / nonaccrual loans (1403): reserves per bad loan."""
    return _ratio(allowance, nonaccrual_loans)


def allowance_to_loans(allowance: Any, loans: Any) -> float | None:
    """Allowance for credit losses (3123) / loans held for investment."""
    return _ratio(allowance, loans)


def equity_to_assets(equity: Any, assets: Any) -> float | None:
    """Total bank equity capital (3210) / total assets (2170), period end."""
    return _ratio(equity, assets)


def growth(current: Any, previous: Any) -> float | None:
    """Percentage change from ``previous`` to ``current`` (QoQ or YoY by what is passed)."""
    now, before = _num(current), _num(previous)
    if now is None or before is None or before <= 0:
        return None
    return round((now / before - 1) * 100, 4)


def reported(value: Any) -> float | None:
    """A ratio as the bank reported it (RC-R percent), as a float."""
    number = _num(value)
    return None if number is None else round(number, 4)


def total_deposits(figures: Figures) -> Any:
    """Stored total deposits, or domestic + foreign when only the parts are present."""
    if figures.get("totalDeposits") is not None:
        return figures["totalDeposits"]
    domestic, foreign = _num(figures.get("domesticDeposits")), _num(figures.get("foreignDeposits"))
    if domestic is None and foreign is None:
        return None
    return (domestic or 0) + (foreign or 0)


def earning_assets(figures: Figures) -> float | None:
    """Sum of the earning-asset lines reported; None when none of them is."""
    parts = [_num(figures.get(name)) for name in EARNING_ASSET_FIELDS]
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def quarter_metrics(
    current: Figures, previous: Figures | None = None, year_ago: Figures | None = None
) -> dict[str, float | None]:
    """Every metric for one quarter, given that quarter's figures and, when known, the
    previous quarter's (for averages and QoQ growth) and the same quarter a year earlier
    (for YoY growth)."""
    before: Figures = previous or {}
    last_year: Figures = year_ago or {}
    average_assets = _num(current.get("averageAssets")) or average(
        current.get("totalAssets"), before.get("totalAssets")
    )
    average_loans = _num(current.get("averageLoans")) or average(
        current.get("loans"), before.get("loans")
    )
    average_equity = average(current.get("totalEquity"), before.get("totalEquity"))
    average_earning = average(earning_assets(current), earning_assets(before))
    deposits = total_deposits(current)
    return {
        "roa": roa(current.get("netIncome"), average_assets),
        "roe": roe(current.get("netIncome"), average_equity),
        "nim": nim(
            current.get("netInterestIncome"),
            average_earning if average_earning is not None else average_assets,
        ),
        "efficiencyRatio": efficiency_ratio(
            current.get("noninterestExpense"),
            current.get("netInterestIncome"),
            current.get("noninterestIncome"),
        ),
        "loanToDeposit": loan_to_deposit(current.get("loans"), deposits),
        "nonaccrualRatio": nonaccrual_ratio(current.get("nonaccrualLoans"), current.get("loans")),
        "nonperformingRatio": nonperforming_ratio(
            current.get("nonaccrualLoans"), current.get("pastDue90Plus"), current.get("loans")
        ),
        "netChargeOffRatio": net_charge_off_ratio(
            current.get("chargeOffs"), current.get("recoveries"), average_loans
        ),
        "allowanceCoverage": allowance_coverage(
            current.get("allowance"), current.get("nonaccrualLoans")
        ),
        "allowanceToLoans": allowance_to_loans(current.get("allowance"), current.get("loans")),
        "equityToAssets": equity_to_assets(current.get("totalEquity"), current.get("totalAssets")),
        "leverageRatio": reported(current.get("leverageRatio")),
        "cet1Ratio": reported(current.get("cet1Ratio")),
        "tier1Ratio": reported(current.get("tier1Ratio")),
        "totalCapitalRatio": reported(current.get("totalCapitalRatio")),
        "assetGrowthQoQ": growth(current.get("totalAssets"), before.get("totalAssets")),
        "assetGrowthYoY": growth(current.get("totalAssets"), last_year.get("totalAssets")),
        "loanGrowthQoQ": growth(current.get("loans"), before.get("loans")),
        "loanGrowthYoY": growth(current.get("loans"), last_year.get("loans")),
        "depositGrowthQoQ": growth(deposits, total_deposits(before) if before else None),
        "depositGrowthYoY": growth(deposits, total_deposits(last_year) if last_year else None),
    }


METRIC_NAMES: tuple[str, ...] = tuple(quarter_metrics({}).keys())

# Metrics compared with peers (growth rates are too noisy in one quarter to be useful).
PEER_METRICS: tuple[str, ...] = (
    "roa", "roe", "nim", "efficiencyRatio", "loanToDeposit", "nonaccrualRatio",
    "netChargeOffRatio", "allowanceCoverage", "leverageRatio", "cet1Ratio", "tier1Ratio",
    "totalCapitalRatio", "equityToAssets", "assetGrowthYoY",
)  # fmt: skip


# The version of the rows metric_series makes: raise it when a formula changes, so that rows
# an import stored for reuse (a bank's RECENT item) are computed again, never served stale.
ROWS_VERSION = 1


def series_row(quarter: str, quarters: Mapping[str, Figures]) -> dict[str, Any]:
    """One quarter's row of a series: its metrics and the figures charts draw."""
    figures = quarters[quarter]
    row: dict[str, Any] = {"quarter": quarter}
    row.update(
        quarter_metrics(
            figures,
            quarters.get(quarter_ends.previous(quarter)),
            quarters.get(quarter_ends.year_ago(quarter)),
        )
    )
    row["totalAssets"] = _num(figures.get("totalAssets"))
    row["loans"] = _num(figures.get("loans"))
    row["deposits"] = _num(total_deposits(figures))
    row["netIncome"] = _num(figures.get("netIncome"))
    return row


def metric_series(
    quarters: Mapping[str, Figures], last: int = 8, known: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per-quarter metrics for charts, oldest first, for the ``last`` quarters.

    ``quarters`` maps yyyymmdd to that quarter's figures; earlier quarters in it serve as
    the previous / year-ago context of the ones shown. A gap in the quarters gives None
    for the metrics that need the missing one, not a value computed across the gap.
    ``known`` holds rows computed before whose inputs have not changed: they are reused.
    """
    rows = known or {}
    return [
        dict(rows[quarter]) if quarter in rows else series_row(quarter, quarters)
        for quarter in sorted(quarters)[-last:]
    ]


@dataclass(frozen=True)
class SizeBucket:
    """A peer group by total assets: ``low`` ≤ assets < ``high`` (thousands of dollars)."""

    name: str
    label: str
    low: int
    high: int | None


SIZE_UNDER_1B = SizeBucket("under_1b", "Total assets under $1 billion", 0, 1_000_000)
SIZE_1B_10B = SizeBucket("1b_10b", "Total assets $1-10 billion", 1_000_000, 10_000_000)
SIZE_10B_100B = SizeBucket("10b_100b", "Total assets $10-100 billion", 10_000_000, 100_000_000)
SIZE_100B_700B = SizeBucket("100b_700b", "Total assets $100-700 billion", 100_000_000, 700_000_000)
SIZE_OVER_700B = SizeBucket("over_700b", "Total assets $700 billion and more", 700_000_000, None)
SIZE_BUCKETS: tuple[SizeBucket, ...] = (
    SIZE_UNDER_1B,
    SIZE_1B_10B,
    SIZE_10B_100B,
    SIZE_100B_700B,
    SIZE_OVER_700B,
)


def size_bucket(total_assets: Any) -> SizeBucket | None:
    """The peer group of a bank with these total assets (thousands), None if unknown."""
    assets = _num(total_assets)
    if assets is None or assets < 0:
        return None
    for bucket in SIZE_BUCKETS:
        if assets >= bucket.low and (bucket.high is None or assets < bucket.high):
            return bucket
    return None  # pragma: no cover - the last bucket is open-ended


def peer_medians(
    peers: Iterable[Mapping[str, Any]], names: Sequence[str] = PEER_METRICS
) -> dict[str, float | None]:
    """Median of each metric over the peers that report it (None when none does)."""
    columns: dict[str, list[float]] = {name: [] for name in names}
    for metrics in peers:
        for name in names:
            value = _num(metrics.get(name))
            if value is not None:
                columns[name].append(value)
    return {
        name: round(statistics.median(values), 4) if values else None
        for name, values in columns.items()
    }
