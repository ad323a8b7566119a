"""What a report states, gathered once from the bank's profile (see ``BankCatalog``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chalicelib.reports.findings import Findings, judge
from chalicelib.reports.rules import RULES, Rating


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

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> ReportFacts:
        peers = profile.get("peers") or {}
        return cls(
            idrssd=str(profile["idrssd"]),
            name=str(profile["name"]),
            city=str(profile.get("city") or ""),
            state=str(profile.get("state") or ""),
            quarter=str(profile["latestQuarter"]),
            synthetic=bool(profile.get("synthetic")),
            figures=dict(profile.get("figures") or {}),
            metrics=dict(profile.get("metrics") or {}),
            series=list(profile.get("series") or []),
            peer_label=peers.get("label"),
            peer_count=int(peers.get("banks") or 0),
            peer_medians=dict(peers.get("medians") or {}),
            notes=list(profile.get("notes") or []),
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
        """The metric four quarters before the latest one, when the series holds it."""
        if len(self.series) < 5:
            return None
        value = self.series[-5].get(name)
        return None if value is None else float(value)

    def change_over_year(self, name: str) -> float | None:
        now, then = self.metric(name), self.year_ago(name)
        return None if now is None or then is None else now - then

    @cached_property
    def findings(self) -> Findings:
        """What the figures say of the bank, judged once for everything written from them."""
        return judge(self)

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state) if part)

    @property
    def quarters(self) -> list[str]:
        return [str(row["quarter"]) for row in self.series]
