"""Write a synthetic sample in the FFIEC CDR "Call Reports -- Single Period" bulk format.

    python -m ingest.sample [OUT_DIR] [--banks N] [--quarters 20230331,...]

Every bank is invented: names end " (SYNTHETIC)" and RSSD ids start at 9 900 001, far above
any id the Federal Reserve has assigned (real ids are below 6 000 000). The output is one
folder per quarter, named like the CDR zip, plus a Readme.txt; the same arguments always
give the same bytes (seeded random, no clock).

The files carry the quirks of the real ones: quoted "IDRSSD" header cell, a caption row,
trailing tabs, CRLF line ends, RCFD (form 031) and RCON (041/051) filers, RC-R Part I split
in two files, blank and CONF cells, percent strings in RC-R, a quoted name holding a quote,
an address holding a tab, and year-to-date income.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chalicelib.errors import excerpt
from chalicelib.numbers import whole_number

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "sample" / "ffiec"
DEFAULT_QUARTERS: tuple[str, ...] = (
    "20230331", "20230630", "20230930", "20231231",
    "20240331", "20240630", "20240930", "20241231",
)  # fmt: skip
FIRST_ID = 9_900_001
SEED = 20241231

# (name, city, state, filing type, total assets at start in $000, growth per quarter, stress)
# stress 0 = healthy … 1 = deteriorating credit and capital.
# fmt: off
NAMED_BANKS: tuple[tuple[str, str, str, str, int, float, float], ...] = (
    ("Granite Peak Bank", "Denver", "CO", "041", 8_400_000, 0.020, 0.0),
    ("Harbor Light Savings Bank", "Providence", "RI", "041", 3_100_000, -0.025, 1.0),
    ("Atlantic Meridian Bank, N.A.", "Charlotte", "NC", "031", 182_000_000, 0.008, 0.15),
    ("Pacific Crest Trust Company", "San Francisco", "CA", "031", 96_500_000, 0.006, 0.2),
    ("Lakeshore National Bank", "Chicago", "IL", "031", 61_000_000, 0.004, 0.3),
    ('Farmers "Cooperative" Bank', "Ames", "IA", "051", 410_000, 0.010, 0.1),
    ("Banco Peñasco", "Española", "NM", "051", 265_000, 0.012, 0.25),
    ("Prairie Wind State Bank", "Salina", "KS", "051", 188_000, 0.005, 0.1),
    ("Blue Ridge Community Bank", "Roanoke", "VA", "041", 1_450_000, 0.015, 0.2),
    ("Delta Cotton Bank & Trust", "Greenville", "MS", "051", 520_000, -0.004, 0.55),
    ("Silver State Bank", "Reno", "NV", "041", 2_250_000, 0.030, 0.35),
    ("Cascade Timber Bank", "Eugene", "OR", "041", 1_020_000, 0.003, 0.4),
    ("Bayou Teche Savings", "Lafayette", "LA", "051", 330_000, 0.000, 0.6),
    ("Green Mountain Mutual Bank", "Burlington", "VT", "051", 690_000, 0.007, 0.05),
    ("Sunbelt Commerce Bank", "Phoenix", "AZ", "041", 5_600_000, 0.025, 0.3),
    ("Keystone Valley Bank", "Harrisburg", "PA", "041", 3_800_000, 0.004, 0.2),
    ("Lone Star Ranchers Bank", "Amarillo", "TX", "051", 870_000, 0.011, 0.15),
    ("Great Lakes Industrial Bank", "Cleveland", "OH", "041", 12_300_000, -0.006, 0.5),
    ("Magnolia Heritage Bank", "Jackson", "MS", "051", 240_000, 0.002, 0.3),
    ("Twin Cities Savings Bank", "Saint Paul", "MN", "041", 4_700_000, 0.009, 0.1),
    ("Copper Basin Bank", "Butte", "MT", "051", 155_000, 0.006, 0.2),
    ("Hudson River Trust", "Albany", "NY", "041", 9_900_000, 0.005, 0.25),
    ("Palmetto Coastal Bank", "Charleston", "SC", "041", 2_900_000, 0.018, 0.15),
    ("Aloha Island Bank", "Honolulu", "HI", "041", 7_100_000, 0.003, 0.2),
    ("Sooner Plains Bank", "Tulsa", "OK", "051", 610_000, 0.008, 0.35),
)
# fmt: on

_WORDS_A = ("North", "South", "First", "Citizens", "Peoples", "Union", "Heritage", "Valley",
            "River", "Summit", "Frontier", "Liberty", "Pioneer", "Central", "Harvest")  # fmt: skip
_WORDS_B = ("State Bank", "Savings Bank", "National Bank", "Trust Company", "Community Bank",
            "Bank & Trust", "Commerce Bank", "Farmers Bank")  # fmt: skip
_PLACES = (("Springfield", "IL"), ("Columbus", "GA"), ("Madison", "WI"), ("Fresno", "CA"),
           ("Boise", "ID"), ("Macon", "GA"), ("Fargo", "ND"), ("Tyler", "TX"),
           ("Dayton", "OH"), ("Ogden", "UT"), ("Joplin", "MO"), ("Bangor", "ME"))  # fmt: skip

POR_HEADER = (
    "IDRSSD", "FDIC Certificate Number", "OCC Charter Number", "OTS Docket Number",
    "Primary ABA Routing Number", "Financial Institution Name", "Financial Institution Address",
    "Financial Institution City", "Financial Institution State", "Financial Institution Zip Code",
    "Financial Institution Filing Type", "Last Date/Time Submission Updated On",
)  # fmt: skip

# Schedule layouts: (code, caption). "{P}" is RCFD/RCON (RCFA/RCOA in RC-R) by filing type;
# fixed prefixes are written as they are.
# fmt: off
SCHEDULES: dict[str, tuple[tuple[str, str], ...]] = {
    "RC": (
        ("{P}0081", "NONINTEREST-BEARING BALANCES AND CURRENCY AND COIN"),
        ("{P}0071", "INTEREST-BEARING BALANCES"),
        ("{P}JJ34", "HELD-TO-MATURITY SECURITIES"),
        ("{P}1773", "AVAILABLE-FOR-SALE DEBT SECURITIES"),
        ("RCONB987", "FEDERAL FUNDS SOLD IN DOMESTIC OFFICES"),
        ("{P}B989", "SECURITIES PURCHASED UNDER AGREEMENTS TO RESELL"),
        ("{P}5369", "LOANS AND LEASES HELD FOR SALE"),
        ("{P}B528", "LOANS AND LEASES HELD FOR INVESTMENT"),
        ("{P}3123", "ALLOWANCE FOR CREDIT LOSSES ON LOANS AND LEASES"),
        ("{P}B529", "LOANS AND LEASES, NET OF UNEARNED INCOME AND ALLOWANCE"),
        ("{P}3545", "TRADING ASSETS"),
        ("{P}2170", "TOTAL ASSETS"),
        ("RCON2200", "TOTAL DEPOSITS IN DOMESTIC OFFICES"),
        ("RCFN2200", "TOTAL DEPOSITS IN FOREIGN OFFICES"),
        ("{P}2948", "TOTAL LIABILITIES"),
        ("{P}3210", "TOTAL BANK EQUITY CAPITAL"),
    ),
    "RCK": (
        ("{P}3360", "TOTAL LOANS (QUARTERLY AVERAGE)"),
        ("{P}3368", "TOTAL ASSETS (QUARTERLY AVERAGE)"),
    ),
    "RCN": (
        ("{P}1406", "TOTAL LOANS PAST DUE 30-89 DAYS"),
        ("{P}1407", "TOTAL LOANS PAST DUE 90 DAYS OR MORE AND STILL ACCRUING"),
        ("{P}1403", "TOTAL NONACCRUAL LOANS"),
    ),
    "RI": (
        ("RIAD4107", "TOTAL INTEREST INCOME"),
        ("RIAD4073", "TOTAL INTEREST EXPENSE"),
        ("RIAD4074", "NET INTEREST INCOME"),
        ("RIADJJ33", "PROVISIONS FOR CREDIT LOSSES"),
        ("RIAD4079", "TOTAL NONINTEREST INCOME"),
        ("RIAD4093", "TOTAL NONINTEREST EXPENSE"),
        ("RIAD4301", "INCOME BEFORE INCOME TAXES"),
        ("RIAD4302", "APPLICABLE INCOME TAXES"),
        ("RIAD4340", "NET INCOME"),
    ),
    "RIBI": (
        ("RIAD4635", "TOTAL CHARGE-OFFS"),
        ("RIAD4605", "TOTAL RECOVERIES"),
    ),
    "RCRI(1 of 2)": (
        ("{A}8274", "TIER 1 CAPITAL"),
        ("{A}7204", "TIER 1 LEVERAGE RATIO"),
        ("{A}P793", "COMMON EQUITY TIER 1 CAPITAL RATIO"),
    ),
    "RCRI(2 of 2)": (
        ("{A}7206", "TIER 1 CAPITAL RATIO"),
        ("{A}7205", "TOTAL CAPITAL RATIO"),
    ),
}
# fmt: on


@dataclass(frozen=True)
class BankSpec:
    idrssd: int
    name: str
    city: str
    state: str
    filing_type: str
    assets: int
    growth: float
    stress: float
    fdic_cert: int


def bank_specs(n_banks: int, seed: int = SEED, first_id: int = FIRST_ID) -> list[BankSpec]:
    """The named banks first, then generated ones; every name ends " (SYNTHETIC)"."""
    rng = random.Random(seed)
    specs: list[BankSpec] = []
    for index in range(n_banks):
        if index < len(NAMED_BANKS):
            name, city, state, filing, assets, growth, stress = NAMED_BANKS[index]
        else:
            name = (
                f"{_WORDS_A[index % len(_WORDS_A)]} {_WORDS_B[(index // 15) % len(_WORDS_B)]}"
                f" {index:05d}"
            )
            city, state = _PLACES[index % len(_PLACES)]
            assets = int(math.exp(rng.uniform(math.log(90_000), math.log(30_000_000))))
            filing = "051" if assets < 1_000_000 else "041"
            growth = rng.uniform(-0.02, 0.03)
            stress = rng.random() ** 2
        specs.append(
            BankSpec(
                idrssd=first_id + index,
                name=f"{name} (SYNTHETIC)",
                city=city,
                state=state,
                filing_type=filing,
                assets=assets,
                growth=growth,
                stress=stress,
                fdic_cert=90_000 + index,
            )
        )
    return specs


def _quarter_index(quarter: str) -> int:
    return int(quarter[4:6]) // 3


EARNING_SHARE = 0.93  # of assets
DEPOSIT_SHARE = 0.88  # of liabilities (and of assets, for the cost of funding)


def simulate(spec: BankSpec, quarters: Sequence[str], seed: int) -> dict[str, dict[str, float]]:
    """Balance sheet and year-to-date income per quarter, consistent with each other.

    Assets = liabilities + equity every quarter; equity moves by net income less dividends;
    income comes from the balance sheet (yields on earning assets, cost of deposits).
    """
    rng = random.Random(seed * 1_000_003 + spec.idrssd)
    assets = float(spec.assets)
    equity_ratio = 0.105 - 0.02 * spec.stress + rng.uniform(-0.01, 0.01)
    equity = assets * equity_ratio
    loan_share = rng.uniform(0.55, 0.72)
    loans = assets * loan_share
    previous_assets, previous_loans = assets, loans
    ytd: dict[str, float] = {}
    out: dict[str, dict[str, float]] = {}
    for step, quarter in enumerate(quarters):
        # Stress builds over time, so stressed banks visibly deteriorate.
        strain = spec.stress * (0.4 + 0.6 * step / max(1, len(quarters) - 1))
        assets = previous_assets * (1 + spec.growth + rng.uniform(-0.006, 0.006))
        loans = assets * loan_share * (1 + rng.uniform(-0.01, 0.01))
        average_assets = (assets + previous_assets) / 2
        average_loans = (loans + previous_loans) / 2
        flows = _flows(average_assets, average_loans, strain, rng)
        dividends = max(0.0, flows["netIncome"] * 0.4)
        equity = equity + flows["netIncome"] - dividends + assets * rng.uniform(-0.0015, 0.0015)
        if _quarter_index(quarter) == 1:
            ytd = {}
        for name, value in flows.items():
            ytd[name] = ytd.get(name, 0.0) + value
        figures = _balances(spec, assets, equity, loans, loan_share, strain)
        figures["averageAssets"] = average_assets
        figures["averageLoans"] = average_loans
        figures["leverageRatio"] = 100 * figures["tier1Capital"] / average_assets
        figures.update({f"ytd:{name}": value for name, value in ytd.items()})
        out[quarter] = figures
        previous_assets, previous_loans = assets, loans
    return out


def _flows(
    average_assets: float, average_loans: float, strain: float, rng: random.Random
) -> dict[str, float]:
    """One quarter's income statement from its average balances."""
    interest_income = average_assets * EARNING_SHARE * (0.050 + 0.004 * strain) / 4
    interest_expense = average_assets * DEPOSIT_SHARE * (0.019 + 0.014 * strain) / 4
    noninterest_income = average_assets * rng.uniform(0.004, 0.008) / 4
    noninterest_expense = average_assets * (0.024 + 0.010 * strain) / 4
    provision = average_loans * (0.002 + 0.030 * strain**1.5) / 4
    charge_offs = average_loans * (0.0015 + 0.024 * strain**1.5) / 4
    recoveries = charge_offs * rng.uniform(0.10, 0.20)
    net_interest = interest_income - interest_expense
    pre_tax = net_interest + noninterest_income - noninterest_expense - provision
    taxes = max(0.0, pre_tax * 0.21)
    return {
        "interestIncome": interest_income,
        "interestExpense": interest_expense,
        "netInterestIncome": net_interest,
        "provision": provision,
        "noninterestIncome": noninterest_income,
        "noninterestExpense": noninterest_expense,
        "preTaxIncome": pre_tax,
        "incomeTaxes": taxes,
        "netIncome": pre_tax - taxes,
        "chargeOffs": charge_offs,
        "recoveries": recoveries,
    }


