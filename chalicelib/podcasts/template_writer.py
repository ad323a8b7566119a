"""The offline script writer: a deterministic dialogue built from the report's figures.

Every figure spoken comes from the report (via ``PodcastBrief``), and every judgement from
the same findings the report was written from (``chalicelib.reports.findings``); a missing
figure is said to be missing rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.banks import names
from chalicelib.experts import HOST, Expert
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.script import Line, Script
from chalicelib.reports import rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.gaps import Missing
from chalicelib.reports.numbers import growth_words, money, pct, points, quarter_end
from chalicelib.reports.rules import Rating

# Above this size (thousands of dollars) a bank lends across the country, not close to home.
NATIONAL_BANK_ASSETS = 100_000_000
RATING_WORDS = {
    Rating.STRONG: "strong",
    Rating.ADEQUATE: "adequate",
    Rating.WEAK: "weak",
    Rating.UNKNOWN: "impossible to judge from these figures",
}


class TemplateScriptWriter:
    """Host opens, each expert speaks to their focus, experts answer each other, host closes."""

    name = "template"
    model = None

    def write(self, brief: PodcastBrief, experts: Sequence[Expert]) -> Script:
        facts = brief.facts
        lines = [Line(HOST.id, _opening(facts, experts))]
        for index, expert in enumerate(experts):
            lines.append(Line(HOST.id, _QUESTIONS[expert.id](facts, expert, index)))
            lines.append(Line(expert.id, _MAIN[expert.id](facts)))
            if index > 0:
                # The previous guest answers the new one: the panel talks to each other,
                # not only to the host.
                responder = experts[index - 1]
                lines.append(Line(responder.id, _REPLIES[responder.id](facts, expert)))
            lines.append(Line(HOST.id, f"What could go wrong from here, {first_name(expert)}?"))
            lines.append(Line(expert.id, _RISKS[expert.id](facts)))
        if len(experts) == 1:
            # One guest carries the show alone: a second round keeps it long enough to be
            # worth a listen (three minutes at least).
            expert = experts[0]
            lines.append(Line(HOST.id, _peer_question(facts, expert)))
            lines.append(Line(expert.id, _peer_answer(facts)))
            lines.append(Line(HOST.id, _bridge(facts, expert)))
            lines.append(Line(expert.id, _REPLIES[expert.id](facts, HOST)))
        lines.append(
            Line(HOST.id, "Before we wrap up, one thing each of you would watch next quarter.")
        )
        lines.extend(Line(expert.id, _WATCH[expert.id](facts)) for expert in experts)
        lines.append(Line(HOST.id, _closing(facts, experts)))
        return Script(tuple(lines), writer=self.name)


# Shared phrases ----------------------------------------------------------------------------


def spoken_name(facts: ReportFacts) -> str:
    """The name said in passing: "JPMorgan Chase Bank", not its legal form."""
    return names.short_name(facts.legal_name or facts.name)


def first_name(expert: Expert) -> str:
    return expert.name.split()[0]


def _vs_peers(facts: ReportFacts, metric: str) -> str:
    value, median = facts.metric(metric), facts.peer(metric)
    if value is None or median is None or facts.peer_count < 2:
        return ""
    if abs(value - median) < 0.005:
        return f", right at the peer median of {pct(median)}"
    side = "above" if value > median else "below"
    rule = rules.RULES.get(metric)
    if rule is None:
        return f", {side} the peer median of {pct(median)}"
    verdict = "better than" if rule.better(value, median) else "worse than"
    return f", {side} the peer median of {pct(median)}, so {verdict} similar banks"


def _rated(facts: ReportFacts, metric: str) -> str:
    return RATING_WORDS[facts.rating(metric)]


def _trend(facts: ReportFacts, metric: str, threshold: float) -> str:
    change = facts.change_over_year(metric)
    if change is None:
        return " The figure for a year earlier isn't available to compare it with."
    if abs(change) < threshold:
        return " It has held steady over the past year."
    return f" That is {points(change)} from a year earlier."


def _income_unknown(facts: ReportFacts) -> bool:
    return facts.missing("netIncome") is Missing.NOT_DERIVED


def _funding_costs(facts: ReportFacts) -> str:
    return "funding costs" if facts.no_deposits else "deposit costs"


def _national(facts: ReportFacts) -> bool:
    return (facts.figure("totalAssets") or 0) >= NATIONAL_BANK_ASSETS


def _over_the_year(facts: ReportFacts, metric: str, noun: str, verb: str = "are") -> str:
    """``its assets are up 1.6% over the year`` or why that can't be said."""
    if facts.missing(metric) is None:
        return f"{noun} {verb} {facts.growth(metric)} over the year"
    return f"we can't measure how {noun} moved over the year from this data"


