"""Reports and podcasts of real banks at the extremes the shipped files hold: they read well
and say true things (a loss said as a loss, no ratios of loans a bank does not make, no
growth across a gap, "not available" for history that is not in the data)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.experts import PANEL
from chalicelib.podcasts import bedrock_writer as podcast_prompts
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.script import MAX_MINUTES, MIN_MINUTES, WORDS_PER_MINUTE
from chalicelib.reports import bedrock_writer as report_prompts
from chalicelib.reports.numbers import money
from chalicelib.reports.sections import SECTIONS
from tests.reports.real_banks import (
    BLACKROCK_TRUST,
    FLAGSTAR,
    JPMORGAN,
    SILICON_VALLEY,
    SUMITOMO_TRUST,
    USAA,
    XENIA_FLORA,
    Made,
    import_real,
    make_all,
    moto_account,
)
from tests.reports.test_real_figures import schedule_row

BANKS = [JPMORGAN, SILICON_VALLEY, FLAGSTAR, SUMITOMO_TRUST, BLACKROCK_TRUST, XENIA_FLORA, USAA]
# What a report or a podcast must never say of real data.
NEVER = re.compile(
    r"\bNone\b(?! of)|\bnan\b|\$0\b(?![.,]\d)|(?<![\d.])0(\.0+)?% of (loans|deposits|assets)"
    r"|not (reported|available|applicable) of"
)


@pytest.fixture(scope="module")
def made() -> Iterator[dict[str, Made]]:
    with moto_account() as aws:
        import_real(aws, BANKS)
        yield make_all(aws, BANKS)


def test_every_real_report_and_podcast_reads_as_prose(made: dict[str, Made]) -> None:
    for idrssd, bank in made.items():
        for text in (bank.text, bank.script):
            assert not NEVER.search(text), (idrssd, NEVER.search(text))
            shouting = set(re.findall(r"\b[A-Z]{4,}\b", text)) - {"USAA", "FFIEC"}
            assert not shouting, (idrssd, shouting)  # no name or city left in capitals
        minutes = bank.podcast["words"] / WORDS_PER_MINUTE
        assert MIN_MINUTES <= minutes <= MAX_MINUTES, (idrssd, minutes)
        # "not reported" only where the bank filed and left items out: the CBLR bank's
        # risk-based capital ratios. Every other blank here is history not in the data.
        if idrssd != XENIA_FLORA:
            assert "not reported" not in bank.text + bank.script, idrssd


def test_jpmorgan_is_quoted_at_its_size_and_named_with_care(made: dict[str, Made]) -> None:
    bank = made[JPMORGAN]
    summary = bank.section("executive_summary")
    assert "**JPMorgan Chase Bank, National Association** is a $3.51 trillion bank based in " \
        "Columbus, Ohio." in summary  # fmt: skip
    assert "Q2 2022 to Q2 2024 (Q1 2023 is missing from the data)" in summary
    assert bank.report["bank"]["name"] == "JPMORGAN CHASE BANK, NATIONAL ASSOCIATION"  # as filed
    assert "Today we're looking at JPMorgan Chase Bank, based in Columbus, Ohio, a bank with " \
        "$3.51 trillion in total assets" in bank.script  # fmt: skip
    assert "Loans of $1.31 trillion make up 37% of assets" in bank.section("balance_sheet")
    # Q2 2023, a year before, has no quarterly income (Q1 2023 is missing): no trend in
    # the margin is claimed, and the podcast says the comparison is not available.
    assert "from a year earlier" not in bank.section("profitability")
    assert "The figure for a year earlier isn't available" in bank.script
    assert "lends across the country" in bank.script  # not "close to home"
    notes = bank.section("risks_outlook")
    assert "Income for Q2 2022 and Q2 2023 is not available" in notes
    assert "import that quarter" not in notes  # the importer's advice is for operators


def test_a_bank_that_stopped_filing_is_reported_as_of_its_last_quarter(
    made: dict[str, Made],
) -> None:
    bank = made[SILICON_VALLEY]
    assert bank.report["asOf"] == "20221231"
    balance = bank.section("balance_sheet")
    assert "down 0.6% on the quarter" in balance
    assert "Growth over the year is not available: the data hold no figures for Q4 2021" in balance
    assert "on the year" not in balance.replace("not available", "")  # no growth across the gap
    assert "**Securities-heavy balance sheet**: securities are 56% of assets" in bank.text
    assert "we can't measure how it moved over the year" in bank.script


def test_a_loss_is_said_as_a_loss(made: dict[str, Made]) -> None:
    bank = made[FLAGSTAR]
    half_year = int(schedule_row("20240630", "RI", FLAGSTAR)["RIAD4340"])
    first_quarter = int(schedule_row("20240331", "RI", FLAGSTAR)["RIAD4340"])
    loss = half_year - first_quarter
    assert loss < 0
    assert f"The bank lost {money(-loss)} in Q2 2024" in bank.section("profitability")
    assert "It lost money in the quarter: an annualised return on assets of -" in bank.text
    assert "under significant stress: it is losing money" in bank.text
    assert f"a loss of {money(-loss)} for the quarter" in bank.script
    assert "earned" not in bank.section("profitability")


def test_a_bank_with_no_loans_gets_no_loan_ratios(made: dict[str, Made]) -> None:
    bank = made[SUMITOMO_TRUST]
    assert int(schedule_row("20240630", "RC", SUMITOMO_TRUST)["RCONB528"]) == 0
    assert "It makes no loans, so the report's credit ratios do not apply to it." in bank.text
    assert "The bank reports no loans: cash and balances at other banks make up" in bank.text
    quality = bank.section("asset_quality")
    assert "no nonaccrual loans, charge-offs or loan-loss allowance to judge" in quality
    assert "%" not in quality
    assert "It makes no loans: its deposits of $2.97 billion are held in" in bank.text
    assert "new loans" not in bank.text
    assert "the bank reports no loans at all" in bank.script
    assert "nonaccrual loans, now" not in bank.script.lower()


def test_a_trust_bank_with_no_deposits_gets_no_deposit_ratios(made: dict[str, Made]) -> None:
    bank = made[BLACKROCK_TRUST]
    deposits = schedule_row("20240630", "RC", BLACKROCK_TRUST)
    assert int(deposits["RCON2200"]) == 0
    assert "BlackRock Institutional Trust Company, National Association" in bank.text
    assert "It makes no loans and takes no deposits" in bank.text
    assert "The bank takes no deposits and makes no loans: the loan-to-deposit ratio does " \
        "not apply." in bank.text  # fmt: skip
    assert "of deposits" not in bank.text and "deposit growth" not in bank.script.lower()
    assert "uninsured" not in bank.script and "deposits total" not in bank.script
    assert "it makes no loans and takes no deposits" in bank.script
    assert "funding costs" in bank.script and "deposit costs" not in bank.script


def test_a_community_bank_leverage_ratio_bank_reports_no_risk_based_ratios(
    made: dict[str, Made],
) -> None:
    bank = made[XENIA_FLORA]
    capital = schedule_row("20240630", "RCRI", XENIA_FLORA)
    assert capital["RCOA7204"].strip() and not capital["RCOAP793"].strip()  # as filed
    table = bank.section("capital_liquidity")
    assert "| Common equity tier 1 | not reported | 6.5% | — |" in table
    assert "| Tier 1 leverage | 10.33% | 9.0% | +1.33 pp |" in table
    assert "community bank leverage ratio framework" in table
    other = bank.text.replace(table, "")
    assert "not reported" not in other  # the only blanks it filed
    assert "First Community Bank Xenia-Flora" in bank.text and "Xenia, Illinois" in bank.text
    assert "well capitalized under the community bank leverage ratio framework" in bank.script


def test_names_are_spoken_letter_by_letter_where_they_are_letters(made: dict[str, Made]) -> None:
    bank = made[USAA]
    assert "USAA Federal Savings Bank, based in Phoenix, Arizona" in bank.script
    spoken = " ".join(bank.spoken)
    assert "U.S.A.A Federal Savings Bank" in spoken and "USAA" not in spoken


def prompt_data(prompt: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(prompt.split("Data:\n", 1)[1])
    return data


def test_the_models_are_told_why_each_blank_is_blank(made: dict[str, Made]) -> None:
    assert report_prompts.BLANKS_RULE in report_prompts.SYSTEM_PROMPT
    assert report_prompts.BLANKS_RULE in podcast_prompts.SYSTEM_PROMPT
    facts = {bank: PodcastBrief.from_report(made[bank].report).facts for bank in made}
    capital = next(section for section in SECTIONS if section.id == "capital_liquidity")
    cblr = prompt_data(report_prompts.prompt(capital, facts[XENIA_FLORA]))
    assert cblr["blanks"]["cet1Ratio"] == "not reported"
    assert cblr["bank"]["communityBankLeverageRatioFramework"] is True
    assert cblr["well_capitalized_minimums"]["leverageRatio"] == 9.0
    no_loans = prompt_data(report_prompts.prompt(capital, facts[SUMITOMO_TRUST]))
    assert no_loans["blanks"]["nonaccrualRatio"] == "not applicable"
    assert no_loans["bank"]["noLoans"] is True and no_loans["bank"]["noDeposits"] is False
    svb = prompt_data(report_prompts.prompt(SECTIONS[1], facts[SILICON_VALLEY]))
    assert svb["blanks"]["assetGrowthYoY"] == "not available"
    assert svb["dataNotes"][0].startswith("Income for Q2 2022 is not available")
    assert svb["bank"]["name"] == "Silicon Valley Bank" and svb["bank"]["state"] == "California"
    experts = [expert for expert in PANEL if expert.id in {"credit", "capital"}]
    spoken = prompt_data(podcast_prompts.prompt(PodcastBrief.from_report(made[JPMORGAN].report),
                                                experts))  # fmt: skip
    assert spoken["bank"]["spokenName"] == "JPMorgan Chase Bank"
    assert "not reported" not in json.dumps(spoken["blanks"])
