"""The offline writer: analyst prose built from the figures, deterministic, no model.

Every sentence that states a number takes it from ``ReportFacts``, and every judgement from
the findings (``chalicelib.reports.findings``, the named thresholds of
``chalicelib.reports.rules``) that the podcast is written from too; where a figure is
missing the text says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.banks import quarters
from chalicelib.reports import gaps, rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.findings import Finding, Risk, RiskKind, Verdict
from chalicelib.reports.gaps import Missing
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
    """``8 quarters of Call Report data, Q2 2022 to Q2 2024 (Q1 2023 is missing from the
    data)``."""
    quarters = facts.quarters
    if len(quarters) < 2:
        return "one quarter of Call Report data"
    gaps = [quarter_label(quarter) for quarter in facts.coverage.gaps()]
    missing = f" ({_series(gaps)} {'is' if len(gaps) == 1 else 'are'} missing from the data)"
    return (
        f"{len(quarters)} quarters of Call Report data, {quarter_label(quarters[0])} to "
        f"{quarter_label(quarters[-1])}{missing if gaps else ''}"
    )


def _income_unknown(facts: ReportFacts) -> bool:
    """The quarter's income cannot be derived (the quarter before it is not in the data)."""
    return facts.missing("netIncome") is Missing.NOT_DERIVED


def _why_no_income(facts: ReportFacts) -> str:
    """Why the quarter's income is not available, as a clause."""
    before = quarter_label(quarters.previous(facts.quarter))
    return (
        f"call reports give income year to date, so a quarter's own income is the "
        f"difference from the quarter before, and {before} is not in the data"
    )


def _no_year_ago(facts: ReportFacts) -> str:
    """``the data hold no figures for Q4 2021, a year earlier``."""
    year_before = quarter_label(gaps.year_ago(facts.quarter))
    return f"the data hold no figures for {year_before}, a year earlier"


def _share(part: float | None, whole: float | None) -> str | None:
    if not part or not whole:
        return None
    return f"{100 * part / whole:.0f}%"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower case, except acronyms such as CET1."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _series(items: list[str]) -> str:
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# Sections ---------------------------------------------------------------------------------


