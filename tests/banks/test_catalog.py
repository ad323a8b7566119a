"""BankCatalog search and profile over a moto Banks table holding the sample, and the AWS
calls each costs."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.errors import BankNotFound, InvalidQuery, NoBankData
from chalicelib.banks.lookup import BankLookup
from chalicelib.banks.records import IndexEntry
from chalicelib.banks.search import (
    CHECK_SECONDS,
    CONTROL_CATEGORIES,
    CONTROL_CHARACTER,
    SearchIndex,
    normalise,
)
from chalicelib.banks.table import BanksTable
from ingest.importer import BankImporter
from ingest.reference import ReferenceBank, read_reference_banks
from tests.fakes import CallLog, counting_calls
from tests.moto_account import Aws

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"


class FakeClock:
    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


@dataclass
class Counted:
    """A catalog whose Banks table is reached through a session whose calls are counted."""

    catalog: BankCatalog
    banks: BanksTable
    clock: FakeClock
    calls: CallLog


@pytest.fixture
def counted(aws: Aws) -> Iterator[Counted]:
    importer = BankImporter(aws.banks_table)
    importer.import_path(SAMPLE)
    importer.load_reference_banks()
    session = boto3.session.Session()
    clock = FakeClock()
    with counting_calls(session) as calls:  # before the client: it copies the session's events
        banks = BanksTable(session.resource("dynamodb").Table(aws.names.banks_table))
        yield Counted(BankCatalog(banks, SearchIndex(banks, clock=clock)), banks, clock, calls)


@pytest.fixture
def catalog(counted: Counted) -> BankCatalog:
    return counted.catalog


def _found(catalog: BankCatalog, q: str) -> list[dict[str, Any]]:
    """The banks of a search's first page."""
    return list(catalog.search(q)["banks"])


def test_empty_query_lists_banks_with_figures_first_then_by_name(catalog: BankCatalog) -> None:
    results = _found(catalog, "")
    assert len(results) == 48  # 25 synthetic + 23 reference banks
    assert [row["data"] for row in results] == ["loaded"] * 25 + ["none"] * 23
    assert all(row["hasData"] is (row["data"] == "loaded") for row in results)
    for group in (results[:25], results[25:]):
        names = [normalise(row["name"]) for row in group]
        assert names == sorted(names)
    assert {"idrssd", "name", "city", "state", "synthetic", "hasData", "data"} <= set(results[0])


def test_search_by_name_city_and_id_prefix(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in _found(catalog, "harbor light")] == ["9900002"]
    # Both are in Providence: the one with figures comes first.
    assert [r["idrssd"] for r in _found(catalog, "  PROVIDENCE ")] == ["9900002", "3303298"]
    assert [r["idrssd"] for r in _found(catalog, "8522")] == ["852218"]
    jpm = _found(catalog, "jpmorgan")[0]
    assert jpm["hasData"] is False and jpm["data"] == "none" and jpm["synthetic"] is False


def test_search_is_accent_insensitive_both_ways(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in _found(catalog, "penasco")] == ["9900007"]
    assert [r["idrssd"] for r in _found(catalog, "ESPAÑOLA")] == ["9900007"]


@pytest.mark.parametrize("text", ["%", "'; DROP TABLE banks; --", ".*", "[a-z]+", "\\"])
def test_metacharacters_are_literal_text(catalog: BankCatalog, text: str) -> None:
    assert _found(catalog, text) == []


def test_parenthesis_matches_only_literally(catalog: BankCatalog) -> None:
    # "(" is no regex group: it finds the names that contain "(" — the synthetic ones.
    results = _found(catalog, "(")
    assert len(results) == 25 and all(row["synthetic"] for row in results)
    assert _found(catalog, "(synthetic") == _found(catalog, "(")


def test_quote_in_query_matches_quoted_name(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in _found(catalog, '"cooperative"')] == ["9900006"]


def test_long_query_is_rejected_with_a_sentence(catalog: BankCatalog) -> None:
    with pytest.raises(InvalidQuery) as caught:
        _found(catalog, "a" * 1000)
    assert "1000 characters" in caught.value.message and "at most 100" in caught.value.message


@pytest.mark.parametrize("text", ["bank\x00", "a\nb", "\x1b[31m", "x\x85y", "\x7f"])
def test_control_characters_are_rejected(catalog: BankCatalog, text: str) -> None:
    with pytest.raises(InvalidQuery, match="control character"):
        _found(catalog, text)


@pytest.mark.parametrize(
    "text", ["\U00040b0a", "x\u200by", "\ue000", "\U0001f3e6 bank", "\ufffd", "\ud800"]
)
def test_other_code_points_are_text_that_may_match_nothing(catalog: BankCatalog, text: str) -> None:
    # An unassigned code point (U+40B0A), a format or private-use character, an emoji: none
    # is a control character; each is searched for as it is.
    assert _found(catalog, text) == []


def test_the_openapi_pattern_names_exactly_the_refused_characters() -> None:
    pattern = re.compile(CONTROL_CHARACTER)
    mismatched = [
        hex(point)
        for point in range(0x110000)
        if (unicodedata.category(chr(point)) in CONTROL_CATEGORIES)
        != bool(pattern.search(chr(point)))
    ]
    assert mismatched == []