def _synthetic_note(facts: ReportFacts) -> str:
    if not facts.synthetic:
        return ""
    return (
        " One thing to say up front: this bank and its figures are synthetic, generated for "
        "demonstration, and describe no real institution."
    )


def listing(items: Sequence[str]) -> str:
    """Items joined as prose: A; A and B; A, B and C."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# Host ---------------------------------------------------------------------------------------


def _opening(facts: ReportFacts, experts: Sequence[Expert]) -> str:
    place = f", based in {facts.place}" if facts.place else ""
    panel = listing([f"{e.name}, our {e.title.lower()}" for e in experts])
    guests = "my guest is" if len(experts) == 1 else "my guests are"
    return (
        f"Welcome to Bank Research, the show where we read a bank's numbers so you don't have "
        f"to. I'm {HOST.name}. Today we're looking at {spoken_name(facts)}{place}, a bank "
        f"with {money(facts.figure('totalAssets'))} in total assets, using its call report for "
        f"the quarter ended {quarter_end(facts.quarter)}.{_synthetic_note(facts)} "
        f"{_headline(facts)} Joining me, {guests} {panel}."
    )


def _headline(facts: ReportFacts) -> str:
    income = facts.figure("netIncome")
    if _income_unknown(facts):
        result = "income for the quarter that the data can't give us, as we'll explain"
    elif income is not None and income < 0:
        result = f"a loss of {money(abs(income))} for the quarter"
    else:
        result = f"net income of {money(income)} for the quarter"
    if facts.no_loans and facts.no_deposits:
        return (
            f"The headline numbers: it makes no loans and takes no deposits, and it had {result}."
        )
    loans = "no loans at all" if facts.no_loans else f"loans of {money(facts.figure('loans'))}"
    deposits = (
        "no deposits"
        if facts.no_deposits
        else f"deposits of {money(facts.figure('totalDeposits'))}"
    )
    return f"The headline numbers: {loans}, {deposits}, and {result}."


def _closing(facts: ReportFacts, experts: Sequence[Expert]) -> str:
    findings = facts.findings
    strong = [item.label for item in findings.strengths]
    weak = [item.label for item in findings.concerns]
    if len(weak) == 1:
        concerns = f"The figure to keep an eye on is the {weak[0]}."
    elif weak:
        concerns = f"The figures to keep an eye on are {listing(weak[:3])}."
    else:
        concerns = "None of its figures crosses the report's warning thresholds."
    strengths = f" Its strengths are {listing(strong[:3])}." if strong else ""
    synthetic = (
        " And remember, the bank we discussed is synthetic: useful for practice, not for decisions."
        if facts.synthetic
        else ""
    )
    thanks = listing([first_name(e) for e in experts])
    return (
        f"That brings us to the end. On the report's rules, the condition of "
        f"{spoken_name(facts)} is {findings.verdict.label}.{strengths} {concerns}{synthetic} "
        "Thank you, "
        f"{thanks}, for a clear conversation. I'm {HOST.name}, and this has been Bank Research."
        " Until next time."
    )


def _ask(text: str) -> Callable[[ReportFacts, Expert, int], str]:
    def question(facts: ReportFacts, expert: Expert, index: int) -> str:
        lead = "Let's start with" if index == 0 else "Let's turn to"
        return f"{first_name(expert)}, {lead.lower()} {text}"

    return question


_QUESTIONS: dict[str, Callable[[ReportFacts, Expert, int], str]] = {
    "credit": _ask("credit. How healthy is the loan book, and are the reserves big enough?"),
    "capital": _ask("capital and funding. How much of a cushion does this bank really have?"),
    "profitability": _ask("earnings. Is this bank making good money on what it holds?"),
    "regulation": _ask("the examiner's view. If you walked in tomorrow, what would you look at?"),
    "markets": _ask("the market's view. How would an investor read these numbers?"),
    "economy": _ask("the economy behind the figures. What do they say about the bank's market?"),
}


def _peer_question(facts: ReportFacts, expert: Expert) -> str:
    label = facts.peer_label or "banks of its size"
    return (
        f"{first_name(expert)}, step back for a moment. Against its peers, {label.lower()}, "
        "where does this bank stand out, for better or worse?"
    )


def _bridge(facts: ReportFacts, expert: Expert) -> str:
    """The host brings in a figure from outside the guest's focus, for the guest to answer."""
    if expert.id in {"profitability", "markets"} and facts.no_loans:
        other = "on credit, there's no loan book at all, so no loan losses either"
    elif expert.id in {"profitability", "markets"}:
        other = (
            f"on credit, nonaccrual loans are {facts.shown('nonaccrualRatio')} of loans "
            f"and net charge-offs {facts.shown('netChargeOffRatio')}"
        )
    elif _income_unknown(facts):
        other = "on earnings, the quarter's income isn't available, so we can't say what it earned"
    else:
        other = (
            f"on earnings, the return on assets is {facts.shown('roa')} and the net "
            f"interest margin {facts.shown('nim')}"
        )
    return (
        f"Let me bring in another part of the report, {first_name(expert)}: {other}. "
        "How does that fit with what you've told us?"
    )