def _balances(
    spec: BankSpec, assets: float, equity: float, loans: float, loan_share: float, strain: float
) -> dict[str, float]:
    """The quarter-end balance sheet, problem loans and risk-based capital ratios."""
    allowance = loans * (0.011 + 0.022 * strain)
    securities = assets * 0.20
    tier1 = equity * 0.96
    risk_weighted = assets * (0.62 + 0.1 * loan_share)
    return {
        "totalAssets": assets,
        "totalEquity": equity,
        "loans": loans,
        "allowance": allowance,
        "securitiesHTM": securities * 0.3,
        "securitiesAFS": securities * 0.7,
        "interestBearingBalances": assets * 0.05,
        "cash": assets * 0.012,
        "fedFundsSold": assets * 0.004,
        "reverseRepos": assets * 0.006,
        "loansHeldForSale": assets * 0.003,
        "tradingAssets": assets * 0.01 if spec.filing_type == "031" else 0.0,
        "deposits": (assets - equity) * DEPOSIT_SHARE,
        "pastDue30to89": loans * (0.004 + 0.012 * strain),
        "pastDue90Plus": loans * (0.0008 + 0.004 * strain),
        "nonaccrualLoans": loans * (0.003 + 0.045 * strain**1.5),
        "tier1Capital": tier1,
        "cet1Ratio": 100 * tier1 / risk_weighted,
        "tier1Ratio": 100 * tier1 / risk_weighted,
        "totalCapitalRatio": 100 * (tier1 + min(allowance, 0.0125 * risk_weighted)) / risk_weighted,
    }


