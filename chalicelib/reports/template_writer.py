"""The offline writer: analyst prose built from the figures, deterministic, no model.

Every sentence that states a number takes it from ``ReportFacts``, and every judgement from
the findings (``chalicelib.reports.findings``, the named thresholds of
``chalicelib.reports.rules``) that the podcast is written from too; where a figure is
missing the text says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.reports import rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.findings import Finding, Findings, Risk, RiskKind, Verdict
from chalicelib.reports.numbers import (
    growth_words,
    money,
    pct,
    points,
    quarter_end,
    quarter_label,
)
from chalicelib.reports.rules import Rating
from chalicelib.reports.sections import Section

SYNTHETIC_NOTE = (
    "*These figures are synthetic: the bank and its numbers were generated for "
    "demonstration and describe no real institution.*"
)

# How a rating reads in a sentence about one metric.
RATING_WORDS = {
    Rating.STRONG: "strong",
    Rating.ADEQUATE: "adequate",
    Rating.WEAK: "weak",
    Rating.UNKNOWN: "not assessable",
}


class TemplateWriter:
    """Writes each section from the facts with fixed rules; the local default."""

    name = "template"
    model = None

    def write(self, section: Section, facts: ReportFacts) -> str:
        return _WRITERS[section.id](facts).strip() + "\n"


# Shared phrases ---------------------------------------------------------------------------


def _versus_peers(facts: ReportFacts, metric: str) -> str:
    """``, above the 0.40% peer median`` or empty when there is no peer figure."""
    value, median = facts.metric(metric), facts.peer(metric)
    if value is None or median is None or facts.peer_count < 2:
        return ""
    rule = rules.RULES.get(metric)
    if abs(value - median) < 0.005:
        return f", in line with the {pct(median)} peer median"
    side = "above" if value > median else "below"
    if rule is None:
        return f", {side} the {pct(median)} peer median"
    verdict = "better than" if rule.better(value, median) else "worse than"
    return f", {side} the {pct(median)} peer median ({verdict} peers)"


def _trend(facts: ReportFacts, metric: str, threshold: float) -> str:
    """`` and up 0.16 percentage points from a year earlier`` when the move matters."""
    change = facts.change_over_year(metric)
    if change is None or abs(change) < threshold:
        return ""
    return f", {points(change)} from a year earlier"


def _rated(facts: ReportFacts, metric: str) -> str:
    return RATING_WORDS[facts.rating(metric)]


def _listed(findings: Sequence[Finding]) -> list[str]:
    """``Return on assets at 1.23%`` per finding."""
    return [f"{item.label[0].upper()}{item.label[1:]} at {pct(item.value)}" for item in findings]


def _span(facts: ReportFacts) -> str:
    quarters = facts.quarters
    if len(quarters) < 2:
        return "one quarter"
    return (
        f"{len(quarters)} quarters ({quarter_label(quarters[0])} to {quarter_label(quarters[-1])})"
    )


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower case, except acronyms such as CET1."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


# Sections ---------------------------------------------------------------------------------


def _executive_summary(facts: ReportFacts) -> str:
    findings = facts.findings
    strengths, concerns = _listed(findings.strengths), _listed(findings.concerns)
    assets = facts.figure("totalAssets")
    where = f" based in {facts.place}" if facts.place else ""
    lines = [
        f"**{facts.name}** is a {money(assets)} bank{where}. This report covers the "
        f"quarter ended {quarter_end(facts.quarter)}, drawing on {_span(facts)} of Call "
        "Report data.",
        "",
        f"On the report's rules its condition is **{findings.verdict.label}**. It earned an "
        "annualised "
        f"return on assets of {pct(facts.metric('roa'))}{_versus_peers(facts, 'roa')}, "
        f"with a net interest margin of {pct(facts.metric('nim'))} and an efficiency ratio "
        f"of {pct(facts.metric('efficiencyRatio'), 1)}.",
    ]
    if strengths:
        lines += ["", "Strengths:", "", _bullets(strengths)]
    if concerns:
        lines += ["", "Concerns:", "", _bullets(concerns)]
    if not strengths and not concerns:
        lines += ["", "No metric crosses the report's strong or weak thresholds."]
    if facts.synthetic:
        lines += ["", SYNTHETIC_NOTE]
    return "\n".join(lines)


def _balance_sheet(facts: ReportFacts) -> str:
    assets, loans = facts.figure("totalAssets"), facts.figure("loans")
    deposits = facts.figure("totalDeposits")
    securities = sum(
        value
        for value in (facts.figure("securitiesHTM"), facts.figure("securitiesAFS"))
        if value is not None
    )
    asset_growth = facts.metric("assetGrowthYoY")
    lines = [
        f"Total assets stood at {money(assets)} at {quarter_end(facts.quarter)}, "
        f"{growth_words(facts.metric('assetGrowthQoQ'))} on the quarter and "
        f"{growth_words(asset_growth)} on the year.",
    ]
    if assets and loans is not None:
        share = 100 * loans / assets
        lines.append(
            f"Loans of {money(loans)} make up {share:.0f}% of assets"
            + (f" and securities {100 * securities / assets:.0f}%." if securities else ".")
        )
    lines.append(
        f"Loans were {growth_words(facts.metric('loanGrowthYoY'))} and deposits "
        f"{growth_words(facts.metric('depositGrowthYoY'))} over the year, leaving deposits "
        f"of {money(deposits)}."
    )
    if asset_growth is not None:
        if asset_growth > rules.RAPID_GROWTH:
            lines.append(
                f"Growth above {rules.RAPID_GROWTH:.0f}% a year is rapid; it tends to outrun "
                "underwriting and funding, and deserves a closer look at new loans."
            )
        elif asset_growth < rules.SHRINKING:
            lines.append(
                f"The balance sheet is shrinking by more than {-rules.SHRINKING:.0f}% a year, "
                "which usually means lost deposits or deliberate deleveraging."
            )
        else:
            lines.append("Growth is measured: neither rapid nor a contraction.")
    return " ".join(lines)


def _profitability(facts: ReportFacts) -> str:
    net_income = facts.figure("netIncome")
    earned = "earned" if net_income is None or net_income >= 0 else "lost"
    amount = money(abs(net_income)) if net_income is not None else "an amount not reported"
    paragraphs = [
        f"The bank {earned} {amount} in {quarter_label(facts.quarter)}. Annualised, that is a "
        f"return on assets of {pct(facts.metric('roa'))}{_versus_peers(facts, 'roa')}"
        f"{_trend(facts, 'roa', rules.ROA_MOVE)} — {_rated(facts, 'roa')} against the "
        f"report's {pct(rules.ROA.strong)} mark for strong earnings — and a return on equity "
        f"of {pct(facts.metric('roe'))}, which rates {_rated(facts, 'roe')}.",
        f"The net interest margin was {pct(facts.metric('nim'))}"
        f"{_versus_peers(facts, 'nim')}{_trend(facts, 'nim', rules.NIM_MOVE)}; it rates "
        f"{_rated(facts, 'nim')} (strong from {pct(rules.NIM.strong)}, weak below "
        f"{pct(rules.NIM.weak)}).",
        f"The efficiency ratio — noninterest expense per dollar of revenue — was "
        f"{pct(facts.metric('efficiencyRatio'), 1)}{_versus_peers(facts, 'efficiencyRatio')},"
        f" {_rated(facts, 'efficiencyRatio')} on the report's scale (strong at or below "
        f"{pct(rules.EFFICIENCY.strong, 0)}, weak above {pct(rules.EFFICIENCY.weak, 0)}).",
    ]
    provision, pre_tax = facts.figure("provision"), facts.figure("preTaxIncome")
    if provision is not None and pre_tax is not None and pre_tax < 0 < provision:
        paragraphs.append(
            f"Provisions of {money(provision)} for credit losses pushed the quarter to a "
            "pre-tax loss."
        )
    return "\n\n".join(paragraphs)


def _asset_quality(facts: ReportFacts) -> str:
    nonaccrual = facts.figure("nonaccrualLoans")
    paragraphs = [
        f"Nonaccrual loans were {money(nonaccrual)}, {pct(facts.metric('nonaccrualRatio'))} of "
        f"loans{_versus_peers(facts, 'nonaccrualRatio')}"
        f"{_trend(facts, 'nonaccrualRatio', rules.NONACCRUAL_MOVE)}, which rates "
        f"{_rated(facts, 'nonaccrualRatio')} (strong at or below "
        f"{pct(rules.NONACCRUAL.strong)}, weak above {pct(rules.NONACCRUAL.weak)}). Counting "
        f"loans 90 days or more past due, nonperforming loans were "
        f"{pct(facts.metric('nonperformingRatio'))} of the book.",
        f"Net charge-offs ran at an annualised {pct(facts.metric('netChargeOffRatio'))} of "
        f"average loans{_versus_peers(facts, 'netChargeOffRatio')}, "
        f"{_rated(facts, 'netChargeOffRatio')} on the report's scale.",
    ]
    coverage, to_loans = facts.metric("allowanceCoverage"), facts.metric("allowanceToLoans")
    if coverage is not None:
        verdict = {
            Rating.STRONG: "a comfortable cushion",
            Rating.ADEQUATE: "adequate cover",
            Rating.WEAK: "thin cover: problem loans exceed the reserve",
        }.get(facts.rating("allowanceCoverage"), "")
        paragraphs.append(
            f"The allowance for credit losses equals {pct(to_loans)} of loans and "
            f"{pct(coverage, 0)} of nonaccrual loans — {verdict}."
        )
    else:
        paragraphs.append(
            f"The allowance equals {pct(to_loans)} of loans; with no nonaccrual loans "
            "reported, coverage of problem loans cannot be computed."
        )
    provision = facts.figure("provision")
    charge_offs, recoveries = facts.figure("chargeOffs"), facts.figure("recoveries")
    if provision is not None and charge_offs is not None:
        net = charge_offs - (recoveries or 0)
        if net > 0 and provision > 1.1 * net:
            growing = (facts.metric("loanGrowthYoY") or 0) > 0
            reason = (
                "in step with a growing loan book"
                if growing and facts.rating("nonaccrualRatio") is not Rating.WEAK
                else "a sign it expects more losses"
            )
            paragraphs.append(
                f"Provisions of {money(provision)} exceeded net charge-offs of {money(net)}: "
                f"the bank is building reserves, {reason}."
            )
        elif net > 0 and provision < 0.9 * net:
            paragraphs.append(
                f"Provisions of {money(provision)} fell short of net charge-offs of "
                f"{money(net)}, so the reserve is being drawn down."
            )
    return "\n\n".join(paragraphs)


CAPITAL_ROWS = (
    ("leverageRatio", "Tier 1 leverage", "tier 1 leverage"),
    ("cet1Ratio", "Common equity tier 1", "CET1"),
    ("tier1Ratio", "Tier 1 risk-based", "tier 1 risk-based"),
    ("totalCapitalRatio", "Total risk-based", "total risk-based"),
)


def _capital_liquidity(facts: ReportFacts) -> str:
    rows = []
    for metric, label, _ in CAPITAL_ROWS:
        value, minimum = facts.metric(metric), rules.WELL_CAPITALIZED[metric]
        cushion = "—" if value is None else f"{value - minimum:+.2f} pp"
        rows.append(f"| {label} | {pct(value)} | {pct(minimum, 1)} | {cushion} |")
    table = "\n".join(
        [
            "| Ratio | Bank | Well-capitalized minimum | Cushion |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )
    return "\n\n".join([table, _capital_verdict(facts), _liquidity(facts)])


def _capital_verdict(facts: ReportFacts) -> str:
    short_of_minimum = [
        label.lower()
        for metric, label, _ in CAPITAL_ROWS
        if (value := facts.metric(metric)) is not None and value < rules.WELL_CAPITALIZED[metric]
    ]
    if short_of_minimum:
        return (
            f"The {', '.join(short_of_minimum)} ratio falls below the well-capitalized "
            "minimum, which limits what the bank may do until capital is rebuilt."
        )
    rated = [
        f"the {label} of {pct(facts.metric(metric))} rates {_rated(facts, metric)}"
        for metric, label in (("leverageRatio", "leverage ratio"), ("cet1Ratio", "CET1 ratio"))
        if facts.metric(metric) is not None
    ]
    verdict = "Every reported ratio clears the well-capitalized minimum." + (
        f" On the report's scale {' and '.join(rated)}." if rated else ""
    )
    missing = [short for metric, _, short in CAPITAL_ROWS if facts.metric(metric) is None]
    if missing:
        verdict += f" The {_series(missing)} ratio is not reported (blank or confidential)."
    return verdict


def _liquidity(facts: ReportFacts) -> str:
    ltd = facts.metric("loanToDeposit")
    if ltd is None:
        return "The loan-to-deposit ratio cannot be computed from the data."
    if ltd > rules.LOAN_TO_DEPOSIT_HIGH:
        return (
            f"Loans equal {pct(ltd, 1)} of deposits: above {rules.LOAN_TO_DEPOSIT_HIGH:.0f}% "
            "the bank funds part of its lending with borrowings, which cost more and can "
            "run faster than deposits."
        )
    if ltd < rules.LOAN_TO_DEPOSIT_LOW:
        return (
            f"Loans equal only {pct(ltd, 1)} of deposits: liquidity is ample, though much of "
            "the funding sits in lower-yielding securities and cash."
        )
    return (
        f"Loans equal {pct(ltd, 1)} of deposits, a balanced use of deposit funding"
        f"{_versus_peers(facts, 'loanToDeposit')}."
    )


PEER_ROWS = (
    ("roa", "Return on assets"),
    ("roe", "Return on equity"),
    ("nim", "Net interest margin"),
    ("efficiencyRatio", "Efficiency ratio"),
    ("nonaccrualRatio", "Nonaccrual loans / loans"),
    ("netChargeOffRatio", "Net charge-offs / loans"),
    ("leverageRatio", "Tier 1 leverage ratio"),
    ("cet1Ratio", "CET1 ratio"),
    ("loanToDeposit", "Loans / deposits"),
    ("assetGrowthYoY", "Asset growth, year on year"),
)


def _peer_comparison(facts: ReportFacts) -> str:
    if facts.peer_count < 2 or not facts.peer_medians:
        return (
            "Too few banks of similar size are loaded to form a peer group, so this report "
            "makes no peer comparison. Import more of the FFIEC bulk file to add one."
        )
    rows: list[str] = []
    better: list[str] = []
    worse: list[str] = []
    for metric, label in PEER_ROWS:
        value, median = facts.metric(metric), facts.peer(metric)
        rows.append(f"| {label} | {pct(value)} | {pct(median)} |")
        rule = rules.RULES.get(metric)
        if rule is None or value is None or median is None or abs(value - median) < 0.005:
            continue
        (better if rule.better(value, median) else worse).append(_in_sentence(label))
    lines = [
        f"The peer group is the {facts.peer_count} loaded banks in the same size band "
        f"({facts.peer_label}); the figures below are their medians.",
        "",
        "| Metric | Bank | Peer median |",
        "|---|---:|---:|",
        *rows,
        "",
    ]
    if better:
        lines.append(f"The bank does better than its peers on {_series(better)}.")
    if worse:
        lines.append(f"It trails them on {_series(worse)}.")
    return "\n".join(lines)


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _margin_compression(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Margin compression**: the net interest margin is {points(risk.change or 0.0)} over "
        "the year; funding costs are rising faster than asset yields."
    )


def _credit_deterioration(facts: ReportFacts, risk: Risk) -> str:
    change = f", {points(risk.change)} on the year" if risk.change is not None else ""
    return f"**Credit deterioration**: nonaccrual loans are {pct(risk.value)} of loans{change}."


def _reserve_shortfall(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Reserve shortfall**: the allowance covers {pct(risk.value, 0)} of nonaccrual "
        f"loans, below the {rules.ALLOWANCE_COVERAGE.weak:.0f}% the report treats as a floor."
    )


def _losses(facts: ReportFacts, risk: Risk) -> str:
    return (
        "**Losses eroding capital**: a negative return on assets draws down equity each "
        "quarter it lasts."
    )


def _cost_base(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Cost base**: an efficiency ratio of {pct(risk.value, 1)} leaves little room to "
        "absorb credit costs."
    )


def _thin_capital(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Thin capital**: the {rules.RULES[risk.metric].label} of {pct(risk.value)} sits "
        f"close to the well-capitalized minimum of {pct(rules.WELL_CAPITALIZED[risk.metric], 1)}."
    )


def _funding(facts: ReportFacts, risk: Risk) -> str:
    return f"**Funding**: loans at {pct(risk.value, 1)} of deposits depend on wholesale funding."


def _deposit_outflows(facts: ReportFacts, risk: Risk) -> str:
    return f"**Deposit outflows**: deposits are {growth_words(risk.value)} on the year."


def _rapid_growth(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Rapid growth**: assets are {growth_words(risk.value)} on the year; new loans "
        "have yet to season."
    )


RISK_WORDS: dict[RiskKind, Callable[[ReportFacts, Risk], str]] = {
    RiskKind.MARGIN_COMPRESSION: _margin_compression,
    RiskKind.CREDIT_DETERIORATION: _credit_deterioration,
    RiskKind.RESERVE_SHORTFALL: _reserve_shortfall,
    RiskKind.LOSSES: _losses,
    RiskKind.COST_BASE: _cost_base,
    RiskKind.THIN_CAPITAL: _thin_capital,
    RiskKind.FUNDING: _funding,
    RiskKind.DEPOSIT_OUTFLOWS: _deposit_outflows,
    RiskKind.RAPID_GROWTH: _rapid_growth,
}


def _outlook(findings: Findings) -> str:
    if findings.verdict is Verdict.STRESSED:
        return (
            "The outlook is negative until losses stop: the bank needs to stem credit costs "
            "and may need to raise capital."
        )
    if findings.concerns:
        return (
            f"The outlook is cautious: the bank is {findings.verdict.label}, and the concerns "
            "above should be watched over the next quarters."
        )
    return f"The outlook is stable: the bank is {findings.verdict.label} on the report's rules."


def _risks_outlook(facts: ReportFacts) -> str:
    findings = facts.findings
    risks = [RISK_WORDS[risk.kind](facts, risk) for risk in findings.risks] or [
        "No figure crosses the report's risk thresholds; the main exposures are those of "
        "any bank — interest rates, the local economy and competition for deposits."
    ]
    watch = [
        f"Net interest margin (now {pct(facts.metric('nim'))})",
        f"Nonaccrual loans (now {pct(facts.metric('nonaccrualRatio'))} of loans)",
        f"Tier 1 leverage ratio (now {pct(facts.metric('leverageRatio'))})",
    ]
    parts = ["Risks the figures point to:", "", _bullets(risks), "", _outlook(findings), "",
             "What to watch:", "", _bullets(watch)]  # fmt: skip
    if facts.notes:
        parts += ["", "Data notes: " + " ".join(note.rstrip(".") + "." for note in facts.notes)]
    return "\n".join(parts)


_WRITERS: dict[str, Callable[[ReportFacts], str]] = {
    "executive_summary": _executive_summary,
    "balance_sheet": _balance_sheet,
    "profitability": _profitability,
    "asset_quality": _asset_quality,
    "capital_liquidity": _capital_liquidity,
    "peer_comparison": _peer_comparison,
    "risks_outlook": _risks_outlook,
}
