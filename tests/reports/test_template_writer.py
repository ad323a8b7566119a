"""The offline writer's judgements follow the figures and the report's named rules."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.reports import rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.numbers import money, pct
from chalicelib.reports.sections import SECTIONS
from chalicelib.reports.template_writer import SYNTHETIC_NOTE, TemplateWriter

WRITER = TemplateWriter()


def section(facts: ReportFacts, section_id: str) -> str:
    return WRITER.write(next(s for s in SECTIONS if s.id == section_id), facts)


def test_the_two_banks_are_what_the_test_assumes(strong: ReportFacts, stressed: ReportFacts):
    roa, nonaccrual = strong.metric("roa"), strong.metric("nonaccrualRatio")
    assert roa is not None and nonaccrual is not None
    assert roa > rules.ROA.weak and nonaccrual < 0.5
    roa, nonaccrual = stressed.metric("roa"), stressed.metric("nonaccrualRatio")
    assert roa is not None and nonaccrual is not None
    assert roa < 0 and nonaccrual > rules.NONACCRUAL.weak


def test_contrasting_banks_get_contrasting_judgements(
    strong: ReportFacts, stressed: ReportFacts
) -> None:
    good, bad = section(strong, "executive_summary"), section(stressed, "executive_summary")
    assert "**strong**" in good or "**sound**" in good
    assert "under significant stress" in bad and "losing money" in bad
    assert "Concerns:" in bad and "Concerns:" not in good

    assert "The bank earned" in section(strong, "profitability")
    assert "The bank lost" in section(stressed, "profitability")
    assert "which rates strong" in section(strong, "asset_quality")
    assert "which rates weak" in section(stressed, "asset_quality")
    assert "thin cover" in section(stressed, "asset_quality")

    calm, risky = section(strong, "risks_outlook"), section(stressed, "risks_outlook")
    assert "No figure crosses the report's risk thresholds" in calm
    assert "outlook is stable" in calm
    for risk in ("Credit deterioration", "Reserve shortfall", "Losses eroding capital"):
        assert risk in risky
    assert "outlook is negative" in risky


def test_figures_in_the_prose_are_the_banks_own(strong: ReportFacts) -> None:
    text = section(strong, "profitability")
    assert pct(strong.metric("roa")) in text
    assert pct(strong.metric("nim")) in text
    assert money(strong.figure("netIncome")) in text
    assert pct(strong.peer("roa")) in text
    assert money(strong.figure("totalAssets")) in section(strong, "balance_sheet")
    capital = section(strong, "capital_liquidity")
    assert pct(strong.metric("leverageRatio")) in capital
    assert "| Tier 1 leverage |" in capital


def test_every_section_is_written_and_synthetic_data_is_flagged(strong: ReportFacts) -> None:
    texts = [WRITER.write(s, strong) for s in SECTIONS]
    assert all(len(text) > 100 for text in texts)
    assert SYNTHETIC_NOTE in texts[0]
    real = replace(strong, synthetic=False)
    assert SYNTHETIC_NOTE not in WRITER.write(SECTIONS[0], real)


def test_missing_figures_are_said_not_guessed(strong: ReportFacts) -> None:
    sparse = replace(
        strong,
        metrics={name: None for name in strong.metrics},
        figures={"totalAssets": strong.figures["totalAssets"]},
        series=strong.series[-1:],
        peer_count=0,
        peer_medians={},
    )
    texts = {s.id: WRITER.write(s, sparse) for s in SECTIONS}
    assert "not reported" in texts["profitability"]
    assert "no peer comparison" in texts["peer_comparison"]
    assert "cannot be computed" in texts["capital_liquidity"]
    assert "nan" not in " ".join(texts.values()).lower()


def test_the_writer_is_deterministic(stressed: ReportFacts) -> None:
    assert [WRITER.write(s, stressed) for s in SECTIONS] == [
        WRITER.write(s, stressed) for s in SECTIONS
    ]


def test_rules_rate_both_directions() -> None:
    assert rules.ROA.rate(1.5) is rules.Rating.STRONG
    assert rules.ROA.rate(0.8) is rules.Rating.ADEQUATE
    assert rules.ROA.rate(0.1) is rules.Rating.WEAK
    assert rules.EFFICIENCY.rate(50) is rules.Rating.STRONG
    assert rules.EFFICIENCY.rate(80) is rules.Rating.WEAK
    assert rules.NONACCRUAL.rate(None) is rules.Rating.UNKNOWN