def _cells(values: Iterable[str]) -> str:
    # CDR rows end with a tab and CRLF.
    return "\t".join(values) + "\t\r\n"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _amount(value: float) -> str:
    return str(round(value))


def _percent(value: float) -> str:
    return f"{value:.4f}%"


def _row_values(spec: BankSpec, figures: dict[str, float]) -> dict[str, str]:
    """Cell text per code for one bank in one schedule."""
    big = spec.filing_type == "031"
    p = "RCFD" if big else "RCON"
    a = "RCFA" if big else "RCOA"
    domestic = figures["deposits"] * (0.85 if big else 1.0)
    out: dict[str, str] = {}
    amounts = {
        "0081": "cash", "0071": "interestBearingBalances", "JJ34": "securitiesHTM",
        "1773": "securitiesAFS", "B989": "reverseRepos", "5369": "loansHeldForSale",
        "B528": "loans", "3123": "allowance", "3545": "tradingAssets", "2170": "totalAssets",
        "3210": "totalEquity", "3360": "averageLoans", "3368": "averageAssets",
        "1406": "pastDue30to89", "1407": "pastDue90Plus", "1403": "nonaccrualLoans",
    }  # fmt: skip
    for suffix, name in amounts.items():
        out[p + suffix] = _amount(figures[name])
    if big:
        # Form 031 filers also report the domestic-office items of RC-N (RCON).
        out.update({"RCON" + s: _amount(figures[n] * 0.9) for s, n in amounts.items()
                    if s in {"1406", "1407", "1403"}})  # fmt: skip
    out[p + "B529"] = _amount(figures["loans"] - figures["allowance"])
    liabilities = round(figures["totalAssets"]) - round(figures["totalEquity"])
    out[p + "2948"] = str(liabilities)
    out["RCON2200"] = _amount(domestic)
    out["RCFN2200"] = _amount(figures["deposits"] - domestic) if big else ""
    out["RCONB987"] = _amount(figures["fedFundsSold"]) if spec.filing_type != "031" else ""
    out[a + "8274"] = _amount(figures["tier1Capital"])
    for suffix, name in (("7204", "leverageRatio"), ("P793", "cet1Ratio"),
                         ("7206", "tier1Ratio"), ("7205", "totalCapitalRatio")):  # fmt: skip
        out[a + suffix] = _percent(figures[name])
    ri = {
        "4107": "interestIncome", "4073": "interestExpense", "4074": "netInterestIncome",
        "JJ33": "provision", "4079": "noninterestIncome", "4093": "noninterestExpense",
        "4301": "preTaxIncome", "4302": "incomeTaxes", "4340": "netIncome",
        "4635": "chargeOffs", "4605": "recoveries",
    }  # fmt: skip
    for suffix, name in ri.items():
        out["RIAD" + suffix] = _amount(figures[f"ytd:{name}"])
    return out