def _peer_answer(facts: ReportFacts) -> str:
    better: list[str] = []
    worse: list[str] = []
    for rule in rules.RULES.values():
        value, median = facts.metric(rule.metric), facts.peer(rule.metric)
        if value is None or median is None or abs(value - median) < 0.005:
            continue
        phrase = f"its {rule.label} of {pct(value)} against {pct(median)}"
        (better if rule.better(value, median) else worse).append(phrase)
    if facts.peer_count < 2:
        return (
            "There aren't enough banks of similar size in the data to make a fair comparison, "
            "so I'd judge it on the report's own thresholds instead, which is what we've done."
        )
    ahead = f"It is ahead of the peer median on {listing(better[:3])}." if better else ""
    behind = f" It trails on {listing(worse[:3])}." if worse else " It trails on nothing major."
    return (
        f"The report compares it with {facts.peer_count} banks. {ahead}{behind} Peer medians "
        "are a yardstick, not a target: a bank can sit below the median and still be sound, "
        "but a gap that widens quarter after quarter is worth a question to management."
    )


# Experts: their main turn -------------------------------------------------------------------


def _credit(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            f"Thanks, {first_name(HOST)}. This one is unusual for me: the bank reports no loans "
            "at all. So there's no loan book to grade, no nonaccrual loans, no charge-offs, no "
            "loan-loss reserve. Its risk sits in what it holds instead: securities, cash and "
            "balances at other banks, and in running its business well."
        )
    coverage = facts.metric("allowanceCoverage")
    cover = (
        f" The allowance for credit losses covers those nonaccrual loans about "
        f"{coverage / 100:.1f} times over, which the report rates "
        f"{_rated(facts, 'allowanceCoverage')}."
        if coverage is not None
        else " The report could not measure how well the allowance covers problem loans."
    )
    return (
        f"Thanks, {first_name(HOST)}. {_nonaccrual_said(facts)} {_charge_offs_said(facts)}"
        f"{cover} The loan book itself is {money(facts.figure('loans'))}; "
        f"{_over_the_year(facts, 'loanGrowthYoY', 'it', 'is')}.{_fast_growth(facts)}"
    )


