"""What a report states, gathered once from the bank's profile (see ``BankCatalog``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from chalicelib.banks import names
from chalicelib.banks.context import series_with_medians
from chalicelib.banks.quarters import year_ago
from chalicelib.banks.records import Profile
from chalicelib.reports.findings import Findings, judge
from chalicelib.reports.gaps import Coverage, Missing
from chalicelib.reports.numbers import growth_words, pct
from chalicelib.reports.rules import CBLR_MINIMUM, RULES, WELL_CAPITALIZED, Rating

RISK_BASED = ("cet1Ratio", "tier1Ratio", "totalCapitalRatio")


@dataclass(frozen=True)
class ReportFacts:
    """One bank's latest quarter, its metric series, its peers, and what is missing."""

    idrssd: str
    name: str
    city: str
    state: str
    quarter: str
    synthetic: bool
    figures: dict[str, Any]
    metrics: dict[str, float | None]
    series: list[dict[str, Any]]
    peer_label: str | None = None
    peer_count: int = 0
    peer_medians: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    legal_name: str = ""  # as filed; ``name`` is what sentences say (see in_prose)
    filing_type: str = ""  # FFIEC 031, 041 or 051

    @classmethod
    def from_profile(cls, profile: Profile) -> ReportFacts:
        """The facts of a bank that has data (``Profile.has_data``)."""
        view, quarter = profile.loaded, profile.latest_quarter
        if view is None or quarter is None:
            raise ValueError(f"bank {profile.idrssd} has no data to report on")
        peers = profile.peers or {}
        return cls(
            idrssd=profile.idrssd,
            name=profile.name,
            city=profile.city,
            state=profile.state,
            quarter=quarter,
            synthetic=profile.synthetic,
            figures=dict(view.figures),
            metrics=dict(view.metrics),
            # With each quarter's peer medians, as the API's profile gives them: the
            # report's charts draw the median quarter by quarter.
            series=series_with_medians(view.series, profile.peers),
            peer_label=peers.get("label"),
            peer_count=int(peers.get("banks") or 0),
            peer_medians=dict(peers.get("medians") or {}),
            notes=list(view.notes),
            legal_name=profile.name,
            filing_type=profile.filing_type,
        )

    def in_prose(self, escape: Callable[[str], str] = str) -> ReportFacts:
        """The facts with the name, city and state as sentences write them ("JPMorgan Chase
        Bank, National Association", "Columbus", "Ohio"), each passed through ``escape``;
        the legal name stays as filed."""
        return replace(
            self,
            name=escape(names.bank_name(self.name)),
            city=escape(names.city_name(self.city)),
            state=escape(names.state_name(self.state)),
            legal_name=self.legal_name or self.name,
        )

    def metric(self, name: str) -> float | None:
        value = self.metrics.get(name)
        return None if value is None else float(value)

    def figure(self, name: str) -> float | None:
        value = self.figures.get(name)
        return None if value is None else float(value)

    def rating(self, name: str) -> Rating:
        return RULES[name].rate(self.metric(name))

    def peer(self, name: str) -> float | None:
        value = self.peer_medians.get(name)
        return None if value is None else float(value)

    def year_ago(self, name: str) -> float | None:
        """The metric of the same quarter a year before the latest, when the data hold it
        (found by its date: a gap in the series must not shift the comparison)."""
        row = self.coverage.rows.get(year_ago(self.quarter))
        value = None if row is None else row.get(name)
        return None if value is None else float(value)

    def change_over_year(self, name: str) -> float | None:
        now, then = self.metric(name), self.year_ago(name)
        return None if now is None or then is None else now - then

    @cached_property
    def coverage(self) -> Coverage:
        """Which quarters the data hold, and whose income could not be derived."""
        return Coverage.of(self.series, self.notes)

    def missing(self, name: str) -> Missing | None:
        """Why the latest quarter's metric or figure ``name`` is blank; None when it is not."""
        if self.metrics.get(name) is not None or self.figures.get(name) is not None:
            return None
        return self.coverage.why(name, self.quarter, self.figures)

    def blanks(self) -> dict[str, str]:
        """Every blank metric and figure of the latest quarter, with why it is blank in the
        words the report uses ("not reported", "not available", "not applicable")."""
        names = [*self.metrics, *self.figures]
        return {name: why.words for name in dict.fromkeys(names) if (why := self.missing(name))}

    def shown(self, name: str, digits: int = 2) -> str:
        """The metric in percent, or why it is blank ("not reported", "not available")."""
        why = self.missing(name)
        return pct(self.metric(name), digits) if why is None else why.words

    def growth(self, name: str) -> str:
        """A growth rate in words ("up 3.8%"), or why it is blank."""
        why = self.missing(name)
        return growth_words(self.metric(name)) if why is None else why.words

    @property
    def no_loans(self) -> bool:
        """The bank reports loans of zero (a trust company, a bank winding down)."""
        return self.figures.get("loans") == 0

    @property
    def no_deposits(self) -> bool:
        return self.figures.get("totalDeposits") == 0

    @property
    def community_leverage(self) -> bool:
        """The bank looks like one that elected the community bank leverage ratio framework:
        an FFIEC 051 filer reporting its leverage ratio and no risk-based ratio."""
        return (
            self.filing_type == "051"
            and self.metric("leverageRatio") is not None
            and all(self.missing(metric) is Missing.NOT_REPORTED for metric in RISK_BASED)
        )

    def capital_minimum(self, metric: str) -> float:
        """The well-capitalized minimum of a capital ratio (the framework's for a community
        bank using the leverage ratio framework)."""
        if metric == "leverageRatio" and self.community_leverage:
            return CBLR_MINIMUM
        return WELL_CAPITALIZED[metric]

    @cached_property
    def findings(self) -> Findings:
        """What the figures say of the bank, judged once for everything written from them."""
        return judge(self)

    @property
    def place(self) -> str:
        """``Columbus, Ohio`` once :meth:`in_prose` has named the state."""
        return ", ".join(part for part in (self.city, self.state) if part)

    @property
    def quarters(self) -> list[str]:
        return [str(row["quarter"]) for row in self.series]
