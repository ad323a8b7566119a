"""The figures a real bank's report and podcast quote are the call report's: each is checked
against the value this test reads itself, with a plain csv read of the shipped zip's
schedule files (never through the importer)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import PurePath

import pytest

from chalicelib.reports.numbers import money
from tests.real_files import quarter_zip
from tests.reports.real_banks import (
    JPMORGAN,
    XENIA_FLORA,
    Made,
    import_real,
    make_all,
    moto_account,
)

QUARTERS = ["20230930", "20231231", "20240331", "20240630"]


def schedule_row(quarter: str, schedule: str, idrssd: str) -> dict[str, str]:
    """One bank's cells in one schedule of one quarter (its ``(1 of 2)`` and ``(2 of 2)``
    files joined), code → text as filed, read from the zip."""
    row: dict[str, str] = {}
    with zipfile.ZipFile(quarter_zip(quarter)) as archive:
        for member in archive.namelist():
            if not PurePath(member).name.startswith(f"FFIEC CDR Call Schedule {schedule} "):
                continue
            reader = csv.reader(io.StringIO(archive.read(member).decode("latin-1")), delimiter="\t")
            codes = [code.strip().strip('"') for code in next(reader)]
            for cells in reader:
                if cells and cells[0].strip().strip('"') == idrssd:
                    row.update(zip(codes, (cell.strip() for cell in cells), strict=False))
    assert row, (quarter, schedule, idrssd)
    return row


def amount(row: dict[str, str], *codes: str) -> int:
    """The first of ``codes`` the bank filed (RCFD, consolidated, before RCON), in
    thousands of dollars."""
    return int(next(row[code] for code in codes if row.get(code)))


def net_income(quarter: str, idrssd: str) -> int:
    """The quarter's own net income: RIAD4340 is year to date."""
    ytd = int(schedule_row(quarter, "RI", idrssd)["RIAD4340"])
    if quarter.endswith("0331"):
        return ytd
    before = {"0630": "0331", "0930": "0630", "1231": "0930"}[quarter[4:]]
    return ytd - int(schedule_row(quarter[:4] + before, "RI", idrssd)["RIAD4340"])


def filed(idrssd: str, quarter: str = "20240630") -> dict[str, int]:
    """The amounts the report should quote for the quarter, read from the files."""
    balance = schedule_row(quarter, "RC", idrssd)
    past_due = schedule_row(quarter, "RCN", idrssd)
    averages = schedule_row(quarter, "RCK", idrssd)
    return {
        "totalAssets": amount(balance, "RCFD2170", "RCON2170"),
        "loans": amount(balance, "RCFDB528", "RCONB528"),
        "totalDeposits": int(balance["RCON2200"]) + int(balance.get("RCFN2200") or 0),
        "totalEquity": amount(balance, "RCFD3210", "RCON3210"),
        "netIncome": net_income(quarter, idrssd),
        "nonaccrualLoans": amount(past_due, "RCFD1403", "RCON1403"),
        "averageAssets": amount(averages, "RCFD3368", "RCON3368"),
    }


def leverage_ratio(idrssd: str, quarter: str = "20240630") -> Decimal:
    """RC-R Part I's tier 1 leverage ratio, filed as text with a "%"."""
    capital = schedule_row(quarter, "RCRI", idrssd)
    return Decimal(next(capital[c] for c in ("RCFA7204", "RCOA7204") if capital.get(c)).rstrip("%"))


@pytest.fixture(scope="module")
def made() -> Iterator[dict[str, Made]]:
    with moto_account() as aws:
        import_real(aws, [JPMORGAN, XENIA_FLORA], QUARTERS)
        yield make_all(aws, [JPMORGAN, XENIA_FLORA])


@pytest.mark.parametrize("idrssd", [JPMORGAN, XENIA_FLORA])  # FFIEC 031 and 051
def test_the_key_figures_are_the_call_reports(made: dict[str, Made], idrssd: str) -> None:
    report, values = made[idrssd].report, filed(idrssd)
    assert report["asOf"] == "20240630"
    for name in ("totalAssets", "loans", "totalDeposits", "totalEquity", "netIncome"):
        assert report["keyFigures"][name] == values[name], name
    assert Decimal(str(report["keyMetrics"]["leverageRatio"])) == leverage_ratio(idrssd)


@pytest.mark.parametrize("idrssd", [JPMORGAN, XENIA_FLORA])
def test_the_sections_quote_the_call_reports_amounts(made: dict[str, Made], idrssd: str) -> None:
    bank, values = made[idrssd], filed(idrssd)
    assets, loans = values["totalAssets"], values["loans"]
    balance = bank.section("balance_sheet")
    assert f"Total assets stood at {money(assets)} at June 30, 2024" in balance
    assert f"Loans of {money(loans)} make up {100 * loans / assets:.0f}% of assets" in balance
    deposits = re.escape(money(values["totalDeposits"]))
    assert re.search(rf"(leaving deposits of|Deposits stood at) {deposits}\b", balance)
    profitability = bank.section("profitability")
    income = values["netIncome"]
    assert f"The bank earned {money(income)} in Q2 2024" in profitability
    roa = income * 4 / values["averageAssets"] * 100  # annualised, on RC-K's average
    assert f"return on assets of {roa:.2f}%" in profitability
    quality = bank.section("asset_quality")
    assert f"Nonaccrual loans were {money(values['nonaccrualLoans'])}" in quality
    assert f"| Tier 1 leverage | {leverage_ratio(idrssd):.2f}% |" in bank.section(
        "capital_liquidity"
    )


@pytest.mark.parametrize("idrssd", [JPMORGAN, XENIA_FLORA])
def test_the_podcast_quotes_the_same_figures(made: dict[str, Made], idrssd: str) -> None:
    script, values = made[idrssd].script, filed(idrssd)
    assert f"a bank with {money(values['totalAssets'])} in total assets" in script
    assert f"loans of {money(values['loans'])}" in script
    assert f"deposits of {money(values['totalDeposits'])}" in script
    assert f"net income of {money(values['netIncome'])} for the quarter" in script
    assert f"Equity is {money(values['totalEquity'])}" in script


def test_jpmorgan_is_three_and_a_half_trillion(made: dict[str, Made]) -> None:
    assert filed(JPMORGAN)["totalAssets"] == 3_510_536_000  # thousands, as the file says
    assert "is a $3.51 trillion bank" in made[JPMORGAN].section("executive_summary")


@pytest.mark.parametrize("idrssd", [JPMORGAN, XENIA_FLORA])
def test_the_series_is_the_call_reports_and_a_gap_is_a_gap(
    made: dict[str, Made], idrssd: str
) -> None:
    rows = {row["quarter"]: row for row in made[idrssd].report["series"]}
    assert sorted(rows) == QUARTERS
    for quarter in QUARTERS:
        values = filed(idrssd, quarter)
        assert rows[quarter]["totalAssets"] == values["totalAssets"], quarter
        assert rows[quarter]["loans"] == values["loans"], quarter
        if quarter != QUARTERS[0]:
            assert rows[quarter]["netIncome"] == net_income(quarter, idrssd), quarter
    # 2023-06-30 is not in the cut: the first quarter's own income cannot be derived.
    assert rows[QUARTERS[0]]["netIncome"] is None and rows[QUARTERS[0]]["roa"] is None
