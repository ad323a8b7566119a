"""Bank search and profile routes over the imported synthetic sample (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.banks.search import encode_cursor
from ingest.importer import BankImporter
from tests.api_support import Api, api_under_test
from tests.fakes import counting_calls
from tests.moto_account import Aws

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"
STRONG, STRESSED = "9900001", "9900002"


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    importer = BankImporter(aws.banks_table)
    importer.import_path(SAMPLE)
    importer.load_reference_banks()
    with api_under_test(aws) as under_test:
        yield under_test


def get(api: Api, path: str) -> tuple[int, Any]:
    response = api.get(path)
    return response.status_code, json.loads(response.body)


def test_empty_query_lists_the_first_page_banks_with_figures_first(api: Api) -> None:
    status, data = get(api, "/api/banks")
    assert status == 200
    assert 0 < data["count"] <= 50 and data["count"] == len(data["banks"])
    marks = [bank["data"] for bank in data["banks"]]
    assert set(marks) == {"loaded", "none"} and marks == sorted(marks)  # "loaded" < "none"
    for mark in ("loaded", "none"):
        names = [bank["name"] for bank in data["banks"] if bank["data"] == mark]
        assert names == sorted(names, key=str.casefold)


def test_search_by_name_city_and_id_prefix(api: Api) -> None:
    _, by_id = get(api, "/api/banks?q=99000")
    assert by_id["count"] >= 9 and all(b["idrssd"].startswith("99000") for b in by_id["banks"])
    _, real = get(api, "/api/banks?q=jpmorgan")
    assert [bank["idrssd"] for bank in real["banks"]] == ["852218"]
    assert real["banks"][0]["hasData"] is False and real["banks"][0]["synthetic"] is False
    assert real["banks"][0]["data"] == "none"
    _, accents = get(api, "/api/banks?q=" + quote("ESPANOLA"))
    assert accents["count"] >= 1


@pytest.mark.parametrize("text", ["%", "'; DROP TABLE banks; --", ".*", "(", "[a-z]+", "\\"])
def test_metacharacters_are_plain_text(api: Api, text: str) -> None:
    status, data = get(api, "/api/banks?q=" + quote(text))
    assert status == 200 and isinstance(data["banks"], list)
    if text == ".*":
        assert data["count"] == 0


@pytest.mark.parametrize(
    ("query", "needle"), [("x" * 1_000, "at most 100"), ("%00", "control"), ("a%07b", "control")]
)
def test_unusable_queries_are_400(api: Api, query: str, needle: str) -> None:
    status, data = get(api, "/api/banks?q=" + query)
    assert status == 400 and data["code"] == "invalid_query"
    assert needle in data["error"] and len(data["error"]) < 300


def test_profile_of_a_synthetic_bank(api: Api) -> None:
    status, data = get(api, f"/api/banks/{STRONG}")
    assert status == 200
    assert data["synthetic"] is True and data["name"].endswith("(SYNTHETIC)")
    assert data["data"] == "loaded" and data["latestQuarter"] == "20241231"
    assert len(data["series"]) == 8 and data["metrics"]["roa"] is not None
    assert data["peers"]["banks"] >= 1


def test_a_profile_gives_each_latest_figure_its_changes_and_percentile(api: Api) -> None:
    _, data = get(api, f"/api/banks/{STRONG}")
    rows = {row["quarter"]: row for row in data["series"]}
    latest, before, year = rows["20241231"], rows["20240930"], rows["20231231"]
    roa = data["context"]["roa"]
    assert roa["value"] == latest["roa"] and roa["kind"] == "ratio"
    assert roa["changes"]["qoq"] == round(latest["roa"] - before["roa"], 4)  # points
    assert roa["changes"]["yoy"] == round(latest["roa"] - year["roa"], 4)
    assert roa["percentile"] == data["peers"]["percentiles"]["roa"]
    assert 0 <= roa["percentile"] <= 100 and roa["peerBanks"] == data["peers"]["banks"]
    assert roa["peerMedian"] == data["peers"]["medians"]["roa"]
    assets = data["context"]["totalAssets"]
    assert assets["kind"] == "amount"
    assert assets["changes"]["yoy"] == round(
        (latest["totalAssets"] / year["totalAssets"] - 1) * 100, 2
    )  # percent
    _, none = get(api, "/api/banks/852218")  # known by name only: nothing to put in context
    assert none["context"] == {}


def test_profile_of_a_reference_bank_says_how_to_load_data(api: Api) -> None:
    status, data = get(api, "/api/banks/852218")
    assert status == 200
    assert data["data"] == "none" and data["figures"] is None and data["synthetic"] is False
    # A sentence for the person looking at the bank, with no command or route in it.
    assert "No financial data is loaded" in data["message"]
    assert not any(mark in data["message"] for mark in ("`", "make ", "/api/"))


def test_a_reference_bank_cannot_start_a_report(api: Api) -> None:
    response = api.post("/api/research/852218/generate-background")
    assert response.status_code == 409
    data = json.loads(response.body)
    assert data["code"] == "no_data" and "JPMorgan" in data["error"]


def test_unknown_and_bad_bank_ids(api: Api) -> None:
    status, data = get(api, "/api/banks/12345")
    assert status == 404 and data["code"] == "bank_not_found"
    for bad in ["abc", "0", "-1", "12345678901", "..%2Fx", quote("٣٤"), "009900001"]:
        status, data = get(api, f"/api/banks/{bad}")
        assert status == 400 and data["code"] == "invalid_idrssd", bad


def test_a_profile_reads_the_banks_table_once_and_a_warm_search_not_at_all(
    aws: Aws,
) -> None:
    importer = BankImporter(aws.banks_table)
    importer.import_path(SAMPLE)
    with api_under_test(aws) as api, counting_calls(api.runtime.session) as calls:
        assert get(api, f"/api/banks/{STRONG}")[0] == 200
        banks_calls = [
            call.operation
            for call in calls.calls
            if call.params.get("TableName") == aws.names.banks_table
        ]
        # The profile, and (cold: at most every few seconds) the index's version, which
        # says the newest quarter held: whether the bank still files.
        assert banks_calls == ["GetItem", "GetItem"]
        # The other call is the research flags' read of the latest publications (Jobs table).
        assert sorted(calls.operations()) == ["BatchGetItem", "GetItem", "GetItem"]
        calls.clear()
        assert get(api, f"/api/banks/{STRONG}")[0] == 200  # warm: the profile alone
        assert sorted(calls.operations()) == ["BatchGetItem", "GetItem"]
        assert get(api, "/api/banks?q=granite")[1]["count"] == 1  # loads the index
        calls.clear()
        for query in ("bank", "trust", "99000"):
            assert get(api, f"/api/banks?q={query}")[0] == 200
        assert calls.operations() == []


# -- filters, order and pages ---------------------------------------------------------------------


def test_filters_by_state_size_and_figures(api: Api) -> None:
    _, every = get(api, "/api/banks?hasData=true")
    assert every["total"] == 25 and all(bank["hasData"] for bank in every["banks"])
    _, named = get(api, "/api/banks?hasData=false")
    assert named["total"] == 23 and not any(bank["hasData"] for bank in named["banks"])
    _, texas = get(api, "/api/banks?state=tx")  # the code in either case
    assert texas["total"] >= 1 and {bank["state"] for bank in texas["banks"]} == {"TX"}
    _, large = get(api, "/api/banks?minAssets=10000000")
    assert large["total"] >= 1
    assert all(bank["totalAssets"] >= 10_000_000 for bank in large["banks"])
    _, band = get(api, "/api/banks?minAssets=1000000&maxAssets=10000000&q=bank")
    assert band["banks"] and all(
        1_000_000 <= bank["totalAssets"] <= 10_000_000 for bank in band["banks"]
    )


def test_an_empty_range_matches_nothing_and_empty_filters_are_not_given(api: Api) -> None:
    _, none = get(api, "/api/banks?minAssets=10&maxAssets=5")
    assert none["total"] == 0 and none["banks"] == []
    _, every = get(api, "/api/banks?state=&minAssets=&maxAssets=&hasData=&sort=&cursor=")
    _, plain = get(api, "/api/banks")
    assert every == plain


def test_sort_by_assets_is_largest_first_unknown_last(api: Api) -> None:
    _, data = get(api, "/api/banks?sort=assets")
    assets = [bank["totalAssets"] for bank in data["banks"]]
    known = [value for value in assets if value is not None]
    assert known == sorted(known, reverse=True) and known
    assert assets[: len(known)] == known  # the banks without figures come after


def test_a_cursor_walks_every_match_once(aws: Aws) -> None:
    from chalicelib.banks.records import IndexEntry
    from chalicelib.banks.table import BanksTable

    BanksTable(aws.banks_table).write_index(
        IndexEntry(str(i), f"Bank {i:03d}", "X", "KS", has_data=True, quarter="20240630",
                   assets=1000 * i)
        for i in range(1, 121)
    )  # fmt: skip
    with api_under_test(aws) as api:
        seen: list[str] = []
        path = "/api/banks?q=bank&sort=assets"
        while True:
            status, page = get(api, path)
            assert status == 200 and page["total"] == 120 and page["count"] <= 50
            seen += [bank["idrssd"] for bank in page["banks"]]
            if page["nextCursor"] is None:
                break
            path = f"/api/banks?q=bank&sort=assets&cursor={page['nextCursor']}"
        assert seen == [str(i) for i in range(120, 0, -1)]
        # A cursor past the matches: an empty last page.
        status, body = get(api, f"/api/banks?q=bank&cursor={encode_cursor(500)}")
        assert status == 200 and body["banks"] == [] and body["nextCursor"] is None


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("state=NYC", "invalid_filter"),
        ("state=N1", "invalid_filter"),
        ("minAssets=" + quote("١٢"), "invalid_filter"),  # digits, but not ASCII ones
        ("minAssets=" + quote("²"), "invalid_filter"),
        ("minAssets=1e6", "invalid_filter"),
        ("minAssets=-5", "invalid_filter"),
        ("maxAssets=" + "9" * 5000, "invalid_filter"),
        ("hasData=yes", "invalid_filter"),
        ("sort=size", "invalid_sort"),
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("cursor=" + "A" * 65, "invalid_cursor"),
        ("cursor=" + quote("MTA6ZGVhZGJlZWYwMDAw=="), "invalid_cursor"),
        ("cursor=bzEyMzQ1Njc4", "invalid_cursor"),  # "o12345678": past the positions
    ],
)
def test_bad_filters_get_a_sentence(api: Api, query: str, code: str) -> None:
    status, body = get(api, f"/api/banks?{query}")
    assert status == 400 and body["code"] == code, body
    assert body["error"].endswith(".") and len(body["error"]) > 30