def test_at_most_fifty_results(aws: Aws) -> None:
    banks = BanksTable(aws.banks_table)
    banks.write_index(IndexEntry(str(i), f"Bank {i:03d}", "X", "KS") for i in range(1, 121))
    catalog = BankCatalog(banks)
    assert len(_found(catalog, "bank")) == 50
    assert _found(catalog, "bank")[0]["name"] == "Bank 001"


def test_profile_of_a_synthetic_bank(catalog: BankCatalog) -> None:
    profile = catalog.profile("9900002")
    json.dumps(profile)  # JSON-ready: no Decimal anywhere
    assert profile["synthetic"] is True and "Synthetic data" in profile["message"]
    assert profile["data"] == "loaded"
    assert profile["latestQuarter"] == "20241231"
    assert profile["figures"]["totalAssets"] > 0
    assert len(profile["series"]) == 8
    assert profile["series"][0]["quarter"] == "20230331"
    assert profile["peers"]["bucket"] == "1b_10b" and profile["peers"]["banks"] >= 5
    # The stressed bank loses money and has weak asset quality; the strong one does not.
    strong = catalog.profile("9900001")["metrics"]
    stressed = profile["metrics"]
    assert stressed["roa"] < 0 < strong["roa"]
    assert stressed["nonaccrualRatio"] > 3 * strong["nonaccrualRatio"]
    assert stressed["leverageRatio"] < strong["leverageRatio"]
    assert stressed["assetGrowthYoY"] < 0 < strong["assetGrowthYoY"]


def test_profile_of_a_reference_bank_says_no_data(catalog: BankCatalog) -> None:
    profile = catalog.profile("852218")
    assert profile["data"] == "none"
    assert profile["message"].startswith("No financial data is loaded for this bank")
    assert not any(mark in profile["message"] for mark in ("`", "make ", "/api/"))
    assert profile["figures"] is None and profile["series"] == []
    assert profile["synthetic"] is False


def test_profile_errors(catalog: BankCatalog) -> None:
    with pytest.raises(BankNotFound, match="no bank with the RSSD ID 12345"):
        catalog.profile("12345")


def test_a_profile_imported_by_an_older_importer_asks_for_a_new_import(
    aws: Aws,
) -> None:
    aws.banks_table.put_item(
        Item={"pk": "BANK#5", "sk": "PROFILE", "idrssd": "5", "name": "Old Bank",
              "data": "loaded", "latestQuarter": "20241231", "latestMetrics": {"roa": 1}}
    )  # fmt: skip
    banks = BanksTable(aws.banks_table)
    profile = BankCatalog(banks).profile("5")
    assert profile["data"] == "none" and "loaded again" in profile["message"]
    with pytest.raises(NoBankData, match="Old Bank"):
        BankLookup(banks).require_data("5")


# -- what each costs ----------------------------------------------------------------------------


def test_a_profile_is_one_get_item(counted: Counted) -> None:
    """One GetItem, and the index's version (the newest quarter: has the bank stopped
    filing?) at most every CHECK_SECONDS."""
    counted.calls.clear()
    profile = counted.catalog.profile("9900001")
    assert counted.calls.operations() == ["GetItem", "GetItem"]
    assert profile["peers"]["banks"] >= 5 and len(profile["series"]) == 8
    assert profile["reporting"]["status"] == "current"
    counted.calls.clear()
    for step in range(10):
        counted.clock.value = step * CHECK_SECONDS / 10
        counted.catalog.profile("9900001")
    assert counted.calls.operations() == ["GetItem"] * 10


def test_a_start_checks_the_bank_with_one_get_item(counted: Counted) -> None:
    lookup = BankLookup(counted.banks)
    counted.calls.clear()
    assert lookup.require_data("9900001").endswith("(SYNTHETIC)")
    assert counted.calls.operations() == ["GetItem"]
    assert "ProjectionExpression" in counted.calls.calls[0].params
    with pytest.raises(NoBankData, match="JPMorgan"):
        lookup.require_data("852218")
    with pytest.raises(BankNotFound):
        lookup.require_data("12345")
    assert counted.calls.operations() == ["GetItem"] * 3


def test_a_warm_search_makes_no_call_until_an_import_moves_the_version(
    counted: Counted, aws: Aws
) -> None:
    catalog, calls, clock = counted.catalog, counted.calls, counted.clock
    calls.clear()
    assert _found(catalog, "granite")
    assert calls.operations() == ["GetItem", "BatchGetItem"]  # the version, then the shards
    calls.clear()
    for step in range(10):
        clock.value = step * CHECK_SECONDS / 10
        _found(catalog, "bank")
    assert calls.operations() == []
    clock.value = CHECK_SECONDS
    _found(catalog, "bank")
    assert calls.operations() == ["GetItem"]  # the version, unchanged: nothing reloaded
    # An import (here: a new reference bank) moves the version; the next check reloads.
    new_bank = ReferenceBank("1234567", "Brand New National Bank", "Town", "KS")
    BankImporter(aws.banks_table).load_reference_banks([*read_reference_banks(), new_bank])
    calls.clear()
    assert _found(catalog, "brand new") == []  # until the next check, the old index answers
    assert calls.operations() == []
    clock.value = 2 * CHECK_SECONDS
    assert [row["idrssd"] for row in _found(catalog, "brand new")] == ["1234567"]
    assert calls.operations() == ["GetItem", "BatchGetItem"]


def test_reimporting_the_same_files_keeps_the_version(counted: Counted, aws: Aws) -> None:
    before = counted.banks.index_version()
    BankImporter(aws.banks_table).import_path(SAMPLE)
    assert counted.banks.index_version() == before