def _header(schedule: str) -> tuple[list[str], list[str]]:
    """Codes and captions of a schedule, with both the RCFD and the RCON variant."""
    codes: list[str] = []
    captions: list[str] = []
    for code, caption in SCHEDULES[schedule]:
        variants = (
            [code.replace("{P}", "RCFD"), code.replace("{P}", "RCON")]
            if "{P}" in code
            else [code.replace("{A}", "RCFA"), code.replace("{A}", "RCOA")]
            if "{A}" in code
            else [code]
        )
        for variant in variants:
            if variant not in codes:
                codes.append(variant)
                captions.append(caption)
    return codes, captions


def _quirks(spec: BankSpec, index: int, quarter: str, values: dict[str, str]) -> None:
    """Blank and CONF cells where real files have them (deterministic per bank/quarter)."""
    if index == 3:  # a 031 filer keeps its past-due detail confidential
        values["RCFD1406"] = "CONF"
        values["RCON1406"] = "CONF"
    if index == 7 and quarter.endswith("1231"):
        values["RCOAP793"] = "CONF"
    if index % 5 == 4:  # some banks leave optional items blank
        values["RCON3360"] = ""
        values["RCFD3360"] = ""
    if spec.filing_type == "051":
        values["RCON3545"] = ""  # small banks have no trading assets line


