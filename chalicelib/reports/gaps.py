"""Why a figure is missing, decided from the bank's metric series. Pure functions, no AWS.

A report must say what is true of a blank: the bank filed the quarter but left the item out
(*not reported*: a community bank using the leverage-ratio framework reports no risk-based
ratios), the quarter the figure needs is not in the data (*not available*: before the data
starts, or a gap), the quarter's income cannot be derived (*not available* too: call
reports give income year to date, so a quarter's own income needs the quarter before it,
and the quarter after a gap has none), or the ratio has nothing to divide by (*not
applicable*: a bank with no loans has no nonaccrual ratio).

A quarter absent from the series was not loaded; the importer's notes name the quarters
whose income could not be derived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.banks.quarters import QUARTER_ENDS, previous, year_ago

# Metrics computed from the quarter's income (which the quarter before it must give).
INCOME_METRICS = frozenset({"roa", "roe", "nim", "efficiencyRatio", "netChargeOffRatio"})
INCOME_FIGURES = frozenset({
    "interestIncome", "interestExpense", "netInterestIncome", "provision", "noninterestIncome",
    "noninterestExpense", "preTaxIncome", "incomeTaxes", "netIncome", "chargeOffs", "recoveries",
})  # fmt: skip
# Growth rates: the figure they grow from, a year or a quarter before.
YEAR_ON_YEAR = {"assetGrowthYoY": "totalAssets", "loanGrowthYoY": "loans",
                "depositGrowthYoY": "deposits"}  # fmt: skip
QUARTER_ON_QUARTER = {"assetGrowthQoQ": "totalAssets", "loanGrowthQoQ": "loans",
                      "depositGrowthQoQ": "deposits"}  # fmt: skip
# Ratios and the figure they divide by: zero there leaves the ratio undefined.
BASES = {
    "nonaccrualRatio": "loans", "nonperformingRatio": "loans", "allowanceToLoans": "loans",
    "netChargeOffRatio": "loans", "loanToDeposit": "totalDeposits",
    "allowanceCoverage": "nonaccrualLoans", "equityToAssets": "totalAssets",
    "roe": "totalEquity",
}  # fmt: skip


class Missing(StrEnum):
    """Why a figure is blank."""

    NOT_REPORTED = "not_reported"  # the bank filed the quarter and left the item out
    NOT_LOADED = "not_loaded"  # a quarter the figure needs is not in the data
    NOT_DERIVED = "not_derived"  # the quarter's income: the quarter before it is missing
    NO_BASE = "no_base"  # a ratio to zero (no loans, no deposits, no problem loans)

    @property
    def words(self) -> str:
        """How the blank reads in a sentence or a table."""
        return _WORDS[self]


_WORDS = {
    Missing.NOT_REPORTED: "not reported",
    Missing.NOT_LOADED: "not available",
    Missing.NOT_DERIVED: "not available",
    Missing.NO_BASE: "not applicable",
}


@dataclass(frozen=True)
class Coverage:
    """Which quarters the data holds for a bank, and whose income it could not derive."""

    rows: Mapping[str, Mapping[str, Any]]  # quarter → its series row
    underived: frozenset[str]

    @classmethod
    def of(cls, series: Sequence[Mapping[str, Any]], notes: Sequence[str] = ()) -> Coverage:
        rows = {str(row["quarter"]): row for row in series}
        underived = frozenset(
            quarter
            for quarter, row in rows.items()
            if row.get("netIncome") is None
            and quarter[4:] != QUARTER_ENDS[0]  # a first quarter's income is its year to date
            and (previous(quarter) not in rows or noted(quarter, notes))
        )
        return cls(rows, underived)

    def loaded(self, quarter: str) -> bool:
        return quarter in self.rows

    def gaps(self) -> list[str]:
        """Quarter-ends missing between the first and the last quarter held."""
        if not self.rows:
            return []
        first, last = min(self.rows), max(self.rows)
        missing: list[str] = []
        quarter = previous(last)
        while quarter > first:
            if quarter not in self.rows:
                missing.append(quarter)
            quarter = previous(quarter)
        return sorted(missing)

    def why(self, metric: str, quarter: str, figures: Mapping[str, Any]) -> Missing:
        """Why ``metric`` (or a figure) of ``quarter`` is blank; ``figures`` are that
        quarter's figures (the profile's latest, or its series row)."""
        if (metric in INCOME_METRICS or metric in INCOME_FIGURES) and quarter in self.underived:
            return Missing.NOT_DERIVED
        for rates, before in ((YEAR_ON_YEAR, year_ago(quarter)), (QUARTER_ON_QUARTER,
                                                                  previous(quarter))):  # fmt: skip
            if metric in rates:
                row = self.rows.get(before)
                if row is None:
                    return Missing.NOT_LOADED
                if _zero(row.get(rates[metric])) or _zero(_figure(figures, rates[metric])):
                    return Missing.NO_BASE
                return Missing.NOT_REPORTED
        base = BASES.get(metric)
        if base is not None and _zero(_figure(figures, base)):
            return Missing.NO_BASE
        if metric == "efficiencyRatio" and _no_revenue(figures):
            return Missing.NO_BASE
        return Missing.NOT_REPORTED


def _figure(figures: Mapping[str, Any], name: str) -> Any:
    if name == "deposits":  # a series row's name for total deposits
        return figures.get("deposits", figures.get("totalDeposits"))
    return figures.get(name)


def _no_revenue(figures: Mapping[str, Any]) -> bool:
    """Net interest plus noninterest income at or below zero: no efficiency ratio."""
    interest, other = figures.get("netInterestIncome"), figures.get("noninterestIncome")
    return interest is not None and other is not None and float(interest) + float(other) <= 0


def _zero(value: Any) -> bool:
    return value is not None and not isinstance(value, bool) and float(value) == 0.0


def noted(quarter: str, notes: Sequence[str]) -> bool:
    """Whether a note says the quarter's income was not derived (notes name quarters as
    ``2023-06-30``)."""
    label = f"{quarter[:4]}-{quarter[4:6]}-{quarter[6:]}"
    return any(label in note and "not derived" in note for note in notes)
