"""Findings: one judgement of a bank, which the report, the podcast and the prompts share."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chalicelib.banks.names import short_name
from chalicelib.banks.table import BanksTable
from chalicelib.experts import PANEL
from chalicelib.podcasts import bedrock_writer as podcast_prompts
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.template_writer import TemplateScriptWriter
from chalicelib.reports import bedrock_writer as report_prompts
from chalicelib.reports import rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.findings import RiskKind, Verdict, judge
from chalicelib.reports.sections import SECTIONS
from chalicelib.reports.template_writer import TemplateWriter
from tests.podcasts.test_template_script import report_from
from tests.reports.conftest import facts_of

SAMPLE_BANKS = [str(idrssd) for idrssd in range(9_900_001, 9_900_026)]
STRONG_VALUES = {"roa": 1.5, "nim": 4.0, "efficiencyRatio": 50.0, "nonaccrualRatio": 0.2,
                 "netChargeOffRatio": 0.1, "leverageRatio": 10.0, "cet1Ratio": 14.0}  # fmt: skip
WEAK_VALUES = {"roa": 0.3, "nim": 2.0, "efficiencyRatio": 80.0, "nonaccrualRatio": 3.0,
               "netChargeOffRatio": 1.5, "leverageRatio": 5.5, "cet1Ratio": 7.0}  # fmt: skip
ADEQUATE_VALUES = {"roa": 0.8, "nim": 3.0, "efficiencyRatio": 60.0, "nonaccrualRatio": 1.0,
                   "netChargeOffRatio": 0.5, "leverageRatio": 7.0, "cet1Ratio": 10.0}  # fmt: skip


def facts_with(
    metrics: Mapping[str, float | None], series: Sequence[Mapping[str, Any]] | None = None
) -> ReportFacts:
    rows = [dict(row) for row in series or []]
    return ReportFacts("1", "A Bank", "Town", "KS", "20241231", False, {}, dict(metrics), rows)


def mixture(strong: list[str], weak: list[str]) -> dict[str, float | None]:
    return {
        name: STRONG_VALUES[name] if name in strong else WEAK_VALUES[name] if name in weak
        else ADEQUATE_VALUES[name]
        for name in rules.VERDICT_METRICS
    }  # fmt: skip


@pytest.mark.parametrize(
    ("strong", "weak", "verdict"),
    [
        (["roa", "nim", "efficiencyRatio", "cet1Ratio"], [], Verdict.STRONG),
        (["roa", "nim", "efficiencyRatio"], [], Verdict.SOUND),
        (["nim", "cet1Ratio"], ["efficiencyRatio"], Verdict.SOUND),
        (["nim"], ["efficiencyRatio"], Verdict.MIXED),
        ([], [], Verdict.MIXED),
        ([], ["nim"], Verdict.WATCH),
        (["cet1Ratio"], ["nim", "efficiencyRatio", "nonaccrualRatio"], Verdict.PRESSURED),
    ],
)
def test_the_verdict_follows_the_named_thresholds(
    strong: list[str], weak: list[str], verdict: Verdict
) -> None:
    findings = judge(facts_with(mixture(strong, weak)))
    assert findings.verdict is verdict
    assert [item.metric for item in findings.strengths] == [
        name for name in rules.VERDICT_METRICS if name in strong
    ]
    assert [item.metric for item in findings.concerns] == [
        name for name in rules.VERDICT_METRICS if name in weak
    ]


def test_losing_money_outweighs_everything_else() -> None:
    metrics = {**STRONG_VALUES, "roa": -0.4}
    findings = judge(facts_with(metrics))
    assert findings.verdict is Verdict.STRESSED
    assert RiskKind.LOSSES in {risk.kind for risk in findings.risks}
    assert findings.verdict.label == "under significant stress: it is losing money"


def test_risks_come_from_levels_and_moves_over_the_year() -> None:
    year_ago: dict[str, Any] = {"quarter": "20231231", "nim": 3.6, "nonaccrualRatio": 0.2}
    series: list[dict[str, Any]] = [
        year_ago,
        *({"quarter": f"2024{end}"} for end in ("0331", "0630", "0930")),
        {"quarter": "20241231"},
    ]
    metrics = {**ADEQUATE_VALUES, "nim": 3.3, "nonaccrualRatio": 0.6, "loanToDeposit": 104.0,
               "depositGrowthYoY": -5.0, "assetGrowthYoY": 20.0,
               "allowanceCoverage": 60.0}  # fmt: skip
    kinds = [risk.kind for risk in judge(facts_with(metrics, series)).risks]
    assert kinds == [
        RiskKind.MARGIN_COMPRESSION,
        RiskKind.CREDIT_DETERIORATION,
        RiskKind.RESERVE_SHORTFALL,
        RiskKind.FUNDING,
        RiskKind.DEPOSIT_OUTFLOWS,
        RiskKind.RAPID_GROWTH,
    ]
    assert judge(facts_with(ADEQUATE_VALUES)).risks == ()


def test_missing_figures_judge_nothing() -> None:
    findings = judge(facts_with({name: None for name in rules.VERDICT_METRICS}))
    assert findings.strengths == findings.concerns == findings.risks == ()
    assert findings.verdict is Verdict.MIXED


def test_the_facts_are_judged_once(strong: ReportFacts) -> None:
    assert strong.findings is strong.findings


@pytest.fixture
def sample_facts(banks: BanksTable) -> dict[str, ReportFacts]:
    return {bank: facts_of(banks, bank) for bank in SAMPLE_BANKS}


def test_report_and_podcast_agree_on_the_verdict_for_every_sample_bank(
    sample_facts: dict[str, ReportFacts],
) -> None:
    verdicts = set()
    for bank, facts in sample_facts.items():
        label = facts.findings.verdict.label
        summary = TemplateWriter().write(SECTIONS[0], facts)
        assert f"its condition is **{label}**" in summary, bank
        brief = PodcastBrief.from_report(report_from(facts))
        assert brief.facts.findings == facts.findings, bank  # the podcast reads the same
        closing = TemplateScriptWriter().write(brief, list(PANEL[:2])).lines[-1].text
        assert f"the condition of {short_name(facts.name)} is {label}." in closing
        verdicts.add(facts.findings.verdict)
    assert len(verdicts) >= 4  # the sample spans strong, sound, mixed and stressed banks


def test_both_prompts_carry_the_same_findings(sample_facts: dict[str, ReportFacts]) -> None:
    for facts in sample_facts.values():
        report = json.loads(report_prompts.prompt(SECTIONS[0], facts).split("Data:\n", 1)[1])
        brief = PodcastBrief.from_report(report_from(facts))
        podcast = json.loads(podcast_prompts.prompt(brief, list(PANEL[:2])).split("Data:\n", 1)[1])
        assert report["findings"] == podcast["findings"] == facts.findings.as_data()
    assert "never contradict" in report_prompts.SYSTEM_PROMPT
    assert "never contradict" in podcast_prompts.SYSTEM_PROMPT