def _por_row(spec: BankSpec, quarter: str, index: int) -> str:
    address = f"{100 + index} Main Street"
    if index == 5:
        address = f"{100 + index} Main Street\tSuite 2"  # a tab inside a quoted cell
    year, month = int(quarter[:4]), int(quarter[4:6]) + 1
    if month > 12:
        year, month = year + 1, 1
    stamp = f"{year}-{month:02d}-15T09:30:00"
    return _cells(
        [
            str(spec.idrssd),
            str(spec.fdic_cert),
            "0",
            "0",
            f"{990_000_000 + index:09d}",
            _quote(spec.name),
            _quote(address),
            _quote(spec.city),
            _quote(spec.state),
            f"{10_000 + index:05d}",
            spec.filing_type,
            stamp,
        ]
    )


def write_quarter(
    folder: Path,
    quarter: str,
    specs: Sequence[BankSpec],
    figures: dict[int, dict[str, dict[str, float]]],
) -> None:
    """The POR file and every schedule file of one quarter."""
    folder.mkdir(parents=True, exist_ok=True)
    mmddyyyy = f"{quarter[4:6]}{quarter[6:]}{quarter[:4]}"
    por = [_cells(_quote(title) for title in POR_HEADER)]
    por.extend(_por_row(spec, quarter, index) for index, spec in enumerate(specs))
    (folder / f"FFIEC CDR Call Bulk POR {mmddyyyy}.txt").write_bytes("".join(por).encode())
    for schedule in SCHEDULES:
        codes, captions = _header(schedule)
        lines = [_cells(['"IDRSSD"', *codes]), _cells(["", *(_quote(c) for c in captions)])]
        for index, spec in enumerate(specs):
            values = _row_values(spec, figures[spec.idrssd][quarter])
            _quirks(spec, index, quarter, values)
            row = [values.get(code, "") for code in codes]
            lines.append(_cells([str(spec.idrssd), *row]))
        base, _, part = schedule.partition("(")
        suffix = f"({part}" if part else ""
        name = f"FFIEC CDR Call Schedule {base} {mmddyyyy}{suffix}.txt"
        (folder / name).write_bytes("".join(lines).encode())


