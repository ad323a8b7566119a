"""The importer against moto: idempotence, replacement, failures, reference banks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.banks.records import Profile, QuarterRecord
from chalicelib.banks.table import BanksTable
from ingest import cli as import_cli
from ingest.errors import FFIECFormatError, ImportIncomplete, SyntheticUnderRealId
from ingest.importer import BankImporter
from ingest.reference import ReferenceBank, read_reference_banks
from tests.faults import FaultInjector
from tests.ingest.builders import bank_values, simple_quarter
from tests.moto_account import Aws

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"


def _everything(table: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: (item["pk"], item["sk"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _get(table: Any, pk: str, sk: str) -> Any:
    """The item as boto3 reads it, or None."""
    return table.get_item(Key={"pk": pk, "sk": sk}).get("Item")


def _quarter(table: Any, idrssd: str, quarter: str) -> QuarterRecord | None:
    """A bank's quarter as the adapter reads it, or None."""
    return BanksTable(table).quarter_records(quarter, [idrssd]).get(idrssd)


def test_sample_import_is_idempotent(aws: Aws) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    summary = importer.import_path(SAMPLE)
    assert summary.banks == 25
    assert len(summary.quarters) == 8
    # quarters, then a profile and RECENT a bank, and a quarter's peer groups (PEERS)
    assert summary.items_written == 25 * 8 + 25 * 2 + 8
    assert not summary.skipped
    first = _everything(table)
    again = importer.import_path(SAMPLE)
    assert again.items_deleted == 0
    assert _everything(table) == first

    profile = _get(table, "BANK#9900001", "PROFILE")
    assert profile is not None
    assert profile["synthetic"] is True
    assert profile["latestQuarter"] == "20241231"
    assert profile["filingType"] == "041"
    quarter, before = _quarter(table, "9900001", "20240630"), _quarter(table, "9900001", "20240331")
    assert quarter is not None and before is not None
    # Quarterly, not year-to-date: Q2 figure = H1 YTD - Q1 YTD.
    assert quarter.figures["netIncome"] == quarter.ytd["netIncome"] - before.ytd["netIncome"]


def test_newer_file_replaces_the_quarter(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "v1", "20240331", {"11": bank_values(), "12": bank_values()})
    importer.import_path(tmp_path / "v1")
    simple_quarter(tmp_path / "v2", "20240331", {"11": bank_values(assets=2000, equity=150)})
    summary = importer.import_path(tmp_path / "v2")
    assert summary.items_deleted == 1  # bank 12 is no longer in the quarter
    assert _get(table, "BANK#12", "Q#20240331") is None
    assert _quarter(table, "11", "20240331").figures["totalAssets"] == 2000  # type: ignore[union-attr]
    marker = _get(table, "IMPORT", "Q#20240331")
    assert marker["status"] == "complete" and json.loads(marker["ids"]) == ["11"]


def test_later_quarter_alone_uses_stored_year_to_date(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "q1", "20240331", {"21": bank_values(net_income_ytd=10)})
    simple_quarter(tmp_path / "q2", "20240630", {"21": bank_values(net_income_ytd=25)})
    simple_quarter(tmp_path / "q4", "20241231", {"21": bank_values(net_income_ytd=50)})
    importer.import_path(tmp_path / "q1")
    importer.import_path(tmp_path / "q2")
    assert _quarter(table, "21", "20240630").figures["netIncome"] == 15  # type: ignore[union-attr]
    summary = importer.import_path(tmp_path / "q4")  # Q3 never imported
    q4 = _quarter(table, "21", "20241231")
    assert q4 is not None and "netIncome" not in q4.figures
    assert q4.note is not None and "2024-09-30" in q4.note
    assert any("previous quarter" in note for note in summary.notes)
    assert _get(table, "BANK#21", "PROFILE")["latestQuarter"] == "20241231"
    # An older quarter imported afterwards does not move the profile back.
    importer.import_path(tmp_path / "q1")
    assert _get(table, "BANK#21", "PROFILE")["latestQuarter"] == "20241231"


