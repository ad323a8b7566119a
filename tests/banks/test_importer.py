"""The importer against moto: idempotence, replacement, failures, reference banks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.banks.records import Profile
from chalicelib.banks.table import BanksTable
from ingest import cli as import_cli
from ingest.errors import FFIECFormatError, ImportIncomplete, SyntheticUnderRealId
from ingest.importer import BankImporter
from ingest.reference import ReferenceBank, read_reference_banks
from tests.banks.builders import bank_values, simple_quarter
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


def test_sample_import_is_idempotent(aws: Aws) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    summary = importer.import_path(SAMPLE)
    assert summary.banks == 25
    assert len(summary.quarters) == 8
    assert summary.items_written == 25 * 8 + 25
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
    quarter = _get(table, "BANK#9900001", "Q#20240630")
    assert quarter is not None
    # Quarterly, not year-to-date: Q2 figure = H1 YTD - Q1 YTD.
    assert quarter["figures"]["netIncome"] == (
        quarter["ytd"]["netIncome"] - _get(table, "BANK#9900001", "Q#20240331")["ytd"]["netIncome"]
    )


def test_newer_file_replaces_the_quarter(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "v1", "20240331", {"11": bank_values(), "12": bank_values()})
    importer.import_path(tmp_path / "v1")
    simple_quarter(tmp_path / "v2", "20240331", {"11": bank_values(assets=2000, equity=150)})
    summary = importer.import_path(tmp_path / "v2")
    assert summary.items_deleted == 1  # bank 12 is no longer in the quarter
    assert _get(table, "BANK#12", "Q#20240331") is None
    assert _get(table, "BANK#11", "Q#20240331")["figures"]["totalAssets"] == 2000
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
    assert _get(table, "BANK#21", "Q#20240630")["figures"]["netIncome"] == 15
    summary = importer.import_path(tmp_path / "q4")  # Q3 never imported
    q4 = _get(table, "BANK#21", "Q#20241231")
    assert "netIncome" not in q4["figures"]
    assert "2024-09-30" in q4["note"]
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


class _FailingBatch:
    def __init__(self, real: Any, fail_after: int) -> None:
        self._real = real
        self._left = fail_after

    def __enter__(self) -> _FailingBatch:
        self._inner = self._real.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.__exit__(*exc)

    def put_item(self, Item: dict[str, Any]) -> None:
        if self._left == 0:
            raise RuntimeError("throughput exceeded")
        self._left -= 1
        self._inner.put_item(Item=Item)

    def delete_item(self, Key: dict[str, Any]) -> None:
        self._inner.delete_item(Key=Key)


class _FlakyTable:
    """The real moto table, except that the second quarter's batch fails part-way."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self.batches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def batch_writer(self, **kwargs: Any) -> Any:
        self.batches += 1
        real = self._table.batch_writer(**kwargs)
        return _FailingBatch(real, 1) if self.batches == 2 else real


def test_failed_write_names_the_incomplete_quarter(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    simple_quarter(tmp_path / "a", "20240331", {"41": bank_values(), "42": bank_values()})
    simple_quarter(tmp_path / "b", "20240630", {"41": bank_values(), "42": bank_values()})
    flaky = _FlakyTable(table)
    with pytest.raises(ImportIncomplete) as caught:
        BankImporter(flaky, real_ids=set()).import_path(tmp_path)
    message = str(caught.value)
    assert "quarter 20240630 (1 of 2 banks written)" in message
    assert "throughput exceeded" in message
    assert f"make import FFIEC={tmp_path}" in message
    assert _get(table, "IMPORT", "Q#20240630")["status"] == "writing"
    assert _get(table, "IMPORT", "Q#20240331")["status"] == "complete"
    # Re-running finishes the job.
    BankImporter(table, real_ids=set()).import_path(tmp_path)
    assert _get(table, "IMPORT", "Q#20240630")["status"] == "complete"
    assert _get(table, "BANK#42", "Q#20240630") is not None


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
    assert summary.banks == 230 and summary.items_written == 230 * 3 and not summary.notes
    # ... q3 in a run of its own (uses q2 as stored).
    importer.import_path(tmp_path / "q3")
    for idrssd in (ids[0], ids[99], ids[100], ids[-1]):
        q2 = _must(table, f"BANK#{idrssd}", "Q#20240630")
        q3 = _must(table, f"BANK#{idrssd}", "Q#20240930")
        assert q2["figures"]["netIncome"] == 15 and q3["figures"]["netIncome"] == 20
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


def test_profiles_carry_their_view_and_their_bands_peers(aws: Aws, tmp_path: Path) -> None:
    table = aws.banks_table
    importer = BankImporter(table, real_ids=set())
    simple_quarter(tmp_path / "q1", "20240331", {"51": bank_values(), "52": bank_values()})
    importer.import_path(tmp_path / "q1")
    first = _profile(table, "51")
    assert first.latest_quarter == "20240331" and first.view is not None
    assert first.peers is not None and first.peers["banks"] == 2
    # A bank of the same size joins in a file of its own: the untouched bank's stored peer
    # medians move with its band.
    simple_quarter(tmp_path / "q1b", "20240630", {"53": bank_values(net_income_ytd=30)})
    importer.import_path(tmp_path / "q1b")
    moved = _profile(table, "51")
    assert moved.peers is not None and moved.peers["banks"] == 3
    assert moved.peers == _profile(table, "53").peers
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
