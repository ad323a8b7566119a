"""The offline script writer: a deterministic dialogue built from the report's figures.

Every figure spoken comes from the report (via ``PodcastBrief``), and every judgement from
the same findings the report was written from (``chalicelib.reports.findings``); a missing
figure is said to be missing rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.experts import HOST, Expert
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.script import Line, Script
from chalicelib.reports import rules
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.numbers import growth_words, money, pct, points, quarter_end
from chalicelib.reports.rules import Rating

SYNTHETIC_WORDS = " (SYNTHETIC)"
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
    return facts.name.replace(SYNTHETIC_WORDS, "").strip()


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
    if change is None or abs(change) < threshold:
        return " It has held steady over the past year."
    return f" That is {points(change)} from a year earlier."


def _synthetic_note(facts: ReportFacts) -> str:
    if not facts.synthetic:
        return ""
    return (
        " One thing to say up front: this bank and its figures are synthetic, generated for "
        "demonstration, and describe no real institution."
    )


def _listing(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# Host ---------------------------------------------------------------------------------------


def _opening(facts: ReportFacts, experts: Sequence[Expert]) -> str:
    place = f", based in {facts.place}" if facts.place else ""
    panel = _listing([f"{e.name}, our {e.title.lower()}" for e in experts])
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
    result = (
        f"a loss of {money(abs(income))}"
        if income is not None and income < 0
        else f"net income of {money(income)}"
    )
    return (
        f"The headline numbers: loans of {money(facts.figure('loans'))}, deposits of "
        f"{money(facts.figure('totalDeposits'))}, and {result} for the quarter."
    )


def _closing(facts: ReportFacts, experts: Sequence[Expert]) -> str:
    findings = facts.findings
    strong = [item.label for item in findings.strengths]
    weak = [item.label for item in findings.concerns]
    if len(weak) == 1:
        concerns = f"The figure to keep an eye on is the {weak[0]}."
    elif weak:
        concerns = f"The figures to keep an eye on are {_listing(weak[:3])}."
    else:
        concerns = "None of its figures crosses the report's warning thresholds."
    strengths = f" Its strengths are {_listing(strong[:3])}." if strong else ""
    synthetic = (
        " And remember, the bank we discussed is synthetic: useful for practice, not for decisions."
        if facts.synthetic
        else ""
    )
    thanks = _listing([first_name(e) for e in experts])
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
    if expert.id in {"profitability", "markets"}:
        other = (
            f"on credit, nonaccrual loans are {pct(facts.metric('nonaccrualRatio'))} of loans "
            f"and net charge-offs {pct(facts.metric('netChargeOffRatio'))}"
        )
    else:
        other = (
            f"on earnings, the return on assets is {pct(facts.metric('roa'))} and the net "
            f"interest margin {pct(facts.metric('nim'))}"
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
    ahead = f"It is ahead of the peer median on {_listing(better[:3])}." if better else ""
    behind = f" It trails on {_listing(worse[:3])}." if worse else " It trails on nothing major."
    return (
        f"The report compares it with {facts.peer_count} banks. {ahead}{behind} Peer medians "
        "are a yardstick, not a target: a bank can sit below the median and still be sound, "
        "but a gap that widens quarter after quarter is worth a question to management."
    )


# Experts: their main turn -------------------------------------------------------------------


def _credit(facts: ReportFacts) -> str:
    nonaccrual, nco = facts.metric("nonaccrualRatio"), facts.metric("netChargeOffRatio")
    coverage = facts.metric("allowanceCoverage")
    cover = (
        f" The allowance for credit losses covers those nonaccrual loans about "
        f"{coverage / 100:.1f} times over, which the report rates "
        f"{_rated(facts, 'allowanceCoverage')}."
        if coverage is not None
        else " The report could not measure how well the allowance covers problem loans."
    )
    return (
        f"Thanks, {first_name(HOST)}. Nonaccrual loans, the ones the bank no longer expects to "
        f"be paid as agreed, are {pct(nonaccrual)} of the loan book"
        f"{_vs_peers(facts, 'nonaccrualRatio')}. On the report's rules that is "
        f"{_rated(facts, 'nonaccrualRatio')}."
        f"{_trend(facts, 'nonaccrualRatio', rules.NONACCRUAL_MOVE)} Net charge-offs, the losses "
        f"actually written off, run at an annualised {pct(nco)}"
        f"{_vs_peers(facts, 'netChargeOffRatio')}.{cover} The loan book itself is "
        f"{money(facts.figure('loans'))}, {growth_words(facts.metric('loanGrowthYoY'))} over "
        f"the year.{_fast_growth(facts)}"
    )


def _fast_growth(facts: ReportFacts) -> str:
    growth = facts.metric("loanGrowthYoY")
    if growth is not None and growth > rules.RAPID_GROWTH:
        return (
            " Growth that fast worries me: new loans look clean for a year or two, and the "
            "problems show up later."
        )
    if growth is not None and growth < rules.SHRINKING:
        return (
            " A shrinking loan book often means the bank is pulling back to protect itself, "
            "which fits what the other figures say."
        )
    return " That pace doesn't worry me on its own; the quality of new lending matters more."


def _capital(facts: ReportFacts) -> str:
    parts = []
    for metric, label in (
        ("leverageRatio", "tier one leverage ratio"),
        ("cet1Ratio", "common equity tier one ratio"),
        ("totalCapitalRatio", "total risk-based capital ratio"),
    ):
        value, minimum = facts.metric(metric), rules.WELL_CAPITALIZED[metric]
        if value is None:
            parts.append(f"the {label} is not reported")
        else:
            parts.append(
                f"the {label} is {pct(value)} against a well-capitalized minimum of "
                f"{pct(minimum, 1)}"
            )
    return (
        f"The short answer is: {_well_capitalized(facts)}. In detail, {_listing(parts)}. "
        f"Equity is {money(facts.figure('totalEquity'))}, about "
        f"{pct(facts.metric('equityToAssets'), 1)} of assets. {_funding(facts)}"
    )


def _well_capitalized(facts: ReportFacts) -> str:
    values = {m: facts.metric(m) for m in ("leverageRatio", "cet1Ratio", "totalCapitalRatio")}
    if any(v is None for v in values.values()):
        return "we can't tell for sure, because some capital ratios are missing"
    if all((v or 0.0) >= rules.WELL_CAPITALIZED[m] for m, v in values.items()):
        return "it clears every well-capitalized minimum"
    return "it falls short of at least one well-capitalized minimum, which is serious"


def _funding(facts: ReportFacts) -> str:
    ratio = facts.metric("loanToDeposit")
    deposits = money(facts.figure("totalDeposits"))
    if ratio is None:
        return f"Deposits total {deposits}; the loan-to-deposit ratio is not reported."
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
        else " The efficiency ratio is not reported."
    )
    return (
        f"{earned} Annualised, that is a return on assets of {pct(roa)}"
        f"{_vs_peers(facts, 'roa')}, and a return on equity of {pct(facts.metric('roe'), 1)}. "
        f"The report rates that {_rated(facts, 'roa')}. The engine of it is the net interest "
        f"margin, {pct(facts.metric('nim'))}{_vs_peers(facts, 'nim')}."
        f"{_trend(facts, 'nim', rules.NIM_MOVE)}{cents}"
    )


def _regulation(facts: ReportFacts) -> str:
    weak = [item.label for item in facts.findings.concerns]
    flags = (
        f"I would flag {_listing(weak)}, and I'd want management's plan for each."
        if weak
        else "Nothing in these figures crosses the report's warning lines, so the exam would "
        "focus on the usual suspects: interest-rate risk, concentrations and controls."
    )
    return (
        "I'd go in the order examiners use: capital, asset quality, management, earnings, "
        f"liquidity and sensitivity to rates. On capital, {_well_capitalized(facts)}. "
        f"Asset quality is {_rated(facts, 'nonaccrualRatio')} on nonaccrual loans and "
        f"{_rated(facts, 'netChargeOffRatio')} on charge-offs. Earnings are "
        f"{_rated(facts, 'roa')} on return on assets. {flags} A caveat: these are the report's "
        "rules of thumb, not a supervisory rating, and examiners see far more than a call "
        "report shows."
    )


def _markets(facts: ReportFacts) -> str:
    growth = facts.metric("assetGrowthYoY")
    peer_growth = facts.peer("assetGrowthYoY")
    versus = (
        f", against {growth_words(peer_growth)} for the peer median"
        if peer_growth is not None and facts.peer_count >= 2
        else ""
    )
    return (
        f"Investors look at two things first: growth and returns. Assets are "
        f"{growth_words(growth)} over the year{versus}. Return on equity is "
        f"{pct(facts.metric('roe'), 1)}{_vs_peers(facts, 'roe')}. A bank that earns a double-"
        "digit return on equity usually earns its cost of capital; below that, growth "
        f"destroys value rather than creating it. Then there's rate sensitivity: the margin is "
        f"{pct(facts.metric('nim'))}.{_trend(facts, 'nim', rules.NIM_MOVE)} If rates fall, "
        "the question is how fast deposit costs follow loan yields down."
    )


def _economy(facts: ReportFacts) -> str:
    place = facts.place or "its market"
    loans = facts.metric("loanGrowthYoY")
    demand = (
        "healthy demand for credit"
        if loans is not None and loans > 3
        else "soft demand for credit, or a bank choosing to pull back"
    )
    return (
        "The report carries no regional economic data, so I'll read the economy through the "
        f"bank's own books. Over the year, loans are {growth_words(loans)} and deposits "
        f"{growth_words(facts.metric('depositGrowthYoY'))}. That points to {demand} in "
        f"{place}. Net charge-offs of {pct(facts.metric('netChargeOffRatio'))} tell you "
        "borrowers are, so far, paying; in a downturn that is the first figure to move, "
        "usually a couple of quarters after unemployment starts to rise."
    )


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
    return (
        f"{first_name(to)}, I'd tie that back to the loan book. With net charge-offs at "
        f"{pct(facts.metric('netChargeOffRatio'))} and nonaccrual loans at "
        f"{pct(facts.metric('nonaccrualRatio'))}, credit losses are "
        f"{'not yet' if facts.rating('netChargeOffRatio') is not Rating.WEAK else 'already'} "
        "eating into what you described. That is the link to watch."
    )


def _reply_capital(facts: ReportFacts, to: Expert) -> str:
    leverage = facts.metric("leverageRatio")
    cushion = (
        f"a leverage ratio of {pct(leverage)} leaves "
        f"{leverage - rules.WELL_CAPITALIZED['leverageRatio']:.1f} points above the "
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
    if income is not None and income < 0:
        return (
            f"I'd add one thing to what {first_name(to)} said: earnings are the first line of "
            f"defence, and here that line is gone. A quarterly loss of {money(abs(income))} "
            "comes straight out of capital."
        )
    return (
        f"I agree with {first_name(to)}, and I'd add that earnings are the first line of "
        f"defence. This quarter the bank earned {money(income)} before anything touched "
        f"capital, a return on assets of {pct(facts.metric('roa'))}."
    )


def _reply_regulation(facts: ReportFacts, to: Expert) -> str:
    return (
        f"{first_name(to)} is right to start there, and an examiner would ask the same "
        f"question. The first test is whether the bank stays well capitalized, and on these "
        f"figures {_well_capitalized(facts)}."
    )


def _reply_markets(facts: ReportFacts, to: Expert) -> str:
    return (
        f"From the market's side, {first_name(to)}, that shows up in return on equity, "
        f"{pct(facts.metric('roe'), 1)}{_vs_peers(facts, 'roe')}. Investors pay for returns "
        "they believe will last."
    )


def _reply_economy(facts: ReportFacts, to: Expert) -> str:
    return (
        f"{first_name(to)}, the economy sits behind all of that. Loan growth of "
        f"{growth_words(facts.metric('loanGrowthYoY'))} and deposit growth of "
        f"{growth_words(facts.metric('depositGrowthYoY'))} over the year show what the local "
        "market is willing to borrow and save."
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

_WATCH: dict[str, Callable[[ReportFacts], str]] = {
    "credit": lambda f: (
        f"Nonaccrual loans, now {pct(f.metric('nonaccrualRatio'))}. If that climbs while "
        "charge-offs stay low, trouble is coming, not gone."
    ),
    "capital": lambda f: (
        f"The leverage ratio, now {pct(f.metric('leverageRatio'))}. Fast growth or a loss "
        "would show up there first."
    ),
    "profitability": lambda f: (
        f"The net interest margin, now {pct(f.metric('nim'))}. It drives most of the "
        "earnings, so small moves matter."
    ),
    "regulation": lambda f: (
        "Any change in the allowance for credit losses. Examiners read a falling reserve "
        "against rising problem loans as a red flag."
    ),
    "markets": lambda f: (
        f"Return on equity, now {pct(f.metric('roe'), 1)}. That is the number the market prices."
    ),
    "economy": lambda f: (
        f"Deposit growth, now {growth_words(f.metric('depositGrowthYoY'))} a year. When local "
        "savings slow, lending follows."
    ),
}


# What could go wrong ------------------------------------------------------------------------

_RISKS: dict[str, Callable[[ReportFacts], str]] = {
    "credit": lambda f: (
        "Concentration. A call report doesn't show which borrowers or industries the loans "
        "go to, and a handful of large ones can turn a clean book quickly. I'd ask about "
        "commercial real estate first."
    ),
    "capital": lambda f: (
        "Ratios are a snapshot. A fast run of deposits, like the ones we saw in 2023, can "
        "drain liquidity long before capital looks thin, so I'd want to know how much of "
        f"those {money(f.figure('totalDeposits'))} in deposits is uninsured."
    ),
    "profitability": lambda f: (
        "Margins compress when deposit costs rise faster than loan yields. With an "
        f"efficiency ratio of {pct(f.metric('efficiencyRatio'), 1)}, there is "
        f"{'little' if f.rating('efficiencyRatio') is Rating.WEAK else 'some'} room to "
        "absorb that."
    ),
    "regulation": lambda f: (
        "Management. The call report can't show the quality of controls, and many problem "
        "banks looked fine on paper a year before they got into trouble."
    ),
    "markets": lambda f: (
        "Sentiment. Bank shares trade as a group, so even a sound bank's valuation falls when "
        "a peer fails. Investors would watch deposit flows very closely."
    ),
    "economy": lambda f: (
        "A local slowdown. A bank of this size lends mostly close to home, so job losses in "
        f"{f.place or 'its market'} would reach its borrowers within a few quarters."
    ),
}
