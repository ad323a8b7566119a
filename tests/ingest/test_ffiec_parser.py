"""The bulk-file parser on the committed sample and on hand-made files for each quirk."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.banks import quarters
from ingest import ffiec
from ingest.errors import FFIECFormatError
from tests.ingest.builders import bank_values, por_file, schedule_file, simple_quarter

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"


def test_sample_has_eight_quarters_of_25_synthetic_banks() -> None:
    reports = ffiec.load(SAMPLE)
    assert [report.quarter for report in reports] == [
        "20230331", "20230630", "20230930", "20231231",
        "20240331", "20240630", "20240930", "20241231",
    ]  # fmt: skip
    for report in reports:
        assert len(report.banks) == 25
        assert not report.skipped
        for bank in report.banks.values():
            assert bank.panel.name.endswith(" (SYNTHETIC)")
            assert 9_900_001 <= int(bank.idrssd) <= 9_900_025
            values = bank.values
            # The balance sheet balances in every quarter.
            assets, liabilities = values["totalAssets"], values["totalLiabilities"]
            equity = values["totalEquity"]
            assert assets is not None and liabilities is not None and equity is not None
            assert assets == liabilities + equity


def test_sample_quirks_are_read_correctly() -> None:
    last = ffiec.load(SAMPLE)[-1]
    quoted = last.banks["9900006"]
    assert quoted.panel.name == 'Farmers "Cooperative" Bank (SYNTHETIC)'
    assert quoted.panel.filing_type == "051"
    big = last.banks["9900003"]  # a form 031 filer: RCFD items, foreign deposits
    assert big.panel.filing_type == "031"
    assert big.values["foreignDeposits"] is not None
    assert isinstance(big.values["leverageRatio"], Decimal)  # from "10.7654%"
    assert "pastDue30to89" in last.banks["9900004"].confidential  # CONF in both columns
    assert "cet1Ratio" in last.banks["9900008"].confidential
    # RC-R Part I is split in two files; both halves arrive merged on IDRSSD.
    assert big.values["leverageRatio"] is not None and big.values["tier1Ratio"] is not None


def test_caption_trailing_tabs_blank_conf_percent(tmp_path: Path) -> None:
    simple_quarter(
        tmp_path,
        "20240331",
        {
            "101": bank_values(RCON3123="", RCOA7204="CONF", RCOAP793="9.1154%"),
            "202": bank_values(RCOAP793="11.5"),
        },
    )
    (report,) = ffiec.load(tmp_path)
    first = report.banks["101"]
    assert first.values["allowance"] is None  # blank: not reported
    assert first.values["leverageRatio"] is None and first.confidential == ("leverageRatio",)
    assert first.values["cet1Ratio"] == Decimal("9.1154")
    assert report.banks["202"].values["cet1Ratio"] == Decimal("11.5")
    assert first.values["totalAssets"] == 1000


def test_rcfd_is_preferred_to_rcon_and_deposits_add_foreign_offices(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"7": bank_values()})
    schedule_file(
        tmp_path,
        "20240331",
        "RC",
        ("RCFD2170", "RCON2170", "RCON2200", "RCFN2200"),
        [["7", "5000", "4000", "3000", "500"]],
    )
    (report,) = ffiec.load(tmp_path)
    values = report.banks["7"].values
    assert values["totalAssets"] == 5000
    from ingest.mdrm import total_deposits

    assert total_deposits(values) == 3500


def test_split_schedule_parts_merge_on_idrssd(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"1": bank_values(), "2": bank_values()})
    (tmp_path / "FFIEC CDR Call Schedule RCRI 03312024.txt").unlink()
    schedule_file(tmp_path, "20240331", "RCRI", ("RCOA7204",), [["2", "8%"], ["1", "7%"]],
                  suffix="(1 of 2)")  # fmt: skip
    schedule_file(tmp_path, "20240331", "RCRI", ("RCOA7205",), [["1", "14%"], ["2", "15%"]],
                  suffix="(2 of 2)")  # fmt: skip
    (report,) = ffiec.load(tmp_path)
    assert report.banks["1"].values["leverageRatio"] == Decimal("7")
    assert report.banks["1"].values["totalCapitalRatio"] == Decimal("14")
    assert report.banks["2"].values["totalCapitalRatio"] == Decimal("15")


def test_missing_part_of_a_split_schedule_is_an_error(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    (tmp_path / "FFIEC CDR Call Schedule RCRI 03312024.txt").unlink()
    schedule_file(tmp_path, "20240331", "RCRI", ("RCOA7204",), [["1", "8%"]], suffix="(1 of 2)")
    with pytest.raises(FFIECFormatError, match="part 2 of 2 is missing"):
        ffiec.load(tmp_path)


def test_por_names_with_embedded_tab_and_quotes(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"5": bank_values(), "6": bank_values()})
    por_file(tmp_path, "20240331", [("5", '"Tab\tInside ""Quoted"" Bank"'), ("6", '"Plain"')])
    (report,) = ffiec.load(tmp_path)
    assert report.banks["5"].panel.name == 'Tab Inside "Quoted" Bank'
    assert report.banks["6"].panel.name == "Plain"


def test_zip_input_and_banks_missing_from_por_are_skipped(tmp_path: Path) -> None:
    folder = simple_quarter(tmp_path / "q", "20240331", {"1": bank_values(), "2": bank_values()})
    por_file(folder, "20240331", [("1", '"Only One"')])
    archive = tmp_path / "bulk.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(folder.iterdir()):
            handle.write(path, path.name)
    (report,) = ffiec.load(archive)
    assert set(report.banks) == {"1"}
    assert [(s.idrssd, s.reason) for s in report.skipped] == [
        ("2", "not in the panel of reporters (POR)")
    ]


def test_year_to_date_income_becomes_quarterly() -> None:
    flows, note = ffiec.quarterly_flows("20240331", {"netIncome": 10}, None)
    assert flows["netIncome"] == 10 and note is None
    flows, note = ffiec.quarterly_flows("20240630", {"netIncome": 25}, {"netIncome": 10})
    assert flows["netIncome"] == 15 and note is None
    flows, note = ffiec.quarterly_flows("20240930", {"netIncome": 40}, None)
    assert flows["netIncome"] is None
    assert note is not None and "2024-06-30" in note


def test_quarter_arithmetic() -> None:
    assert quarters.previous("20240331") == "20231231"
    assert quarters.previous("20241231") == "20240930"
    assert quarters.year_ago("20240630") == "20230630"
    assert quarters.window("20240630", 3) == ["20231231", "20240331", "20240630"]
    assert quarters.label("20240630") == "2024-06-30"


# -- malformed files: a sentence naming file and line ---------------------------------


def _broken(tmp_path: Path, schedule: str, text: str) -> Path:
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    path = tmp_path / f"FFIEC CDR Call Schedule {schedule} 03312024.txt"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_missing_idrssd_column(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", 'RSSD\tRCON2170\t\r\n\t"TOTAL"\t\r\n1\t5\t\r\n')
    with pytest.raises(FFIECFormatError) as caught:
        ffiec.load(tmp_path)
    message = str(caught.value)
    assert "FFIEC CDR Call Schedule RC 03312024.txt, line 1" in message
    assert "IDRSSD" in message


def test_row_with_fewer_cells(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", '"IDRSSD"\tRCON2170\tRCON3210\t\r\n\t"A"\t"B"\t\r\n1\t5\t\r\n2\r\n')
    with pytest.raises(FFIECFormatError, match=r"RC 03312024.txt, line 4: the row has 1 cells"):
        ffiec.load(tmp_path)


def test_non_numeric_value(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", '"IDRSSD"\tRCON2170\t\r\n\t"TOTAL"\t\r\n1\t12,5x\t\r\n')
    with pytest.raises(FFIECFormatError) as caught:
        ffiec.load(tmp_path)
    assert caught.value.line == 3
    assert "RCON2170" in str(caught.value) and "'12,5x'" in str(caught.value)


def test_percent_string_in_an_amount_column_is_rejected(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", '"IDRSSD"\tRCON2170\t\r\n\t"TOTAL"\t\r\n1\t9%\t\r\n')
    with pytest.raises(FFIECFormatError, match="line 3"):
        ffiec.load(tmp_path)


def test_bad_idrssd(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", '"IDRSSD"\tRCON2170\t\r\n\t"TOTAL"\t\r\n1\t5\t\r\nabc\t5\t\r\n')
    with pytest.raises(FFIECFormatError, match="line 4: IDRSSD 'abc'"):
        ffiec.load(tmp_path)


def test_an_unknown_schedule_is_read_past_and_named(tmp_path: Path) -> None:
    """A schedule FFIEC adds (or a typo) does not stop an import: nothing is read from it,
    and the quarter names it so the summary can say so."""
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    (tmp_path / "FFIEC CDR Call Schedule RCZZ 03312024.txt").write_text('"IDRSSD"\t\r\n')
    files = ffiec.open_call_reports(tmp_path).quarters["20240331"]
    assert files.unknown == ["FFIEC CDR Call Schedule RCZZ 03312024.txt"]
    (report,) = ffiec.load(tmp_path)
    assert set(report.banks) == {"1"}


def test_empty_file(tmp_path: Path) -> None:
    _broken(tmp_path, "RI", "")
    with pytest.raises(FFIECFormatError, match=r"RI 03312024.txt, line 1: the file is empty"):
        ffiec.load(tmp_path)


def test_zip_with_no_call_report_files(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("Readme.txt", "nothing here")
    with pytest.raises(FFIECFormatError) as caught:
        ffiec.load(archive)
    assert str(archive) in str(caught.value)
    assert "no FFIEC call-report files found" in str(caught.value)


def test_missing_required_schedule(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    (tmp_path / "FFIEC CDR Call Schedule RIBI 03312024.txt").unlink()
    with pytest.raises(FFIECFormatError, match="schedule RIBI"):
        ffiec.load(tmp_path)


def test_duplicate_idrssd_in_one_file(tmp_path: Path) -> None:
    _broken(tmp_path, "RC", '"IDRSSD"\tRCON2170\t\r\n\t"TOTAL"\t\r\n1\t5\t\r\n1\t6\t\r\n')
    with pytest.raises(FFIECFormatError, match="line 4: IDRSSD 1 appears twice"):
        ffiec.load(tmp_path)


def test_windows_1252_names_are_read(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    path = tmp_path / "FFIEC CDR Call Bulk POR 03312024.txt"
    text = path.read_text(encoding="utf-8").replace("Bank 1 (SYNTHETIC)", "Caf\u00e9 Bank")
    path.write_bytes(text.encode("cp1252"))
    (report,) = ffiec.load(tmp_path)
    assert report.banks["1"].panel.name == "Caf\u00e9 Bank"


# -- staging on disk: the join does not depend on the order of rows in the files -------


def test_unsorted_files_join_on_idrssd_and_skip_ids_between(tmp_path: Path) -> None:
    banks = {idrssd: bank_values(assets=int(idrssd) * 10) for idrssd in ("30", "4", "200")}
    simple_quarter(tmp_path, "20240331", banks)
    # RC rows in another order, plus a bank (17) that sits between two panel ids but is not
    # in the POR, and RI without bank 4.
    codes = ("RCON2170", "RCON3210")
    schedule_file(
        tmp_path,
        "20240331",
        "RC",
        codes,
        [["200", "2000", "1"], ["17", "5", "1"], ["4", "40", "1"], ["30", "300", "1"]],
    )
    schedule_file(tmp_path, "20240331", "RI", ("RIAD4340",), [["30", "3"], ["200", "20"]])
    (report,) = ffiec.load(tmp_path)  # fmt: skip
    assert list(report.banks) == ["4", "30", "200"]
    assert [report.banks[i].values["totalAssets"] for i in ("4", "30", "200")] == [40, 300, 2000]
    assert report.banks["4"].values["netIncome"] is None
    assert report.banks["200"].values["netIncome"] == 20
    assert [(s.idrssd, s.reason) for s in report.skipped] == [
        ("17", "not in the panel of reporters (POR)")
    ]


def test_duplicate_id_in_the_panel_names_the_line(tmp_path: Path) -> None:
    simple_quarter(tmp_path, "20240331", {"1": bank_values()})
    por_file(tmp_path, "20240331", [("1", '"A"'), ("2", '"B"'), ("1", '"C"')])
    with pytest.raises(
        FFIECFormatError, match=r"POR 03312024\.txt, line 4: IDRSSD 1 appears twice"
    ):
        ffiec.load(tmp_path)


def test_staging_file_is_removed(tmp_path: Path) -> None:
    from ingest.staging import Staging

    simple_quarter(tmp_path / "q", "20240331", {"1": bank_values()})
    reports = ffiec.open_call_reports(tmp_path / "q")
    with Staging(directory=str(tmp_path)) as stage:
        staged = reports.stage("20240331", stage)
        assert (staged.banks, staged.rows) == (1, 6)
        assert [bank.idrssd for bank in ffiec.iter_banks(stage, "20240331")] == ["1"]
        assert Path(stage.path).exists()
    assert not Path(stage.path).exists()