def _executive_summary(facts: ReportFacts) -> str:
    findings = facts.findings
    strengths, concerns = _listed(findings.strengths), _listed(findings.concerns)
    where = f" based in {facts.place}" if facts.place else ""
    lines = [
        f"**{facts.name}** is a {money(facts.figure('totalAssets'))} bank{where}. This report "
        f"covers the quarter ended {quarter_end(facts.quarter)}, drawing on {_span(facts)}."
        + _no_lending(facts),
        "",
        f"On the report's rules its condition is **{findings.verdict.label}**. "
        + _earnings_in_brief(facts),
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


def _no_lending(facts: ReportFacts) -> str:
    if facts.no_loans and facts.no_deposits:
        return (
            " It makes no loans and takes no deposits, so the report's lending and funding "
            "ratios do not apply to it."
        )
    if facts.no_loans:
        return " It makes no loans, so the report's credit ratios do not apply to it."
    return ""


def _earnings_in_brief(facts: ReportFacts) -> str:
    if _income_unknown(facts):
        return (
            f"Its income for {quarter_label(facts.quarter)} is not available ("
            f"{_why_no_income(facts)}), so its earnings cannot be judged for the quarter."
        )
    roa = facts.metric("roa")
    lead = (
        "It lost money in the quarter: an annualised return on assets of "
        if roa is not None and roa < 0
        else "It earned an annualised return on assets of "
    )
    return (
        f"{lead}{facts.shown('roa')}{_versus_peers(facts, 'roa')}, with a net interest "
        f"margin of {facts.shown('nim')} and an efficiency ratio of "
        f"{facts.shown('efficiencyRatio', 1)}."
    )


def _balance_sheet(facts: ReportFacts) -> str:
    lines = [_size_and_growth(facts), _composition(facts), _loans_and_deposits(facts)]
    asset_growth = facts.metric("assetGrowthYoY")
    if asset_growth is not None and asset_growth > rules.RAPID_GROWTH:
        lines.append(
            f"Growth above {rules.RAPID_GROWTH:.0f}% a year is rapid; "
            + (
                "it deserves a look at what drives it."
                if facts.no_loans
                else "it tends to outrun underwriting and funding, and deserves a closer look "
                "at new loans."
            )
        )
    elif asset_growth is not None and asset_growth < rules.COLLAPSE:
        lines.append(
            f"A contraction of {-asset_growth:.0f}% in a year usually means the bank is winding "
            "down or has sold much of its business."
        )
    elif asset_growth is not None and asset_growth < rules.SHRINKING:
        lines.append(
            f"The balance sheet is shrinking by more than {-rules.SHRINKING:.0f}% a year, "
            "which usually means lost deposits or deliberate deleveraging."
        )
    elif asset_growth is not None:
        lines.append("Growth is measured: neither rapid nor a contraction.")
    return " ".join(line for line in lines if line)


def _size_and_growth(facts: ReportFacts) -> str:
    changes = [
        f"{facts.growth(metric)} on the {span}"
        for metric, span in (("assetGrowthQoQ", "quarter"), ("assetGrowthYoY", "year"))
        if facts.missing(metric) is None
    ]
    text = (
        f"Total assets stood at {money(facts.figure('totalAssets'))} at "
        f"{quarter_end(facts.quarter)}" + (f", {' and '.join(changes)}" if changes else "") + "."
    )
    if facts.missing("assetGrowthYoY") is Missing.NOT_LOADED:
        text += f" Growth over the year is not available: {_no_year_ago(facts)}."
    return text


def _composition(facts: ReportFacts) -> str:
    assets = facts.figure("totalAssets")
    held = [facts.figure("securitiesHTM"), facts.figure("securitiesAFS")]
    securities = _share(sum(value for value in held if value is not None), assets)
    cash = [facts.figure("cash"), facts.figure("interestBearingBalances")]
    balances = _share(sum(value for value in cash if value is not None), assets)
    if facts.no_loans:
        parts = [("securities", securities), ("cash and balances at other banks", balances)]
        known = [(label, share) for label, share in parts if share]
        if not known:
            return "The bank reports no loans."
        first = f"{known[0][0]} make up {known[0][1]} of its assets"
        more = "".join(f" and {label} {share}" for label, share in known[1:])
        return f"The bank reports no loans: {first}{more}."
    loans = facts.figure("loans")
    share = _share(loans, assets)
    if loans is None or share is None:
        return ""
    return f"Loans of {money(loans)} make up {share} of assets" + (
        f" and securities {securities}." if securities else "."
    )


def _loans_and_deposits(facts: ReportFacts) -> str:
    deposits = money(facts.figure("totalDeposits"))
    if facts.no_deposits:
        return (
            "It takes no deposits: it is funded by its equity of "
            f"{money(facts.figure('totalEquity'))} and other liabilities."
        )
    moves = [
        f"{label} {facts.growth(metric)}"
        for label, metric in (("loans", "loanGrowthYoY"), ("deposits", "depositGrowthYoY"))
        if facts.missing(metric) is None and not (label == "loans" and facts.no_loans)
    ]
    if moves:
        first, *more = moves
        verb = first.replace(" ", " were ", 1)
        return f"Over the year {' and '.join([verb, *more])}, leaving deposits of {deposits}."
    if facts.missing("depositGrowthYoY") is Missing.NOT_LOADED:
        return f"Deposits stood at {deposits}."  # why growth is unknown is said above
    return f"Deposits stood at {deposits}; their growth over the year is not available."


def _profitability(facts: ReportFacts) -> str:
    if _income_unknown(facts):
        return (
            f"The bank's income for {quarter_label(facts.quarter)} is not available: "
            f"{_why_no_income(facts)}. Return on assets and equity, the net interest margin "
            "and the efficiency ratio are therefore not available for the quarter either; the "
            "quarters around it in the charts show the trend."
        )
    net_income = facts.figure("netIncome")
    earned = "earned" if net_income is None or net_income >= 0 else "lost"
    amount = money(abs(net_income)) if net_income is not None else "an amount not reported"
    roa = facts.metric("roa")
    scale = (
        f"a loss, and so weak on the report's scale (strong from {pct(rules.ROA.strong)})"
        if roa is not None and roa < 0
        else f"{_rated(facts, 'roa')} against the report's {pct(rules.ROA.strong)} mark for "
        "strong earnings"
    )
    paragraphs = [
        f"The bank {earned} {amount} in {quarter_label(facts.quarter)}. Annualised, that is a "
        f"return on assets of {facts.shown('roa')}{_versus_peers(facts, 'roa')}"
        f"{_trend(facts, 'roa', rules.ROA_MOVE)} — {scale} — and a return on equity "
        f"of {facts.shown('roe')}, which rates {_rated(facts, 'roe')}.",
        f"The net interest margin was {facts.shown('nim')}"
        f"{_versus_peers(facts, 'nim')}{_trend(facts, 'nim', rules.NIM_MOVE)}; it rates "
        f"{_rated(facts, 'nim')} (strong from {pct(rules.NIM.strong)}, weak below "
        f"{pct(rules.NIM.weak)}).",
        _efficiency(facts),
    ]
    provision, pre_tax = facts.figure("provision"), facts.figure("preTaxIncome")
    if provision is not None and pre_tax is not None and pre_tax < 0 < provision:
        paragraphs.append(
            f"Provisions of {money(provision)} for credit losses pushed the quarter to a "
            "pre-tax loss."
        )
    return "\n\n".join(paragraphs)


def _efficiency(facts: ReportFacts) -> str:
    if facts.missing("efficiencyRatio") is Missing.NO_BASE:
        return (
            "The efficiency ratio is not meaningful this quarter: the bank's revenue (net "
            "interest income plus noninterest income) was nil or negative."
        )
    ratio = facts.metric("efficiencyRatio")
    over = " Expenses exceeded revenue." if ratio is not None and ratio > 100 else ""
    return (
        f"The efficiency ratio — noninterest expense per dollar of revenue — was "
        f"{facts.shown('efficiencyRatio', 1)}{_versus_peers(facts, 'efficiencyRatio')},"
        f" {_rated(facts, 'efficiencyRatio')} on the report's scale (strong at or below "
        f"{pct(rules.EFFICIENCY.strong, 0)}, weak above {pct(rules.EFFICIENCY.weak, 0)}).{over}"
    )


def _asset_quality(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            "The bank reports no loans, so there are no nonaccrual loans, charge-offs or "
            "loan-loss allowance to judge. Its credit risk lies in its securities and other "
            "assets, which the call-report figures used here do not grade."
        )
    paragraphs = [_nonaccrual(facts), _charge_offs(facts), _allowance(facts)]
    reserves = _reserve_building(facts)
    if reserves:
        paragraphs.append(reserves)
    return "\n\n".join(paragraphs)


def _nonaccrual(facts: ReportFacts) -> str:
    if facts.metric("nonaccrualRatio") is None:
        return (
            f"Nonaccrual loans are {facts.shown('nonaccrualRatio')} for the quarter, so the "
            "quality of the loan book cannot be rated."
        )
    return (
        f"Nonaccrual loans were {money(facts.figure('nonaccrualLoans'))}, "
        f"{facts.shown('nonaccrualRatio')} of loans{_versus_peers(facts, 'nonaccrualRatio')}"
        f"{_trend(facts, 'nonaccrualRatio', rules.NONACCRUAL_MOVE)}, which rates "
        f"{_rated(facts, 'nonaccrualRatio')} (strong at or below "
        f"{pct(rules.NONACCRUAL.strong)}, weak above {pct(rules.NONACCRUAL.weak)}). Counting "
        f"loans 90 days or more past due, nonperforming loans were "
        f"{facts.shown('nonperformingRatio')} of the book."
    )


def _charge_offs(facts: ReportFacts) -> str:
    if facts.missing("netChargeOffRatio") is Missing.NOT_DERIVED:
        return (
            "Net charge-offs for the quarter are not available: like income, charge-offs are "
            "reported year to date, and the quarter before is not in the data."
        )
    return (
        f"Net charge-offs ran at an annualised {facts.shown('netChargeOffRatio')} of "
        f"average loans{_versus_peers(facts, 'netChargeOffRatio')}, "
        f"{_rated(facts, 'netChargeOffRatio')} on the report's scale."
    )


def _allowance(facts: ReportFacts) -> str:
    coverage, to_loans = facts.metric("allowanceCoverage"), facts.shown("allowanceToLoans")
    if coverage is not None:
        verdict = {
            Rating.STRONG: "a comfortable cushion",
            Rating.ADEQUATE: "adequate cover",
            Rating.WEAK: "thin cover: problem loans exceed the reserve",
        }.get(facts.rating("allowanceCoverage"), "")
        return (
            f"The allowance for credit losses equals {to_loans} of loans and "
            f"{pct(coverage, 0)} of nonaccrual loans — {verdict}."
        )
    if facts.missing("allowanceToLoans") is not None:
        return f"The allowance for credit losses is {to_loans} for the quarter."
    if facts.missing("allowanceCoverage") is Missing.NO_BASE:
        return (
            f"The allowance for credit losses equals {to_loans} of loans; with no nonaccrual "
            "loans, there are no problem loans for it to cover."
        )
    return (
        f"The allowance for credit losses equals {to_loans} of loans; its coverage of "
        "nonaccrual loans cannot be computed, as they are not reported."
    )


def _reserve_building(facts: ReportFacts) -> str:
    provision = facts.figure("provision")
    charge_offs, recoveries = facts.figure("chargeOffs"), facts.figure("recoveries")
    ratio = facts.metric("netChargeOffRatio")
    if provision is None or charge_offs is None or ratio is None:
        return ""
    if ratio < rules.MATERIAL_CHARGE_OFFS:
        return ""  # charge-offs too small for the comparison to mean anything
    net = charge_offs - (recoveries or 0)
    if provision > 1.1 * net:
        growth = facts.metric("loanGrowthYoY")
        reason = ""
        if growth is not None:
            reason = (
                ", in step with a growing loan book"
                if growth > 0 and facts.rating("nonaccrualRatio") is not Rating.WEAK
                else ", a sign it expects more losses"
            )
        return (
            f"Provisions of {money(provision)} exceeded net charge-offs of {money(net)}: "
            f"the bank is building reserves{reason}."
        )
    if provision < 0.9 * net:
        return (
            f"Provisions of {money(provision)} fell short of net charge-offs of "
            f"{money(net)}, so the reserve is being drawn down."
        )
    return ""


CAPITAL_ROWS = (
    ("leverageRatio", "Tier 1 leverage", "tier 1 leverage"),
    ("cet1Ratio", "Common equity tier 1", "CET1"),
    ("tier1Ratio", "Tier 1 risk-based", "tier 1 risk-based"),
    ("totalCapitalRatio", "Total risk-based", "total risk-based"),
)


def _capital_liquidity(facts: ReportFacts) -> str:
    rows = []
    for metric, label, _ in CAPITAL_ROWS:
        value, minimum = facts.metric(metric), facts.capital_minimum(metric)
        cushion = "—" if value is None else f"{value - minimum:+.2f} pp"
        rows.append(f"| {label} | {facts.shown(metric)} | {pct(minimum, 1)} | {cushion} |")
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
        if (value := facts.metric(metric)) is not None and value < facts.capital_minimum(metric)
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
    if facts.community_leverage:
        return verdict + (
            " The bank files the FFIEC 051 call report and reports no risk-based ratios, as a "
            "community bank using the community bank leverage ratio framework does: in that "
            "framework it counts as well capitalized while its leverage ratio stays above "
            f"{pct(rules.CBLR_MINIMUM, 0)}."
        )
    missing = [short for metric, _, short in CAPITAL_ROWS if facts.metric(metric) is None]
    if missing:
        plural = len(missing) > 1
        verdict += (
            f" The {_series(missing)} {'ratios are' if plural else 'ratio is'} not reported "
            "for the quarter."
        )
    return verdict


def _liquidity(facts: ReportFacts) -> str:
    if facts.no_deposits:
        funding = (
            " and makes no loans"
            if facts.no_loans
            else ", so its loans are funded by borrowings and equity"
        )
        return f"The bank takes no deposits{funding}: the loan-to-deposit ratio does not apply."
    if facts.no_loans:
        return (
            f"It makes no loans: its deposits of {money(facts.figure('totalDeposits'))} are "
            "held in securities, cash and other assets, so the loan-to-deposit ratio does not "
            "apply."
        )
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
            "Too few banks of similar size are in the data to form a peer group, so this "
            "report makes no peer comparison."
        )
    rows: list[str] = []
    better: list[str] = []
    worse: list[str] = []
    for metric, label in PEER_ROWS:
        value, median = facts.metric(metric), facts.peer(metric)
        rows.append(f"| {label} | {facts.shown(metric)} | {pct(median)} |")
        rule = rules.RULES.get(metric)
        if rule is None or value is None or median is None or abs(value - median) < 0.005:
            continue
        (better if rule.better(value, median) else worse).append(_in_sentence(label))
    lines = [
        f"The peer group is the {facts.peer_count} banks in the data in the same size band "
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
    absorb = "a fall in revenue" if facts.no_loans else "credit costs"
    return (
        f"**Cost base**: an efficiency ratio of {pct(risk.value, 1)} leaves little room to "
        f"absorb {absorb}."
    )


def _thin_capital(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Thin capital**: the {rules.RULES[risk.metric].label} of {pct(risk.value)} sits "
        f"close to the well-capitalized minimum of {pct(facts.capital_minimum(risk.metric), 1)}."
    )


def _funding(facts: ReportFacts, risk: Risk) -> str:
    return f"**Funding**: loans at {pct(risk.value, 1)} of deposits depend on wholesale funding."


def _deposit_outflows(facts: ReportFacts, risk: Risk) -> str:
    if facts.no_deposits:
        before = facts.coverage.rows.get(gaps.year_ago(facts.quarter), {}).get("deposits")
        return (
            f"**Deposit outflows**: the bank held deposits of {money(before)} a year earlier "
            "and holds none now."
        )
    return f"**Deposit outflows**: deposits are {growth_words(risk.value)} on the year."


def _rapid_growth(facts: ReportFacts, risk: Risk) -> str:
    seasoning = "" if facts.no_loans else "; new loans have yet to season"
    return f"**Rapid growth**: assets are {growth_words(risk.value)} on the year{seasoning}."


def _securities_heavy(facts: ReportFacts, risk: Risk) -> str:
    return (
        f"**Securities-heavy balance sheet**: securities are {pct(risk.value, 0)} of assets. "
        "Their market value falls when rates rise, and a bank that must sell them to meet "
        "withdrawals turns paper losses into real ones."
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
    RiskKind.SECURITIES_HEAVY: _securities_heavy,
}


def _outlook(facts: ReportFacts) -> str:
    findings = facts.findings
    if findings.verdict is Verdict.STRESSED and facts.no_loans:
        return (
            "The outlook is negative until losses stop: with no loans, the losses come from "
            "the business itself, and each quarter of them draws down its capital."
        )
    if findings.verdict is Verdict.STRESSED:
        return (
            "The outlook is negative until losses stop: the bank needs to stem credit costs "
            "and may need to raise capital."
        )
    if findings.concerns:
        watched = _series([_in_sentence(item.label) for item in findings.concerns])
        return (
            f"The outlook is cautious: the bank is {findings.verdict.label}, but its "
            f"{watched} should be watched over the next quarters."
        )
    return f"The outlook is stable: the bank is {findings.verdict.label} on the report's rules."


def _risks_outlook(facts: ReportFacts) -> str:
    findings = facts.findings
    risks = [RISK_WORDS[risk.kind](facts, risk) for risk in findings.risks] or [
        "No figure crosses the report's risk thresholds; the main exposures are those of "
        "any bank — interest rates, the local economy and competition for deposits."
    ]
    parts = ["Risks the figures point to:", "", _bullets(risks), "", _outlook(facts), "",
             "What to watch:", "", _bullets(_watch(facts))]  # fmt: skip
    notes = data_notes(facts)
    if notes:
        parts += ["", "Data notes: " + " ".join(notes)]
    return "\n".join(parts)


def _watch(facts: ReportFacts) -> list[str]:
    credit = (
        f"Return on assets (now {facts.shown('roa')}): with no loans, earnings carry the bank"
        if facts.no_loans
        else f"Nonaccrual loans (now {facts.shown('nonaccrualRatio')} of loans)"
    )
    return [
        f"Net interest margin (now {facts.shown('nim')})",
        credit,
        f"Tier 1 leverage ratio (now {facts.shown('leverageRatio')})",
    ]


def data_notes(facts: ReportFacts) -> list[str]:
    """What a reader should know of the data behind the figures: the quarters whose income
    could not be derived (said for readers, from the series), and any other note of the
    data as it came."""
    underived = sorted(facts.coverage.underived)
    notes: list[str] = []
    if underived:
        labels = _series([quarter_label(quarter) for quarter in underived])
        befores = _series([quarter_label(gaps.previous(quarter)) for quarter in underived])
        one = len(underived) == 1
        notes.append(
            f"Income for {labels} is not available: call reports give income year to date, "
            f"so a quarter's own income is the difference from the quarter before, and "
            f"{befores} {'is' if one else 'are'} not in the data. The ratios built on income "
            f"(returns, margin, efficiency, charge-offs) are blank for {'it' if one else 'them'}."
        )
    notes += [
        note.rstrip(".") + "."
        for note in facts.notes
        if not any(gaps.noted(quarter, [note]) for quarter in underived)
    ]
    return notes


_WRITERS: dict[str, Callable[[ReportFacts], str]] = {
    "executive_summary": _executive_summary,
    "balance_sheet": _balance_sheet,
    "profitability": _profitability,
    "asset_quality": _asset_quality,
    "capital_liquidity": _capital_liquidity,
    "peer_comparison": _peer_comparison,
    "risks_outlook": _risks_outlook,
}
