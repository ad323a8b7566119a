"""The report's own rules: the thresholds behind every "strong" and "weak" it writes.

Each metric is judged against two named thresholds; where a regulatory line exists (the
prompt-corrective-action "well capitalized" minimums) it is named as such. These are the
report's rules of thumb for U.S. commercial banks, not supervisory findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rating(StrEnum):
    STRONG = "strong"
    ADEQUATE = "adequate"
    WEAK = "weak"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rule:
    """``strong`` and ``weak`` bounds for one metric (percent); ``higher_is_better`` sets
    which side is which."""

    metric: str
    label: str
    strong: float
    weak: float
    higher_is_better: bool = True

    def rate(self, value: float | None) -> Rating:
        if value is None:
            return Rating.UNKNOWN
        if self.higher_is_better:
            if value >= self.strong:
                return Rating.STRONG
            return Rating.WEAK if value < self.weak else Rating.ADEQUATE
        if value <= self.strong:
            return Rating.STRONG
        return Rating.WEAK if value > self.weak else Rating.ADEQUATE

    def better(self, value: float, other: float) -> bool:
        return value > other if self.higher_is_better else value < other


# Profitability: an annualised ROA of 1% is the classic mark of a well-run bank.
ROA = Rule("roa", "return on assets", strong=1.10, weak=0.50)
ROE = Rule("roe", "return on equity", strong=12.0, weak=6.0)
NIM = Rule("nim", "net interest margin", strong=3.50, weak=2.50)
EFFICIENCY = Rule("efficiencyRatio", "efficiency ratio", 55.0, 70.0, higher_is_better=False)

# Asset quality: shares of loans (nonaccrual, net charge-offs) and reserve cover.
NONACCRUAL = Rule("nonaccrualRatio", "nonaccrual loans", 0.50, 2.00, higher_is_better=False)
NET_CHARGE_OFFS = Rule("netChargeOffRatio", "net charge-offs", 0.25, 1.00, higher_is_better=False)
ALLOWANCE_COVERAGE = Rule("allowanceCoverage", "allowance coverage", strong=150.0, weak=80.0)

# Capital: "weak" sits a little above the PCA well-capitalized minimums below, where a
# bank has little room left.
LEVERAGE = Rule("leverageRatio", "tier 1 leverage ratio", strong=9.0, weak=6.0)
CET1 = Rule("cet1Ratio", "common equity tier 1 ratio", strong=12.0, weak=8.0)
TOTAL_CAPITAL = Rule("totalCapitalRatio", "total risk-based capital ratio", 14.0, 11.0)

# Prompt corrective action "well capitalized" minimums (12 CFR 324.403).
WELL_CAPITALIZED = {
    "leverageRatio": 5.0,
    "cet1Ratio": 6.5,
    "tier1Ratio": 8.0,
    "totalCapitalRatio": 10.0,
}

# A community bank that elects the community bank leverage ratio framework (FFIEC 051
# filers may) reports no risk-based ratios and counts as well capitalized while its
# leverage ratio stays above this (12 CFR 324.12).
CBLR_MINIMUM = 9.0

# Liquidity: loans funded by deposits. Above 100% the bank leans on other funding; below
# 60% deposits sit largely in securities and cash.
LOAN_TO_DEPOSIT_HIGH = 100.0
LOAN_TO_DEPOSIT_LOW = 60.0

# Securities above this share of total assets: their market value falls as rates rise, and
# a bank that must sell them to meet withdrawals turns paper losses into real ones.
SECURITIES_HEAVY = 50.0

# Growth, year on year.
RAPID_GROWTH = 15.0
SHRINKING = -3.0
COLLAPSE = -50.0  # a bank winding down or selling its business

# Net charge-offs below this (annualised, % of loans) are too small for provisions set
# against them to say anything about reserves.
MATERIAL_CHARGE_OFFS = 0.10

# A trend counts only beyond these moves over a year (percentage points).
NIM_MOVE = 0.10
ROA_MOVE = 0.10
NONACCRUAL_MOVE = 0.25

RULES: dict[str, Rule] = {
    rule.metric: rule
    for rule in (
        ROA, ROE, NIM, EFFICIENCY, NONACCRUAL, NET_CHARGE_OFFS, ALLOWANCE_COVERAGE,
        LEVERAGE, CET1, TOTAL_CAPITAL,
    )
}  # fmt: skip

# The overall verdict (chalicelib.reports.findings) weighs one metric per concern:
# earnings (ROA), margin, costs, problem loans, losses, leverage and risk-based capital.
# ROE, reserve coverage and the other capital ratios move with these and would count the
# same strength twice.
VERDICT_METRICS: tuple[str, ...] = (
    "roa", "nim", "efficiencyRatio", "nonaccrualRatio", "netChargeOffRatio", "leverageRatio",
    "cet1Ratio",
)  # fmt: skip
# "Strong" takes this many strengths and no concern; this many concerns mean "pressure on
# several fronts".
STRONG_STRENGTHS = 4
PRESSURE_CONCERNS = 3
