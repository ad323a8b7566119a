"""The report's sections, in order, and the writer interface that fills them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.reports.facts import ReportFacts


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    brief: str  # what the section covers, for a model's prompt


SECTIONS: tuple[Section, ...] = (
    Section(
        "executive_summary",
        "Executive summary",
        "the bank in brief, its overall condition and the three or four points that matter",
    ),
    Section(
        "balance_sheet",
        "Balance sheet and growth",
        "size, composition of assets and funding, and growth over the quarter and the year",
    ),
    Section(
        "profitability",
        "Profitability",
        "earnings, return on assets and equity, net interest margin and efficiency",
    ),
    Section(
        "asset_quality",
        "Asset quality",
        "nonaccrual and past-due loans, net charge-offs, provisions and reserve coverage",
    ),
    Section(
        "capital_liquidity",
        "Capital and liquidity",
        "regulatory capital ratios against well-capitalized minimums, loan-to-deposit ratio",
    ),
    Section(
        "peer_comparison",
        "Peer comparison",
        "the bank against the median of banks of similar size",
    ),
    Section(
        "risks_outlook",
        "Risks and outlook",
        "the risks the figures point to, what to watch next, and the outlook",
    ),
)


class ReportWriter(Protocol):
    """Writes one section of the report as markdown, from the facts alone."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    def write(self, section: Section, facts: ReportFacts) -> str: ...