def _nonaccrual_said(facts: ReportFacts) -> str:
    if facts.metric("nonaccrualRatio") is None:
        return (
            f"Nonaccrual loans, the ones the bank no longer expects to be paid as agreed, are "
            f"{facts.shown('nonaccrualRatio')} this quarter, so I can't grade the loan book on "
            "them."
        )
    return (
        f"Nonaccrual loans, the ones the bank no longer expects to be paid as agreed, are "
        f"{facts.shown('nonaccrualRatio')} of the loan book"
        f"{_vs_peers(facts, 'nonaccrualRatio')}. On the report's rules that is "
        f"{_rated(facts, 'nonaccrualRatio')}."
        f"{_trend(facts, 'nonaccrualRatio', rules.NONACCRUAL_MOVE)}"
    )


def _charge_offs_said(facts: ReportFacts) -> str:
    if facts.missing("netChargeOffRatio") is Missing.NOT_DERIVED:
        return (
            "Charge-offs for the quarter aren't available: like income, they're reported year "
            "to date, and the quarter before is missing from the data."
        )
    return (
        f"Net charge-offs, the losses actually written off, run at an annualised "
        f"{facts.shown('netChargeOffRatio')}{_vs_peers(facts, 'netChargeOffRatio')}."
    )


def _fast_growth(facts: ReportFacts) -> str:
    growth = facts.metric("loanGrowthYoY")
    if growth is None:
        return ""
    if growth > rules.RAPID_GROWTH:
        return (
            " Growth that fast worries me: new loans look clean for a year or two, and the "
            "problems show up later."
        )
    if growth < rules.SHRINKING:
        return (
            " A shrinking loan book often means the bank is pulling back to protect itself, "
            "which fits what the other figures say."
        )
    return " That pace doesn't worry me on its own; the quality of new lending matters more."


CAPITAL_SAID = (
    ("leverageRatio", "tier one leverage ratio"),
    ("cet1Ratio", "common equity tier one ratio"),
    ("totalCapitalRatio", "total risk-based capital ratio"),
)


def _capital(facts: ReportFacts) -> str:
    if facts.community_leverage:
        detail = (
            f"the leverage ratio is {pct(facts.metric('leverageRatio'))}. The bank files the "
            "short community bank call report and uses the community bank leverage ratio "
            "framework, so it reports no risk-based ratios at all; under that framework it "
            f"needs a leverage ratio above {pct(rules.CBLR_MINIMUM, 0)}"
        )
    else:
        parts = [
            f"the {label} is {facts.shown(metric)}"
            if facts.metric(metric) is None
            else f"the {label} is {pct(facts.metric(metric))} against a well-capitalized "
            f"minimum of {pct(facts.capital_minimum(metric), 1)}"
            for metric, label in CAPITAL_SAID
        ]
        detail = listing(parts)
    return (
        f"The short answer is: {_well_capitalized(facts)}. In detail, {detail}. "
        f"Equity is {money(facts.figure('totalEquity'))}, about "
        f"{facts.shown('equityToAssets', 1)} of assets. {_funding(facts)}"
    )


def _well_capitalized(facts: ReportFacts) -> str:
    if facts.community_leverage:
        leverage = facts.metric("leverageRatio") or 0.0
        if leverage >= rules.CBLR_MINIMUM:
            return "it is well capitalized under the community bank leverage ratio framework"
        return "its leverage ratio is below what the community bank framework requires"
    values = {m: facts.metric(m) for m, _ in CAPITAL_SAID}
    if any(v is None for v in values.values()):
        return "we can't tell for sure, because some capital ratios are not reported"
    if all((v or 0.0) >= facts.capital_minimum(m) for m, v in values.items()):
        return "it clears every well-capitalized minimum"
    return "it falls short of at least one well-capitalized minimum, which is serious"