def test_malformed_file_writes_nothing(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    simple_quarter(tmp_path / "a", "20240331", {"31": bank_values()})
    simple_quarter(tmp_path / "b", "20240630", {"31": bank_values(RCON2170="12x")})
    with pytest.raises(FFIECFormatError) as caught:
        BankImporter(table, real_ids=set()).import_path(tmp_path)
    assert "FFIEC CDR Call Schedule RC 06302024.txt, line 3" in str(caught.value)
    assert _everything(table) == []  # the good first quarter was not written either


def _carries(sk: str, pk: str) -> Any:
    """A predicate: a BatchWriteItem call that carries the item ``pk``/``sk``."""

    def check(params: dict[str, Any]) -> bool:
        requests: list[Any] = next(iter(params.get("RequestItems", {}).values()), [])
        items = [request.get("PutRequest", {}).get("Item", {}) for request in requests]
        # Keys as given, or already in DynamoDB's form ({"S": …}) by the resource's hooks.
        return any(pk in str(item.get("pk")) and sk in str(item.get("sk")) for item in items)

    return check


def test_failed_write_names_the_incomplete_quarter(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    ids = [str(40 + number) for number in range(30)]  # two batches of writes: 25, then 5
    simple_quarter(tmp_path / "a", "20240331", {i: bank_values() for i in ids})
    simple_quarter(tmp_path / "b", "20240630", {i: bank_values() for i in ids})
    faults = FaultInjector().attach(table.meta.client)
    faults.throttle("BatchWriteItem", when=_carries("Q#20240630", f"BANK#{ids[-1]}"))
    with pytest.raises(ImportIncomplete) as caught:
        BankImporter(table, real_ids=set()).import_path(tmp_path)
    message = str(caught.value)
    assert "quarter 20240630 (25 of 30 banks written)" in message
    assert "ProvisionedThroughputExceededException" in message
    assert f"make import FFIEC={tmp_path}" in message
    # Neither quarter counts as imported until the profiles are written too.
    assert _get(table, "IMPORT", "Q#20240630")["status"] == "writing"
    assert _get(table, "IMPORT", "Q#20240331")["status"] == "writing"
    # Re-running finishes the job.
    BankImporter(table, real_ids=set()).import_path(tmp_path)
    assert _get(table, "IMPORT", "Q#20240630")["status"] == "complete"
    assert _get(table, "IMPORT", "Q#20240331")["status"] == "complete"
    assert _get(table, f"BANK#{ids[-1]}", "Q#20240630") is not None


def test_reference_banks_have_no_data_until_real_import(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table)
    written = importer.load_reference_banks()
    references = read_reference_banks()
    assert written == len(references) >= 20
    jpm = _get(table, "BANK#852218", "PROFILE")
    assert jpm["data"] == "none" and "latestQuarter" not in jpm and jpm["synthetic"] is False
    # Real figures for a reference bank replace the "no data" profile.
    simple_quarter(
        tmp_path, "20240331", {"852218": bank_values()}, {"852218": "JPMorgan Chase Bank, N.A."}
    )
    importer.import_path(tmp_path)
    jpm = _get(table, "BANK#852218", "PROFILE")
    assert jpm["data"] == "loaded" and jpm["latestQuarter"] == "20240331"
    # Loading the reference list again keeps the real profile.
    importer.load_reference_banks()
    assert _get(table, "BANK#852218", "PROFILE")["data"] == "loaded"


def test_synthetic_figures_never_go_under_a_real_id(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    simple_quarter(tmp_path, "20240331", {"480228": bank_values()})  # named "(SYNTHETIC)"
    with pytest.raises(SyntheticUnderRealId, match="480228"):
        BankImporter(table).import_path(tmp_path)
    assert _everything(table) == []


def test_real_figures_remove_earlier_synthetic_quarters(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "fake", "20231231", {"77": bank_values()})
    importer.import_path(tmp_path / "fake")
    simple_quarter(tmp_path / "real", "20240331", {"77": bank_values()}, {"77": "Real Bank"})
    summary = importer.import_path(tmp_path / "real")
    assert summary.items_deleted == 1
    assert _get(table, "BANK#77", "Q#20231231") is None
    assert _get(table, "BANK#77", "PROFILE")["synthetic"] is False


def test_cli_imports_with_progress_and_summary(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    status = import_cli.main([str(SAMPLE), "--table", aws.names.banks_table])
    assert status == 0
    err = capsys.readouterr().err
    assert "100% quarter 20241231" in err
    assert "Imported 25 banks over 8 quarters" in err
    assert "real banks by identifier only" in err


def test_cli_reports_bad_data_as_a_sentence(
    aws: Aws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = import_cli.main([str(tmp_path), "--table", aws.names.banks_table])
    assert status == 1
    assert "error:" in capsys.readouterr().err


def test_progress_bar_plain_text() -> None:
    stream = io.StringIO()
    bar = import_cli.ProgressBar(stream)
    bar(5, 10, "20240331")
    bar(10, 10, "20240331")
    assert "50% quarter 20240331" in stream.getvalue()
    assert "100%" in stream.getvalue()


def test_reference_bank_list_is_identifier_only() -> None:
    document = json.loads(
        (Path(__file__).resolve().parents[2] / "data/reference/real_banks.json").read_text()
    )
    assert document["sources"]
    for bank in document["banks"]:
        assert set(bank) == {"idrssd", "name", "city", "state"}
        assert bank["idrssd"].isdigit() and int(bank["idrssd"]) < 9_900_000
    assert {"852218", "480228", "451965", "476810"} <= {b["idrssd"] for b in document["banks"]}
    assert isinstance(read_reference_banks()[0], ReferenceBank)


def _must(table: Any, pk: str, sk: str) -> dict[str, Any]:
    item = _get(table, pk, sk)
    assert item is not None, (pk, sk)
    return item


def test_many_banks_stream_in_chunks_with_context(aws: Aws, tmp_path: Path) -> None:
    """More banks than one BatchGetItem or staging page: flows and metrics use the right
    previous quarter, from the same run (Q2) or from the table (Q3 imported later)."""
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    ids = [str(1000 + number * 7) for number in range(230)]
    simple_quarter(tmp_path / "q1", "20240331", {i: bank_values(net_income_ytd=10) for i in ids})
    simple_quarter(tmp_path / "q2", "20240630", {i: bank_values(net_income_ytd=25) for i in ids})
    simple_quarter(tmp_path / "q3", "20240930", {i: bank_values(net_income_ytd=45) for i in ids})
    # q1 and q2 in one run (q2 uses q1 from the staging database) ...
    both = tmp_path / "both"
    both.mkdir()
    for quarter in ("q1", "q2"):
        for path in (tmp_path / quarter).iterdir():
            (both / path.name).write_bytes(path.read_bytes())
    summary = importer.import_path(both)
    assert summary.banks == 230 and summary.items_written == 230 * 4 + 2 and not summary.notes
    # ... q3 in a run of its own (uses q2 as stored).
    importer.import_path(tmp_path / "q3")
    for idrssd in (ids[0], ids[99], ids[100], ids[-1]):
        q2, q3 = _quarter(table, idrssd, "20240630"), _quarter(table, idrssd, "20240930")
        assert q2 is not None and q3 is not None
        assert q2.figures["netIncome"] == 15 and q3.figures["netIncome"] == 20
        profile = _must(table, f"BANK#{idrssd}", "PROFILE")
        assert profile["latestQuarter"] == "20240930"
        view = BanksTable(table).profile(idrssd).view  # type: ignore[union-attr]
        assert view is not None and view.metrics["roa"] == pytest.approx(8.0)  # 20x4/1000x100
    marker = _must(table, "IMPORT", "Q#20240930")
    assert json.loads(marker["ids"]) == sorted(ids, key=int)


def test_a_missing_index_is_rebuilt_from_the_profiles(aws: Aws) -> None:
    table = aws.banks_table
    with BanksTable(table).batch() as batch:
        batch.put_profile(Profile("5", "Lone Profile Bank", "Town", "KS"))
    assert BanksTable(table).index() is None
    BankImporter(table).load_reference_banks([])
    entries = BanksTable(table).index()
    assert entries is not None and entries["5"].name == "Lone Profile Bank"


def _profile(table: Any, idrssd: str) -> Profile:
    profile = BanksTable(table).profile(idrssd)
    assert profile is not None, idrssd
    return profile


def test_profiles_carry_their_view_and_their_quarters_peer_group(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "q1", "20240331", {"51": bank_values(), "52": bank_values()})
    importer.import_path(tmp_path / "q1")
    first = _profile(table, "51")
    assert first.latest_quarter == "20240331" and first.view is not None
    assert first.peers is not None and first.peers["banks"] == 2
    assert first.peers["quarter"] == "20240331"
    # The next quarter's file: bank 53 files, 51 and 52 do not. 53's group is that quarter's;
    # 51, which stopped filing, keeps the group of its last quarter, untouched.
    simple_quarter(tmp_path / "q2", "20240630", {"53": bank_values(net_income_ytd=30)})
    importer.import_path(tmp_path / "q2")
    assert _profile(table, "51") == first
    later = _profile(table, "53").peers
    assert later is not None and later["banks"] == 1 and later["quarter"] == "20240630"
    # A corrected first-quarter file with a third bank: the group of that quarter grows.
    simple_quarter(tmp_path / "q1b", "20240331", {i: bank_values() for i in ("51", "52", "54")})
    importer.import_path(tmp_path / "q1b")
    moved = _profile(table, "51")
    assert moved.peers is not None and moved.peers["banks"] == 3
    assert moved.peers["medians"] == _profile(table, "54").peers["medians"]  # type: ignore[index]
    assert moved.view == first.view  # its own figures did not change


def test_an_older_quarter_imported_later_joins_the_series(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "q2", "20240630", {"61": bank_values(net_income_ytd=25)})
    simple_quarter(tmp_path / "q1", "20240331", {"61": bank_values(net_income_ytd=10)})
    importer.import_path(tmp_path / "q2")
    assert [row["quarter"] for row in _profile(table, "61").view.series] == ["20240630"]  # type: ignore[union-attr]
    importer.import_path(tmp_path / "q1")
    profile = _profile(table, "61")
    assert profile.latest_quarter == "20240630"
    assert profile.view is not None
    assert [row["quarter"] for row in profile.view.series] == ["20240331", "20240630"]


def test_a_bank_removed_from_its_latest_quarter_falls_back_or_loses_its_figures(
    aws: Aws, tmp_path: Path
) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "q1", "20240331", {"71": bank_values(), "72": bank_values()})
    simple_quarter(tmp_path / "q2", "20240630", {"71": bank_values(), "72": bank_values()})
    importer.import_path(tmp_path / "q1")
    importer.import_path(tmp_path / "q2")
    # A newer Q2 file without bank 71: its latest quarter is Q1 again.
    simple_quarter(tmp_path / "q2b", "20240630", {"72": bank_values()})
    importer.import_path(tmp_path / "q2b")
    assert _profile(table, "71").latest_quarter == "20240331"
    # A newer Q1 file without it too: it has no figures left.
    simple_quarter(tmp_path / "q1b", "20240331", {"72": bank_values()})
    importer.import_path(tmp_path / "q1b")
    gone = _profile(table, "71")
    assert gone.view is None and not gone.has_data and gone.name.endswith("(SYNTHETIC)")
    assert BanksTable(table).index()["71"].has_data is False  # type: ignore[index]
