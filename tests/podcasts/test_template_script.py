"""The offline script writer: shape of the show, its length and its figures."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from chalicelib.banks.table import BanksTable
from chalicelib.experts import HOST, PANEL, Expert, expert_by_id
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.script import (
    MAX_MINUTES,
    MIN_MINUTES,
    WORDS_PER_MINUTE,
    check_panel,
    split_at_sentences,
)
from chalicelib.podcasts.template_writer import TemplateScriptWriter, first_name
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.numbers import pct
from chalicelib.reports.pipeline import KEY_FIGURES, KEY_METRICS
from tests.reports.conftest import STRESSED, STRONG, facts_of

PANELS = [combo for size in range(1, 5) for combo in combinations(PANEL, size)]


def report_from(facts: ReportFacts) -> dict[str, Any]:
    """The report artifact's shape (see ReportPipeline._artifact), from the facts."""
    return {
        "idrssd": facts.idrssd,
        "bank": {"name": facts.name, "city": facts.city, "state": facts.state},
        "asOf": facts.quarter,
        "jobId": "report-job",
        "synthetic": facts.synthetic,
        "keyFigures": {name: facts.figures.get(name) for name in KEY_FIGURES},
        "keyMetrics": {name: facts.metrics.get(name) for name in KEY_METRICS},
        "peers": {
            "label": facts.peer_label,
            "banks": facts.peer_count,
            "medians": facts.peer_medians,
        },
        "series": facts.series,
        "sections": [{"id": "executive_summary", "markdown": "**Strong** quarter.\n\n- ROA"}],
    }


@pytest.fixture
def briefs(banks: BanksTable) -> dict[str, PodcastBrief]:
    return {
        bank: PodcastBrief.from_report(report_from(facts_of(banks, bank)))
        for bank in (STRONG, STRESSED)
    }


def panel(*ids: str) -> list[Expert]:
    return [e for e in (expert_by_id(i) for i in ids) if e is not None]


def test_the_brief_reads_the_report_back(briefs: dict[str, PodcastBrief]) -> None:
    brief = briefs[STRONG]
    assert brief.report_job_id == "report-job" and brief.as_of == "20241231"
    assert brief.facts.metric("allowanceCoverage") is not None  # from the series' latest row
    assert brief.sections == {"executive_summary": "Strong quarter. ROA"}


def test_every_panel_makes_a_show_of_three_to_eight_minutes(
    briefs: dict[str, PodcastBrief],
) -> None:
    writer = TemplateScriptWriter()
    for brief in briefs.values():
        for experts in PANELS:
            script = writer.write(brief, experts)
            assert check_panel(script.lines, experts) == [], [e.id for e in experts]
            assert MIN_MINUTES <= script.words / WORDS_PER_MINUTE <= MAX_MINUTES, (
                [e.id for e in experts],
                script.words,
            )


def test_the_host_opens_and_closes_and_every_expert_speaks(
    briefs: dict[str, PodcastBrief],
) -> None:
    experts = panel("credit", "capital", "markets", "economy")
    script = TemplateScriptWriter().write(briefs[STRONG], experts)
    first, last = script.lines[0], script.lines[-1]
    assert first.speaker == last.speaker == HOST.id
    assert "Granite Peak Bank" in first.text and "(SYNTHETIC)" not in first.text
    assert "synthetic" in first.text
    for expert in experts:
        assert expert.name in first.text  # introduced
        assert first_name(expert) in last.text  # thanked
        assert any(line.speaker == expert.id for line in script.lines)


def test_experts_answer_each_other(briefs: dict[str, PodcastBrief]) -> None:
    for experts in [p for p in PANELS if len(p) >= 2]:
        script = TemplateScriptWriter().write(briefs[STRESSED], experts)
        replies = [
            (before, after)
            for before, after in zip(script.lines, script.lines[1:], strict=False)
            if before.speaker != HOST.id
            and after.speaker != HOST.id
            and before.speaker != after.speaker
            and first_name(_expert(before.speaker)) in after.text
        ]
        assert len(replies) >= 1, [e.id for e in experts]


def _expert(expert_id: str) -> Expert:
    expert = expert_by_id(expert_id)
    assert expert is not None
    return expert


def test_each_expert_speaks_to_their_focus_with_the_reports_figures(
    briefs: dict[str, PodcastBrief],
) -> None:
    brief = briefs[STRONG]
    facts = brief.facts
    script = TemplateScriptWriter().write(brief, list(PANEL[:4]))
    said = {e.id: " ".join(ln.text for ln in script.lines if ln.speaker == e.id) for e in PANEL}
    assert pct(facts.metric("nonaccrualRatio")) in said["credit"]
    assert pct(facts.metric("leverageRatio")) in said["capital"]
    assert pct(facts.metric("roa")) in said["profitability"]
    assert "well-capitalized" in said["regulation"]
    markets = TemplateScriptWriter().write(brief, panel("markets", "economy"))
    spoken = " ".join(line.text for line in markets.lines)
    assert pct(facts.metric("roe"), 1) in spoken and facts.city in spoken


def test_a_stressed_bank_sounds_stressed(briefs: dict[str, PodcastBrief]) -> None:
    experts = panel("profitability", "regulation")
    good = " ".join(ln.text for ln in TemplateScriptWriter().write(briefs[STRONG], experts).lines)
    bad = " ".join(ln.text for ln in TemplateScriptWriter().write(briefs[STRESSED], experts).lines)
    assert "losing money" in bad and "losing money" not in good
    stressed = briefs[STRESSED].facts.findings.verdict.label
    assert f"is {stressed}." in bad and f"is {stressed}." not in good


def test_the_script_is_deterministic(briefs: dict[str, PodcastBrief]) -> None:
    experts = panel("economy", "credit")
    assert TemplateScriptWriter().write(briefs[STRONG], experts) == TemplateScriptWriter().write(
        briefs[STRONG], experts
    )


def test_lines_are_split_at_sentence_ends() -> None:
    text = "First sentence here. Second one is a bit longer! Third? Fourth sentence ends it."
    pieces = split_at_sentences(text, 40)
    assert pieces == [
        "First sentence here.",
        "Second one is a bit longer! Third?",
        "Fourth sentence ends it.",
    ]
    assert " ".join(pieces) == text
    assert split_at_sentences(text, 1000) == [text]


def test_a_sentence_longer_than_the_limit_is_cut_at_a_space() -> None:
    words = " ".join(["word"] * 50) + "."
    pieces = split_at_sentences(words, 60)
    assert all(len(piece) <= 60 for piece in pieces)
    assert " ".join(pieces) == words
    assert split_at_sentences("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_checking_a_script_names_what_is_wrong() -> None:
    from chalicelib.podcasts.script import Line

    experts = panel("credit")
    assert check_panel([], experts) == ["it has no lines"]
    lines = [
        Line("host", "Hi."),
        Line("markets", "Hello."),
        Line("credit", " "),
        Line("credit", "x"),
    ]
    problems = check_panel(lines, experts)
    assert any("markets" in p for p in problems)
    assert "some lines are empty" in problems
    assert "the host does not open and close it" in problems