def _funding(facts: ReportFacts) -> str:
    if facts.no_deposits:
        return (
            "On funding, it takes no deposits, so there's no loan-to-deposit ratio to speak "
            "of: it runs on its own equity and other liabilities."
        )
    deposits = money(facts.figure("totalDeposits"))
    if facts.no_loans:
        return (
            f"On funding, deposits total {deposits}, and since it makes no loans, that money "
            "sits in securities, cash and balances at other banks."
        )
    ratio = facts.metric("loanToDeposit")
    if ratio is None:
        missing = facts.shown("loanToDeposit")
        return f"Deposits total {deposits}; the loan-to-deposit ratio is {missing}."
    if ratio > rules.LOAN_TO_DEPOSIT_HIGH:
        view = "so it lends more than it takes in and leans on other, pricier funding"
    elif ratio < rules.LOAN_TO_DEPOSIT_LOW:
        view = "so much of its deposit money sits in securities and cash rather than loans"
    else:
        view = "a comfortable middle: loans are funded by deposits with room to spare"
    return (
        f"On funding, deposits total {deposits} and the loan-to-deposit ratio is "
        f"{pct(ratio, 1)}, {view}."
    )


def _profitability(facts: ReportFacts) -> str:
    if _income_unknown(facts):
        return (
            "I have to start with a gap. Call reports give income year to date, so a "
            "quarter's own income is this quarter's total minus the last one's, and the "
            "quarter before this one is missing from the data. So we don't know what the bank "
            "earned this quarter, and the return on assets, the margin and the efficiency "
            "ratio are unknown with it. I'd look at the quarters around it before judging "
            "its earnings."
        )
    roa = facts.metric("roa")
    earned = (
        f"The bank lost {money(abs(facts.figure('netIncome') or 0.0))} this quarter, so it is "
        "losing money, and that comes before anything else."
        if roa is not None and roa < 0
        else f"The bank earned {money(facts.figure('netIncome'))} this quarter."
    )
    efficiency = facts.metric("efficiencyRatio")
    cents = (
        f" The efficiency ratio is {pct(efficiency, 1)}, meaning it spends about "
        f"{efficiency:.0f} cents to bring in each dollar of revenue, which is "
        f"{_rated(facts, 'efficiencyRatio')}."
        if efficiency is not None
        else f" The efficiency ratio is {facts.shown('efficiencyRatio')}."
    )
    return (
        f"{earned} Annualised, that is a return on assets of {facts.shown('roa')}"
        f"{_vs_peers(facts, 'roa')}, and a return on equity of {facts.shown('roe', 1)}. "
        f"The report rates that {_rated(facts, 'roa')}. The engine of it is the net interest "
        f"margin, {facts.shown('nim')}{_vs_peers(facts, 'nim')}."
        f"{_trend(facts, 'nim', rules.NIM_MOVE)}{cents}"
    )


def _regulation(facts: ReportFacts) -> str:
    weak = [item.label for item in facts.findings.concerns]
    flags = (
        f"I would flag {listing(weak)}, and I'd want management's plan for each."
        if weak
        else "Nothing in these figures crosses the report's warning lines, so the exam would "
        "focus on the usual suspects: interest-rate risk, concentrations and controls."
    )
    assets = (
        "With no loans, asset quality comes down to its securities and cash."
        if facts.no_loans
        else f"Asset quality is {_rated(facts, 'nonaccrualRatio')} on nonaccrual loans and "
        f"{_rated(facts, 'netChargeOffRatio')} on charge-offs."
    )
    earnings = (
        "Earnings I can't rate this quarter, because its income isn't in the data."
        if _income_unknown(facts)
        else f"Earnings are {_rated(facts, 'roa')} on return on assets."
    )
    return (
        "I'd go in the order examiners use: capital, asset quality, management, earnings, "
        f"liquidity and sensitivity to rates. On capital, {_well_capitalized(facts)}. "
        f"{assets} {earnings} {flags} A caveat: these are the report's rules of thumb, not a "
        "supervisory rating, and examiners see far more than a call report shows."
    )


