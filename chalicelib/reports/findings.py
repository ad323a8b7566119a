"""What the figures say of a bank, judged once from the named thresholds; no prose here.

The report's template writer, the podcast's template writer and both Bedrock prompts turn
the same :class:`Findings` into words, so that a report and the podcast made from it never
disagree on the verdict. Pure functions, no AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.reports import rules
from chalicelib.reports.rules import Rating


class Verdict(StrEnum):
    """The bank's overall condition on the report's rules."""

    STRESSED = "stressed"
    PRESSURED = "pressured"
    WATCH = "watch"
    STRONG = "strong"
    SOUND = "sound"
    MIXED = "mixed"

    @property
    def label(self) -> str:
        """The verdict as it reads after "its condition is"."""
        return VERDICT_LABELS[self]


VERDICT_LABELS = {
    Verdict.STRESSED: "under significant stress: it is losing money",
    Verdict.PRESSURED: "under pressure on several fronts",
    Verdict.WATCH: "adequate but with weaknesses to watch",
    Verdict.STRONG: "strong",
    Verdict.SOUND: "sound",
    Verdict.MIXED: "mixed",
}


class RiskKind(StrEnum):
    MARGIN_COMPRESSION = "margin_compression"
    CREDIT_DETERIORATION = "credit_deterioration"
    RESERVE_SHORTFALL = "reserve_shortfall"
    LOSSES = "losses"
    COST_BASE = "cost_base"
    THIN_CAPITAL = "thin_capital"
    FUNDING = "funding"
    DEPOSIT_OUTFLOWS = "deposit_outflows"
    RAPID_GROWTH = "rapid_growth"
    SECURITIES_HEAVY = "securities_heavy"


@dataclass(frozen=True)
class Finding:
    """A metric on the strong or the weak side of its thresholds."""

    metric: str
    label: str
    value: float
    rating: Rating


@dataclass(frozen=True)
class Risk:
    """A risk the figures point to: the metric behind it, and its move over a year."""

    kind: RiskKind
    metric: str
    value: float | None
    change: float | None = None


@dataclass(frozen=True)
class Findings:
    verdict: Verdict
    strengths: tuple[Finding, ...]
    concerns: tuple[Finding, ...]
    risks: tuple[Risk, ...]

    def as_data(self) -> dict[str, Any]:
        """The findings as JSON-ready data, for a model's prompt."""
        return {
            "verdict": self.verdict.value,
            "condition": self.verdict.label,
            "strengths": [_finding_data(item) for item in self.strengths],
            "concerns": [_finding_data(item) for item in self.concerns],
            "risks": [
                {"kind": risk.kind.value, "metric": risk.metric, "value": risk.value,
                 "changeOverYear": risk.change}
                for risk in self.risks
            ],
        }  # fmt: skip


class Judged(Protocol):
    """What the findings are judged from (``ReportFacts`` is one)."""

    def metric(self, name: str) -> float | None: ...

    def figure(self, name: str) -> float | None: ...

    def change_over_year(self, name: str) -> float | None: ...


def judge(facts: Judged) -> Findings:
    """The verdict, with the strengths and concerns it rests on, and the risks."""
    strengths: list[Finding] = []
    concerns: list[Finding] = []
    for metric in rules.VERDICT_METRICS:
        rule, value = rules.RULES[metric], facts.metric(metric)
        rating = rule.rate(value)
        if value is not None and rating is Rating.STRONG:
            strengths.append(Finding(metric, rule.label, value, rating))
        elif value is not None and rating is Rating.WEAK:
            concerns.append(Finding(metric, rule.label, value, rating))
    verdict = _verdict(facts.metric("roa"), len(strengths), len(concerns))
    return Findings(verdict, tuple(strengths), tuple(concerns), tuple(_risks(facts)))


def _verdict(roa: float | None, strengths: int, concerns: int) -> Verdict:
    if roa is not None and roa < 0:
        return Verdict.STRESSED
    if concerns >= rules.PRESSURE_CONCERNS:
        return Verdict.PRESSURED
    if concerns and not strengths:
        return Verdict.WATCH
    if strengths >= rules.STRONG_STRENGTHS and not concerns:
        return Verdict.STRONG
    return Verdict.SOUND if strengths > concerns else Verdict.MIXED


def _rating(facts: Judged, metric: str) -> Rating:
    return rules.RULES[metric].rate(facts.metric(metric))


def _risks(facts: Judged) -> list[Risk]:
    """In the order the report lists them."""
    risks: list[Risk] = []
    nim, nim_change = facts.metric("nim"), facts.change_over_year("nim")
    if nim_change is not None and nim_change <= -rules.NIM_MOVE:
        risks.append(Risk(RiskKind.MARGIN_COMPRESSION, "nim", nim, nim_change))
    nonaccrual_change = facts.change_over_year("nonaccrualRatio")
    if _rating(facts, "nonaccrualRatio") is Rating.WEAK or (
        nonaccrual_change is not None and nonaccrual_change >= rules.NONACCRUAL_MOVE
    ):
        risks.append(
            Risk(RiskKind.CREDIT_DETERIORATION, "nonaccrualRatio",
                 facts.metric("nonaccrualRatio"), nonaccrual_change)
        )  # fmt: skip
    if _rating(facts, "allowanceCoverage") is Rating.WEAK:
        risks.append(
            Risk(RiskKind.RESERVE_SHORTFALL, "allowanceCoverage", facts.metric("allowanceCoverage"))
        )
    roa = facts.metric("roa")
    if roa is not None and roa < 0:
        risks.append(Risk(RiskKind.LOSSES, "roa", roa))
    elif _rating(facts, "efficiencyRatio") is Rating.WEAK:
        risks.append(Risk(RiskKind.COST_BASE, "efficiencyRatio", facts.metric("efficiencyRatio")))
    for metric in ("leverageRatio", "cet1Ratio"):
        if _rating(facts, metric) is Rating.WEAK:
            risks.append(Risk(RiskKind.THIN_CAPITAL, metric, facts.metric(metric)))
    return risks + _balance_sheet_risks(facts)


def _balance_sheet_risks(facts: Judged) -> list[Risk]:
    risks: list[Risk] = []
    ltd = facts.metric("loanToDeposit")
    if ltd is not None and ltd > rules.LOAN_TO_DEPOSIT_HIGH:
        risks.append(Risk(RiskKind.FUNDING, "loanToDeposit", ltd))
    deposits = facts.metric("depositGrowthYoY")
    if deposits is not None and deposits < rules.SHRINKING:
        risks.append(Risk(RiskKind.DEPOSIT_OUTFLOWS, "depositGrowthYoY", deposits))
    assets = facts.metric("assetGrowthYoY")
    if assets is not None and assets > rules.RAPID_GROWTH:
        risks.append(Risk(RiskKind.RAPID_GROWTH, "assetGrowthYoY", assets))
    securities = securities_share(facts)
    if securities is not None and securities > rules.SECURITIES_HEAVY:
        risks.append(Risk(RiskKind.SECURITIES_HEAVY, "securitiesToAssets", securities))
    return risks


def securities_share(facts: Judged) -> float | None:
    """Securities held to maturity and available for sale, in percent of total assets."""
    assets = facts.figure("totalAssets")
    held = [facts.figure("securitiesHTM"), facts.figure("securitiesAFS")]
    if not assets or assets <= 0 or all(value is None for value in held):
        return None
    return round(100 * sum(value for value in held if value is not None) / assets, 2)


def _finding_data(finding: Finding) -> dict[str, Any]:
    return {"metric": finding.metric, "label": finding.label, "value": finding.value}
