"""The one table mapping our figure names to Federal Reserve MDRM codes of the Call Report.

Each line: figure name, schedule, MDRM codes in order of preference, kind, flow.
Codes are tried in order and the first one reported wins, which is how "RCFD before RCON"
is expressed: form 031 filers report consolidated (RCFD / RCFA) items, forms 041 and 051
domestic (RCON / RCOA) ones. ``flow`` marks income-statement items, which the bulk files
carry year-to-date. Amounts are in thousands of dollars; ``percent`` items are in percent
units as reported (``"9.1154%"`` is 9.1154).

Sources: FFIEC 031/041/051 forms and the Federal Reserve MDRM data dictionary. Provisions
moved from RIAD4230 to RIADJJ33 with CECL (ASU 2016-13), so both are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["amount", "percent"]
# Amounts are whole thousands of dollars (int); percent items keep their exact digits.
Value = int | Decimal


@dataclass(frozen=True)
class Field:
    name: str
    schedule: str
    codes: tuple[str, ...]
    kind: Kind = "amount"
    flow: bool = False
    description: str = ""


# fmt: off
FIELDS: tuple[Field, ...] = (
    # Schedule RC — balance sheet (period end)
    Field("totalAssets", "RC", ("RCFD2170", "RCON2170"), description="Total assets"),
    Field("totalLiabilities", "RC", ("RCFD2948", "RCON2948"), description="Total liabilities"),
    Field("totalEquity", "RC", ("RCFD3210", "RCON3210"), description="Total bank equity capital"),
    Field("domesticDeposits", "RC", ("RCON2200",), description="Deposits in domestic offices"),
    Field("foreignDeposits", "RC", ("RCFN2200",), description="Deposits in foreign offices"),
    Field("loans", "RC", ("RCFDB528", "RCONB528", "RCFD2122", "RCON2122"),
          description="Loans and leases held for investment, net of unearned income"),
    Field("allowance", "RC", ("RCFD3123", "RCON3123"),
          description="Allowance for credit losses on loans and leases"),
    Field("loansHeldForSale", "RC", ("RCFD5369", "RCON5369"), description="Loans held for sale"),
    Field("cash", "RC", ("RCFD0081", "RCON0081"), description="Noninterest-bearing balances"),
    Field("interestBearingBalances", "RC", ("RCFD0071", "RCON0071"),
          description="Interest-bearing balances due from depository institutions"),
    Field("securitiesHTM", "RC", ("RCFDJJ34", "RCONJJ34", "RCFD1754", "RCON1754"),
          description="Held-to-maturity securities"),
    Field("securitiesAFS", "RC", ("RCFD1773", "RCON1773"),
          description="Available-for-sale securities"),
    Field("fedFundsSold", "RC", ("RCONB987",), description="Federal funds sold"),
    Field("reverseRepos", "RC", ("RCFDB989", "RCONB989"),
          description="Securities purchased under agreements to resell"),
    Field("tradingAssets", "RC", ("RCFD3545", "RCON3545"), description="Trading assets"),
    # Schedule RC-K — quarterly averages
    Field("averageAssets", "RCK", ("RCFD3368", "RCON3368"), description="Average total assets"),
    Field("averageLoans", "RCK", ("RCFD3360", "RCON3360"), description="Average total loans"),
    # Schedule RC-N — past due and nonaccrual (period end)
    Field("pastDue30to89", "RCN", ("RCFD1406", "RCON1406"),
          description="Loans 30-89 days past due, total"),
    Field("pastDue90Plus", "RCN", ("RCFD1407", "RCON1407"),
          description="Loans 90+ days past due and still accruing, total"),
    Field("nonaccrualLoans", "RCN", ("RCFD1403", "RCON1403"),
          description="Nonaccrual loans, total"),
    # Schedule RI — income statement (year to date in the files, quarterly once imported)
    Field("interestIncome", "RI", ("RIAD4107",), flow=True, description="Total interest income"),
    Field("interestExpense", "RI", ("RIAD4073",), flow=True, description="Total interest expense"),
    Field("netInterestIncome", "RI", ("RIAD4074",), flow=True, description="Net interest income"),
    Field("provision", "RI", ("RIADJJ33", "RIAD4230"), flow=True,
          description="Provisions for credit losses"),
    Field("noninterestIncome", "RI", ("RIAD4079",), flow=True,
          description="Total noninterest income"),
    Field("noninterestExpense", "RI", ("RIAD4093",), flow=True,
          description="Total noninterest expense"),
    Field("preTaxIncome", "RI", ("RIAD4301",), flow=True, description="Income before income taxes"),
    Field("incomeTaxes", "RI", ("RIAD4302",), flow=True, description="Applicable income taxes"),
    Field("netIncome", "RI", ("RIAD4340",), flow=True, description="Net income"),
    # Schedule RI-B Part I — charge-offs and recoveries (year to date in the files)
    Field("chargeOffs", "RIBI", ("RIAD4635",), flow=True, description="Total loan charge-offs"),
    Field("recoveries", "RIBI", ("RIAD4605",), flow=True, description="Total loan recoveries"),
    # Schedule RC-R Part I — regulatory capital (ratios in percent, as reported)
    Field("tier1Capital", "RCRI", ("RCFA8274", "RCOA8274"), description="Tier 1 capital"),
    Field("leverageRatio", "RCRI", ("RCFA7204", "RCOA7204"), "percent",
          description="Tier 1 leverage ratio"),
    Field("cet1Ratio", "RCRI", ("RCFAP793", "RCOAP793"), "percent",
          description="Common equity tier 1 capital ratio"),
    Field("tier1Ratio", "RCRI", ("RCFA7206", "RCOA7206"), "percent",
          description="Tier 1 capital ratio"),
    Field("totalCapitalRatio", "RCRI", ("RCFA7205", "RCOA7205"), "percent",
          description="Total capital ratio"),
)
# fmt: on

FIELDS_BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}
FLOW_FIELDS: tuple[str, ...] = tuple(field.name for field in FIELDS if field.flow)
STOCK_FIELDS: tuple[str, ...] = tuple(field.name for field in FIELDS if not field.flow)
WANTED_CODES: frozenset[str] = frozenset(code for field in FIELDS for code in field.codes)
CODE_KIND: dict[str, Kind] = {code: field.kind for field in FIELDS for code in field.codes}

# Schedules whose codes we read. Others in a real bulk zip are recognised and skipped.
USED_SCHEDULES: frozenset[str] = frozenset(field.schedule for field in FIELDS)
# Schedules that must be present for a quarter to be imported (RC-K is optional).
REQUIRED_SCHEDULES: frozenset[str] = frozenset({"RC", "RI", "RCN", "RCRI", "RIBI"})

# Every schedule a CDR "Call Reports -- Single Period" zip holds (2001 to date). A name not
# in this list is an error rather than silently skipped, so that a typo is noticed.
KNOWN_SCHEDULES: frozenset[str] = frozenset(
    {
        "RC", "RCA", "RCB", "RCCI", "RCCII", "RCD", "RCE", "RCEI", "RCEII", "RCF", "RCG",
        "RCH", "RCI", "RCK", "RCL", "RCM", "RCN", "RCO", "RCP", "RCQ", "RCRI", "RCRIA",
        "RCRIB", "RCRII", "RCS", "RCT", "RCV", "RI", "RIA", "RIBI", "RIBII", "RIC", "RICI",
        "RICII", "RID", "RIE", "ENT", "CI", "GCI", "GI", "GL", "LEO", "NARR", "SU",
    }
)  # fmt: skip

# Names of the filing types as the POR panel writes them.
FILING_TYPES: frozenset[str] = frozenset({"031", "041", "051"})


def total_deposits(values: dict[str, Value | None]) -> Value | None:
    """Deposits in domestic plus foreign offices (RCON2200 + RCFN2200)."""
    domestic = values.get("domesticDeposits")
    foreign = values.get("foreignDeposits")
    if domestic is None and foreign is None:
        return None
    return (domestic or 0) + (foreign or 0)