def _markets(facts: ReportFacts) -> str:
    peer_growth = facts.peer("assetGrowthYoY")
    versus = (
        f", against {growth_words(peer_growth)} for the peer median"
        if peer_growth is not None and facts.peer_count >= 2
        else ""
    )
    growth = (
        f"Assets are {facts.growth('assetGrowthYoY')} over the year{versus}."
        if facts.missing("assetGrowthYoY") is None
        else "Growth over the year we can't measure: the data hold no figures from a year earlier."
    )
    returns = (
        "Returns for the quarter aren't available, since its income isn't in the data."
        if _income_unknown(facts)
        else f"Return on equity is {facts.shown('roe', 1)}{_vs_peers(facts, 'roe')}."
    )
    yields = "asset yields" if facts.no_loans else "loan yields"
    return (
        f"Investors look at two things first: growth and returns. {growth} {returns} A bank "
        "that earns a double-digit return on equity usually earns its cost of capital; below "
        "that, growth destroys value rather than creating it. Then there's rate sensitivity: "
        f"the margin is {facts.shown('nim')}.{_trend(facts, 'nim', rules.NIM_MOVE)} If rates "
        f"fall, the question is how fast {_funding_costs(facts)} follow {yields} down."
    )


def _economy(facts: ReportFacts) -> str:
    market = "its markets" if _national(facts) else facts.place or "its market"
    books = "The report carries no regional economic data, so I'll read the economy through the "
    if facts.no_loans:
        return (
            f"{books}bank's own books, and here that's hard: it makes no loans, so it tells "
            "us nothing about demand for credit. What it does show is how much business "
            f"customers bring it: {_over_the_year(facts, 'assetGrowthYoY', 'its assets')}, "
            f"and it earned {facts.shown('roa')} on them, annualised."
        )
    loans = facts.metric("loanGrowthYoY")
    demand = (
        "healthy demand for credit"
        if loans is not None and loans > 3
        else "soft demand for credit, or a bank choosing to pull back"
    )
    reading = (
        f" That points to {demand} in {market}."
        if loans is not None
        else " Without a year of history, I can't read demand for credit from them."
    )
    paying = (
        "some borrowers are already struggling to pay"
        if facts.rating("netChargeOffRatio") is Rating.WEAK
        else "borrowers are, so far, paying"
    )
    charge_offs = (
        f" Net charge-offs of {facts.shown('netChargeOffRatio')} tell you {paying}; in a "
        "downturn that is the first figure to move, usually a couple of quarters after "
        "unemployment starts to rise."
        if facts.metric("netChargeOffRatio") is not None
        else " In a downturn, charge-offs are the first figure to move, usually a couple of "
        "quarters after unemployment starts to rise."
    )
    return f"{books}bank's own books. {_moves(facts)}{reading}{charge_offs}"


def _moves(facts: ReportFacts) -> str:
    """``Over the year, loans are up 1.6% and deposits down 0.7%.``"""
    known = [
        (noun, facts.growth(metric))
        for noun, metric in (("loans", "loanGrowthYoY"), ("deposits", "depositGrowthYoY"))
        if facts.missing(metric) is None
    ]
    if not known:
        return (
            "How loans and deposits moved over the year we can't say: the data hold no "
            "figures from a year earlier."
        )
    said = [f"{known[0][0]} are {known[0][1]}"] + [f"{noun} {words}" for noun, words in known[1:]]
    return f"Over the year, {' and '.join(said)}."


_MAIN: dict[str, Callable[[ReportFacts], str]] = {
    "credit": _credit,
    "capital": _capital,
    "profitability": _profitability,
    "regulation": _regulation,
    "markets": _markets,
    "economy": _economy,
}


# Experts answering each other ----------------------------------------------------------------


def _reply_credit(facts: ReportFacts, to: Expert) -> str:
    if facts.no_loans:
        return (
            f"{first_name(to)}, from my side there's nothing to add on loans, because there "
            "are none: no credit losses can eat into what you described. The risk to watch is "
            "in its securities, whose value moves with interest rates."
        )
    if facts.metric("netChargeOffRatio") is None or facts.metric("nonaccrualRatio") is None:
        return (
            f"{first_name(to)}, I'd tie that back to the loan book, though the data leave gaps "
            f"there this quarter: net charge-offs are {facts.shown('netChargeOffRatio')} and "
            f"nonaccrual loans {facts.shown('nonaccrualRatio')}. That is the link I'd check "
            "first next quarter."
        )
    return (
        f"{first_name(to)}, I'd tie that back to the loan book. With net charge-offs at "
        f"{facts.shown('netChargeOffRatio')} and nonaccrual loans at "
        f"{facts.shown('nonaccrualRatio')}, credit losses are "
        f"{'not yet' if facts.rating('netChargeOffRatio') is not Rating.WEAK else 'already'} "
        "eating into what you described. That is the link to watch."
    )


