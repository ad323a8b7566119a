"""BankCatalog search and profile over a moto Banks table holding the sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.banks.errors import BankNotFound, InvalidQuery
from chalicelib.banks.importer import BankImporter
from chalicelib.banks.service import BankCatalog, normalise

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"


class FakeClock:
    def __init__(self) -> None:
        self.value = 0.0

    def now(self) -> float:
        return self.value


@pytest.fixture
def catalog(aws: dict[str, Any]) -> BankCatalog:
    importer = BankImporter(aws["banks_table"])
    importer.import_path(SAMPLE)
    importer.load_reference_banks()
    return BankCatalog(aws["banks_table"], clock=FakeClock())


def test_empty_query_lists_first_page_by_name(catalog: BankCatalog) -> None:
    results = catalog.search("")
    assert len(results) == 48  # 25 synthetic + 23 reference banks
    names = [normalise(row["name"]) for row in results]
    assert names == sorted(names)
    assert {"idrssd", "name", "city", "state", "synthetic", "hasData"} <= set(results[0])


def test_search_by_name_city_and_id_prefix(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in catalog.search("harbor light")] == ["9900002"]
    assert [r["idrssd"] for r in catalog.search("  PROVIDENCE ")] == ["3303298", "9900002"]
    assert [r["idrssd"] for r in catalog.search("8522")] == ["852218"]
    jpm = catalog.search("jpmorgan")[0]
    assert jpm["hasData"] is False and jpm["synthetic"] is False


def test_search_is_accent_insensitive_both_ways(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in catalog.search("penasco")] == ["9900007"]
    assert [r["idrssd"] for r in catalog.search("ESPAÑOLA")] == ["9900007"]


@pytest.mark.parametrize("text", ["%", "'; DROP TABLE banks; --", ".*", "[a-z]+", "\\"])
def test_metacharacters_are_literal_text(catalog: BankCatalog, text: str) -> None:
    assert catalog.search(text) == []


def test_parenthesis_matches_only_literally(catalog: BankCatalog) -> None:
    # "(" is no regex group: it finds the names that contain "(" — the synthetic ones.
    results = catalog.search("(")
    assert len(results) == 25 and all(row["synthetic"] for row in results)
    assert catalog.search("(synthetic") == catalog.search("(")


def test_quote_in_query_matches_quoted_name(catalog: BankCatalog) -> None:
    assert [r["idrssd"] for r in catalog.search('"cooperative"')] == ["9900006"]


def test_long_query_is_rejected_with_a_sentence(catalog: BankCatalog) -> None:
    with pytest.raises(InvalidQuery) as caught:
        catalog.search("a" * 1000)
    assert "1000 characters" in caught.value.message and "at most 100" in caught.value.message


@pytest.mark.parametrize("text", ["bank\x00", "a\nb", "\x1b[31m", "x\u200by"])
def test_control_characters_are_rejected(catalog: BankCatalog, text: str) -> None:
    with pytest.raises(InvalidQuery, match="control character"):
        catalog.search(text)


def test_at_most_fifty_results(aws: dict[str, Any]) -> None:
    entries = {
        str(i): {"id": str(i), "name": f"Bank {i:03d}", "city": "X", "state": "KS",
                 "synthetic": True, "data": False, "q": None, "assets": None, "m": {}}
        for i in range(1, 121)
    }  # fmt: skip
    catalog = BankCatalog(aws["banks_table"], index_loader=lambda: entries)
    assert len(catalog.search("bank")) == 50
    assert catalog.search("bank")[0]["name"] == "Bank 001"


def test_index_is_cached_for_the_ttl(aws: dict[str, Any]) -> None:
    loads: list[int] = []

    def loader() -> dict[str, dict[str, Any]]:
        loads.append(1)
        return {}

    clock = FakeClock()
    catalog = BankCatalog(aws["banks_table"], clock=clock, ttl_seconds=60, index_loader=loader)
    catalog.search("a")
    catalog.search("b")
    clock.value = 61
    catalog.search("c")
    assert len(loads) == 2


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
    with pytest.raises(BankNotFound, match="No bank with RSSD id 12345"):
        catalog.profile("12345")


def test_index_is_rebuilt_from_profiles_when_missing(aws: dict[str, Any]) -> None:
    table = aws["banks_table"]
    table.put_item(
        Item={"pk": "BANK#5", "sk": "PROFILE", "idrssd": "5", "name": "Lone Profile Bank",
              "city": "Town", "state": "KS", "synthetic": False, "data": "none"}
    )  # fmt: skip
    catalog = BankCatalog(table)
    assert [r["idrssd"] for r in catalog.search("lone")] == ["5"]
    assert table.get_item(Key={"pk": "INDEX", "sk": "SHARD#0000"}).get("Item") is not None
