"""Reports and podcasts of a real bank where the data have gaps: history not loaded is
*not available* (never "not reported"), and nothing grows across a missing quarter."""

from __future__ import annotations

import re

import pytest

from tests.moto_account import Aws
from tests.real_files import quarter_zip
from tests.reports.real_banks import JPMORGAN, import_real, make_all


@pytest.fixture
def jpmorgan_two_quarters(aws: Aws) -> Aws:
    import_real(aws, [JPMORGAN], ["20240331", "20240630"])
    return aws


def test_history_not_loaded_is_not_available_not_unreported(jpmorgan_two_quarters: Aws) -> None:
    """The case seen on JPMorgan after importing two quarters: "Loans were not reported and
    deposits not reported over the year" blamed the bank for history not loaded."""
    bank = make_all(jpmorgan_two_quarters, [JPMORGAN], ["credit", "economy"])[JPMORGAN]
    assert "not reported" not in bank.text + bank.script
    balance = bank.section("balance_sheet")
    assert "up 0.2% on the quarter" in balance
    assert "Growth over the year is not available: the data hold no figures for Q2 2023" in balance
    assert "Deposits stood at $2.49 trillion." in balance
    assert "we can't say: the data hold no figures from a year earlier" in bank.script


@pytest.fixture
def jpmorgan_after_the_gap(aws: Aws) -> Aws:
    import_real(aws, [JPMORGAN], ["20220630", "20221231", "20230630"])
    return aws


def test_the_quarter_after_the_gap_has_no_income_and_no_quarterly_growth(
    jpmorgan_after_the_gap: Aws,
) -> None:
    bank = make_all(jpmorgan_after_the_gap, [JPMORGAN], ["profitability", "markets"])[JPMORGAN]
    assert bank.report["asOf"] == "20230630"
    profitability = bank.section("profitability")
    assert "The bank's income for Q2 2023 is not available" in profitability
    assert "Q1 2023 is not in the data" in profitability
    assert "%" not in profitability and "earned" not in profitability
    balance = bank.section("balance_sheet")
    assert "on the quarter" not in balance  # Q1 2023 is missing: no quarterly growth
    assert re.search(r"((up|down) \d+\.\d%|flat) on the year", balance)  # Q2 2022 is loaded
    assert "I have to start with a gap" in bank.script
    assert quarter_zip("20230331").exists() is False  # the gap is the data's, not the cut's