def _reply_capital(facts: ReportFacts, to: Expert) -> str:
    leverage = facts.metric("leverageRatio")
    cushion = (
        f"a leverage ratio of {pct(leverage)} leaves "
        f"{leverage - facts.capital_minimum('leverageRatio'):.1f} points above the "
        "well-capitalized line"
        if leverage is not None
        else "we can't size the cushion without a leverage ratio"
    )
    return (
        f"And {first_name(to)}, that's exactly where capital comes in. Equity of "
        f"{money(facts.figure('totalEquity'))} is what absorbs a bad year, and {cushion}."
    )


def _reply_profitability(facts: ReportFacts, to: Expert) -> str:
    income = facts.figure("netIncome")
    if _income_unknown(facts):
        return (
            f"I agree with {first_name(to)}, and I'd add that earnings are the first line of "
            "defence. This quarter we can't see that line, since its income isn't in the "
            "data, so capital carries more of the argument than usual."
        )
    if income is not None and income < 0:
        return (
            f"I'd add one thing to what {first_name(to)} said: earnings are the first line of "
            f"defence, and here that line is gone. A quarterly loss of {money(abs(income))} "
            "comes straight out of capital."
        )
    return (
        f"I agree with {first_name(to)}, and I'd add that earnings are the first line of "
        f"defence. This quarter the bank earned {money(income)} before anything touched "
        f"capital, a return on assets of {facts.shown('roa')}."
    )


def _reply_regulation(facts: ReportFacts, to: Expert) -> str:
    return (
        f"{first_name(to)} is right to start there, and an examiner would ask the same "
        f"question. The first test is whether the bank stays well capitalized, and on these "
        f"figures {_well_capitalized(facts)}."
    )


def _reply_markets(facts: ReportFacts, to: Expert) -> str:
    if _income_unknown(facts):
        return (
            f"From the market's side, {first_name(to)}, that would show up in return on "
            "equity, and this quarter we can't see it. Investors pay for returns they believe "
            "will last, so they'd wait for the next report."
        )
    return (
        f"From the market's side, {first_name(to)}, that shows up in return on equity, "
        f"{facts.shown('roe', 1)}{_vs_peers(facts, 'roe')}. Investors pay for returns "
        "they believe will last."
    )


def _reply_economy(facts: ReportFacts, to: Expert) -> str:
    market = "its markets are" if _national(facts) else "the local market is"
    if facts.no_loans or facts.missing("depositGrowthYoY") is not None:
        return (
            f"{first_name(to)}, the economy sits behind all of that, even if this bank's books "
            f"don't show it directly: {_over_the_year(facts, 'assetGrowthYoY', 'its assets')}."
        )
    return (
        f"{first_name(to)}, the economy sits behind all of that. Loan growth of "
        f"{facts.growth('loanGrowthYoY')} and deposit growth of "
        f"{facts.growth('depositGrowthYoY')} over the year show what {market} willing to "
        "borrow and save."
    )


_REPLIES: dict[str, Callable[[ReportFacts, Expert], str]] = {
    "credit": _reply_credit,
    "capital": _reply_capital,
    "profitability": _reply_profitability,
    "regulation": _reply_regulation,
    "markets": _reply_markets,
    "economy": _reply_economy,
}


# One figure to watch --------------------------------------------------------------------------


def _watch_credit(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            "Whether it starts lending. A first loan book is where a bank like this would "
            "take on credit risk, and I'd want to see how it builds it."
        )
    return (
        f"Nonaccrual loans, now {facts.shown('nonaccrualRatio')}. If that climbs while "
        "charge-offs stay low, trouble is coming, not gone."
    )