README = """SYNTHETIC DATA -- NOT REAL BANKS

Every institution in these files is invented by ingest/sample.py (seed {seed}).
Names end with "(SYNTHETIC)" and RSSD ids are {first}..{last}, a range the Federal Reserve
has not assigned to any institution. The files follow the FFIEC CDR "Call Reports -- Single
Period" tab-delimited bulk format so that the importer can be exercised offline; the figures
are plausible but describe no real bank.

Regenerate with:  python -m ingest.sample
"""


def generate(
    out_dir: Path | str = DEFAULT_OUT,
    n_banks: int = len(NAMED_BANKS),
    quarters: Sequence[str] = DEFAULT_QUARTERS,
    seed: int = SEED,
    first_id: int = FIRST_ID,
) -> Path:
    """Write the sample; return the output folder."""
    if first_id + n_banks - 1 > 9_999_999_999:
        raise ValueError("ids must stay within 10 digits")
    out = Path(out_dir)
    specs = bank_specs(n_banks, seed, first_id)
    figures = {spec.idrssd: simulate(spec, quarters, seed) for spec in specs}
    for quarter in quarters:
        folder = out / f"FFIEC CDR Call Bulk All Schedules {quarter[4:6]}{quarter[6:]}{quarter[:4]}"
        write_quarter(folder, quarter, specs, figures)
    readme = README.format(seed=seed, first=first_id, last=first_id + n_banks - 1)
    (out / "Readme.txt").write_bytes(readme.encode())
    return out


MAX_BANKS = 100_000
_QUARTER_END = re.compile(r"[0-9]{4}(0331|0630|0930|1231)")


def argument_problem(banks: str, quarters: str, seed: str) -> str | None:
    """A sentence about the first unusable argument, or ``None``."""
    count = whole_number(banks, max_digits=6)
    if count is None or not 1 <= count <= MAX_BANKS:
        return f"--banks must be a whole number from 1 to {MAX_BANKS:,}, not '{excerpt(banks)}'."
    for quarter in quarters.split(","):
        if not _QUARTER_END.fullmatch(quarter):
            return (
                f"--quarters must list quarter ends as YYYYMMDD separated by commas (such as "
                f"20240331,20240630), not '{excerpt(quarter)}'."
            )
    if whole_number(seed, max_digits=18) is None:
        return f"--seed must be a whole number, not '{excerpt(seed)}'."
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    parser.add_argument("--banks", default=str(len(NAMED_BANKS)))
    parser.add_argument("--quarters", default=",".join(DEFAULT_QUARTERS))
    parser.add_argument("--seed", default=str(SEED))
    args = parser.parse_args(argv)
    problem = argument_problem(args.banks, args.quarters, args.seed)
    if problem is not None:
        print(problem, file=sys.stderr)  # one line, no traceback
        return 2
    banks, quarters = int(args.banks), tuple(sorted(set(args.quarters.split(","))))
    out = generate(args.out, banks, quarters, int(args.seed))
    print(f"wrote {banks} synthetic banks to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