def _watch_regulation(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            "Its securities. With no loans, a fall in their market value is what would eat "
            "into capital, so I'd read the unrealized losses closely."
        )
    return (
        "Any change in the allowance for credit losses. Examiners read a falling reserve "
        "against rising problem loans as a red flag."
    )


def _watch_economy(facts: ReportFacts) -> str:
    if facts.no_deposits:
        return (
            f"Its assets: {_over_the_year(facts, 'assetGrowthYoY', 'they')}. With no "
            "deposits, that is where the business its customers bring shows first."
        )
    if facts.missing("depositGrowthYoY") is not None:
        return (
            "Deposit growth, once the data hold a full year of it. When local savings slow, "
            "lending follows."
        )
    return (
        f"Deposit growth, now {facts.growth('depositGrowthYoY')} a year. When savings slow, "
        "lending follows."
    )


_WATCH: dict[str, Callable[[ReportFacts], str]] = {
    "credit": _watch_credit,
    "capital": lambda f: (
        f"The leverage ratio, now {f.shown('leverageRatio')}. Fast growth or a loss "
        "would show up there first."
    ),
    "profitability": lambda f: (
        f"The net interest margin, now {f.shown('nim')}. It drives most of the "
        "earnings, so small moves matter."
    ),
    "regulation": _watch_regulation,
    "markets": lambda f: (
        f"Return on equity, now {f.shown('roe', 1)}. That is the number the market prices."
    ),
    "economy": _watch_economy,
}


# What could go wrong ------------------------------------------------------------------------


def _risk_credit(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            "Its securities. With no loans, its risk sits in what it invests in, and rising "
            "rates cut the market value of a securities book, as 2022 showed."
        )
    return (
        "Concentration. A call report doesn't show which borrowers or industries the loans "
        "go to, and a handful of large ones can turn a clean book quickly. I'd ask about "
        "commercial real estate first."
    )


def _risk_capital(facts: ReportFacts) -> str:
    if facts.no_deposits:
        return (
            "Ratios are a snapshot. With no deposits, it can't suffer a run of depositors, "
            "but I'd want to know how quickly its other liabilities could be called, and what "
            "backs them."
        )
    return (
        "Ratios are a snapshot. A fast run of deposits, like the ones we saw in 2023, can "
        "drain liquidity long before capital looks thin, so I'd want to know how much of "
        f"those {money(facts.figure('totalDeposits'))} in deposits is uninsured."
    )


def _risk_profitability(facts: ReportFacts) -> str:
    yields = "asset yields" if facts.no_loans else "loan yields"
    costs = _funding_costs(facts)
    if facts.metric("efficiencyRatio") is None:
        return f"Margins compress when {costs} rise faster than {yields}."
    return (
        f"Margins compress when {costs} rise faster than {yields}. With an "
        f"efficiency ratio of {facts.shown('efficiencyRatio', 1)}, there is "
        f"{'little' if facts.rating('efficiencyRatio') is Rating.WEAK else 'some'} room to "
        "absorb that."
    )


def _risk_economy(facts: ReportFacts) -> str:
    if facts.no_loans:
        return (
            "A downturn in its customers' business. With no borrowers, the economy reaches it "
            "through the fees and balances its customers bring, and the value of what it holds."
        )
    if _national(facts):
        return (
            "A national slowdown. A bank of this size lends across the country, so rising "
            "unemployment anywhere would reach its borrowers within a few quarters."
        )
    return (
        "A local slowdown. A bank of this size lends mostly close to home, so job losses in "
        f"{facts.place or 'its market'} would reach its borrowers within a few quarters."
    )


_RISKS: dict[str, Callable[[ReportFacts], str]] = {
    "credit": _risk_credit,
    "capital": _risk_capital,
    "profitability": _risk_profitability,
    "regulation": lambda f: (
        "Management. The call report can't show the quality of controls, and many problem "
        "banks looked fine on paper a year before they got into trouble."
    ),
    "markets": lambda f: (
        "Sentiment. Bank shares trade as a group, so even a sound bank's valuation falls when "
        "a peer fails. Investors would watch deposit flows very closely."
    ),
    "economy": _risk_economy,
}
