"""Every odd case the real FFIEC files hold, on cuts of the shipped quarters (moto).

Each expectation is checked against the file itself, read here with a plain csv reader
(never through the importer): what the profile shows for a real bank is the call report's.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.records import Profile
from chalicelib.banks.table import BanksTable
from ingest import mdrm
from ingest.importer import BankImporter
from tests.moto_account import Aws
from tests.real_files import (
    FIRST_REPUBLIC,
    FLAGSTAR_FSB,
    FLAGSTAR_NA,
    JPMORGAN,
    SILICON_VALLEY,
    cut,
    quarter_zip,
)

CBLR_BANK = "242"  # FFIEC 051, community bank leverage ratio: no risk-based ratios
CORNERSTONE = "2891622"  # files from 2022-12-31 on, under Roscoe State Bank's certificate
ROSCOE = "33268"  # last report 2022-09-30
BANKS = (JPMORGAN, SILICON_VALLEY, FIRST_REPUBLIC, FLAGSTAR_FSB, FLAGSTAR_NA, CBLR_BANK,
         CORNERSTONE, ROSCOE)  # fmt: skip


def file_value(quarter: str, schedule: str, idrssd: str, code: str) -> str:
    """One cell of a shipped schedule file, as FFIEC wrote it (split files searched)."""
    with zipfile.ZipFile(quarter_zip(quarter)) as archive:
        for name in archive.namelist():
            if f"Schedule {schedule} " not in name:
                continue
            rows = csv.reader(io.TextIOWrapper(archive.open(name), "utf-8-sig"), delimiter="\t")
            header = [cell.strip().strip('"') for cell in next(rows)]
            if code not in header:
                continue
            for row in rows:
                if row and row[0].strip().strip('"') == idrssd:
                    return row[header.index(code)].strip()
    raise KeyError((quarter, schedule, idrssd, code))


def amount(quarter: str, schedule: str, idrssd: str, code: str) -> int:
    return int(file_value(quarter, schedule, idrssd, code))


@pytest.fixture(scope="module")
def cut_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cut(tmp_path_factory.mktemp("real") / "cut", BANKS)


@pytest.fixture
def imported(aws: Aws, cut_folder: Path) -> Iterator[BanksTable]:
    BankImporter(aws.banks_table).import_path(cut_folder)
    yield BanksTable(aws.banks_table)


def _profile(banks: BanksTable, idrssd: str) -> Profile:
    profile = banks.profile(idrssd)
    assert profile is not None and profile.view is not None, idrssd
    return profile


def _row(profile: Profile, quarter: str) -> dict[str, Any]:
    assert profile.view is not None
    return next(row for row in profile.view.series if row["quarter"] == quarter)


def test_jpmorgan_is_the_call_reports_consolidated_031_figures(imported: BanksTable) -> None:
    jpm = _profile(imported, JPMORGAN)
    assert jpm.filing_type == "031" and jpm.latest_quarter == "20240630"
    figures = jpm.view.figures  # type: ignore[union-attr]
    # A 031 filer reports the consolidated RCFD items; the RCON column beside is blank.
    assert figures["totalAssets"] == amount("20240630", "RC", JPMORGAN, "RCFD2170") == 3_510_536_000
    assert file_value("20240630", "RC", JPMORGAN, "RCON2170") == ""
    assert figures["loans"] == amount("20240630", "RC", JPMORGAN, "RCFDB528")
    assert figures["totalDeposits"] == amount("20240630", "RC", JPMORGAN, "RCON2200") + amount(
        "20240630", "RC", JPMORGAN, "RCFN2200"
    )
    # Income is year-to-date in the file; the quarter's own is H1 minus Q1.
    assert figures["netIncome"] == amount("20240630", "RI", JPMORGAN, "RIAD4340") - amount(
        "20240331", "RI", JPMORGAN, "RIAD4340"
    )
    # RC-R ratios are text with a percent sign.
    raw = file_value("20240630", "RCRI", JPMORGAN, "RCFA7204")
    assert raw.endswith("%") and figures["leverageRatio"] == pytest.approx(float(raw[:-1]))
    assert jpm.view.source == {  # type: ignore[union-attr]
        "kind": "ffiec_cdr",
        "title": "FFIEC Central Data Repository, Call Reports -- Single Period bulk files",
        "quarter": "20240630",
        "producedAt": "2024-09-15T04:30:02",
    }


def test_income_after_the_missing_first_quarter_of_2023_is_unknown(imported: BanksTable) -> None:
    """2023-03-31 is not in the files: 2023-Q2's income cannot be derived from the year to
    date, so it is unknown, never the half-year figure, and the ratios on it too."""
    jpm = _profile(imported, JPMORGAN)
    q2 = imported.quarter_records("20230630", [JPMORGAN])[JPMORGAN]
    assert "netIncome" not in q2.figures and "netInterestIncome" not in q2.figures
    assert q2.ytd["netIncome"] == amount("20230630", "RI", JPMORGAN, "RIAD4340")  # kept, apart
    assert q2.note is not None and "2023-03-31" in q2.note
    row = _row(jpm, "20230630")
    assert row["netIncome"] is None and row["roa"] is None and row["nim"] is None
    assert row["totalAssets"] == amount("20230630", "RC", JPMORGAN, "RCFD2170")  # stocks stay
    assert any("2023-03-31" in note for note in jpm.view.notes)  # type: ignore[union-attr]
    # The quarter after it is whole again: 2023-Q3 = 9 months minus 6.
    q3 = _row(jpm, "20230930")
    assert q3["netIncome"] == amount("20230930", "RI", JPMORGAN, "RIAD4340") - amount(
        "20230630", "RI", JPMORGAN, "RIAD4340"
    )
    assert [row["quarter"] for row in jpm.view.series] == [  # type: ignore[union-attr]
        "20220630", "20220930", "20221231", "20230630", "20230930", "20231231", "20240331",
        "20240630",
    ]  # the gap is a gap: no 2023-03-31 row, nothing interpolated  # fmt: skip


def test_an_item_a_051_filer_does_not_report_is_not_reported_never_zero(
    imported: BanksTable,
) -> None:
    bank = _profile(imported, CBLR_BANK)
    assert bank.filing_type == "051"
    assert file_value("20240630", "RCRI", CBLR_BANK, "RCOAP793") == ""  # blank in the file
    assert "cet1Ratio" not in bank.view.figures  # type: ignore[union-attr]
    assert bank.view.metrics["cet1Ratio"] is None  # type: ignore[union-attr]
    raw = file_value("20240630", "RCRI", CBLR_BANK, "RCOA7204")
    assert bank.view.figures["leverageRatio"] == pytest.approx(float(raw.rstrip("%")))  # type: ignore[union-attr]
    assert "foreignDeposits" not in bank.view.figures  # type: ignore[union-attr]


def test_a_bank_that_stopped_filing_keeps_its_history_and_says_when(imported: BanksTable) -> None:
    catalog = BankCatalog(imported)
    for failed in (SILICON_VALLEY, FIRST_REPUBLIC):
        profile = catalog.profile(failed)
        assert profile["data"] == "loaded" and profile["latestQuarter"] == "20221231"
        assert profile["reporting"] == {
            "status": "stopped", "firstQuarter": "20220630", "lastQuarter": "20221231",
            "newestQuarter": "20240630",
        }  # fmt: skip
        assert [row["quarter"] for row in profile["series"]] == [
            "20220630", "20220930", "20221231",
        ]  # fmt: skip
        # Its peers are those of its last quarter, not of a later one.
        assert profile["peers"]["quarter"] == "20221231"
    svb = catalog.profile(SILICON_VALLEY)
    assert svb["figures"]["totalAssets"] == amount("20221231", "RC", SILICON_VALLEY, "RCFD2170")
    assert catalog.profile(JPMORGAN)["reporting"]["status"] == "current"
    found = catalog.search("silicon valley")["banks"]
    assert [bank["stoppedFiling"] for bank in found] == [True]


def test_an_rssd_change_links_both_ids_and_a_name_change_is_remembered(
    imported: BanksTable,
) -> None:
    """Flagstar Bank, FSB (146672) last filed 2022-09-30; its FDIC certificate 32541 was
    filed from 2022-12-31 under New York Community Bank's RSSD ID (694904), renamed Flagstar
    Bank, N.A."""
    catalog = BankCatalog(imported)
    old, new = catalog.profile(FLAGSTAR_FSB), catalog.profile(FLAGSTAR_NA)
    assert old["fdicCert"] == new["fdicCert"] == "32541"
    assert old["successor"] == {
        "idrssd": FLAGSTAR_NA, "name": new["name"], "lastQuarter": "20220930"
    }  # fmt: skip
    assert new["predecessors"] == [
        {"idrssd": FLAGSTAR_FSB, "name": "FLAGSTAR BANK, FSB", "lastQuarter": "20220930"}
    ]
    assert new["name"] == "FLAGSTAR BANK, NATIONAL ASSOCIATION"
    assert new["formerNames"] == ["NEW YORK COMMUNITY BANK"]
    assert [b["idrssd"] for b in catalog.search("new york community")["banks"]] == [FLAGSTAR_NA]
    assert [b["idrssd"] for b in catalog.search("32541")["banks"]] == [
        FLAGSTAR_FSB, FLAGSTAR_NA,
    ]  # the certificate finds both  # fmt: skip
    # A bank that appears mid-series under a certificate another id filed before.
    cornerstone = catalog.profile(CORNERSTONE)
    assert cornerstone["reporting"]["firstQuarter"] == "20221231"
    assert cornerstone["series"][0]["quarter"] == "20221231"
    assert cornerstone["predecessors"][0]["idrssd"] == ROSCOE


def test_confidential_and_blank_cells(aws: Aws, tmp_path: Path) -> None:
    """CONF in the real files is in columns the importer does not read (RC-C Part I); one
    in a column it reads makes the figure unknown and says so."""
    folder = cut(tmp_path / "cut", [CBLR_BANK], ["20240630"])
    rcci = next(folder.rglob("*Schedule RCCI*"))
    assert "CONF" in rcci.read_text(encoding="utf-8-sig")
    rc = next(folder.rglob("*Schedule RC 06302024.txt"))
    lines = rc.read_bytes().split(b"\n")
    header = [cell.strip(b'"\r') for cell in lines[0].split(b"\t")]
    column = header.index(b"RCONB528")
    for number, line in enumerate(lines):
        cells = line.split(b"\t")
        if cells[0].strip(b'"') == CBLR_BANK.encode():
            cells[column] = b"CONF"
            lines[number] = b"\t".join(cells)
    rc.write_bytes(b"\n".join(lines))
    BankImporter(aws.banks_table).import_path(folder)
    record = BanksTable(aws.banks_table).quarter_records("20240630", [CBLR_BANK])[CBLR_BANK]
    assert "loans" not in record.figures and record.confidential == ("loans",)


def test_a_full_cdr_zip_of_every_schedule_imports_the_same(aws: Aws, tmp_path: Path) -> None:
    """A zip as a user downloads it: ~50 schedules (the ones the importer does not read
    are passed over), FFIEC's Readme.txt, the CDR name."""
    subset = cut(tmp_path / "subset", [JPMORGAN, CBLR_BANK], ["20240331", "20240630"])
    full = tmp_path / "full"
    full.mkdir()
    for quarter_folder in sorted(subset.iterdir()):
        date = quarter_folder.name.rsplit(" ", 1)[-1]
        archive = full / f"FFIEC CDR Call Bulk All Schedules {date}.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            for path in quarter_folder.iterdir():
                name = "Readme.txt" if path.name == "readme.md" else path.name
                handle.write(path, name)
            template = (quarter_folder / f"FFIEC CDR Call Schedule RCCI {date}.txt").read_bytes()
            for schedule in sorted(mdrm.KNOWN_SCHEDULES - mdrm.USED_SCHEDULES - {"RCCI"}):
                handle.writestr(f"FFIEC CDR Call Schedule {schedule} {date}.txt", template)
    assert len(zipfile.ZipFile(archive).namelist()) >= 45
    banks = BanksTable(aws.banks_table)
    BankImporter(aws.banks_table).import_path(subset)
    from_subset = {bank: _profile(banks, bank) for bank in (JPMORGAN, CBLR_BANK)}
    summary = BankImporter(aws.banks_table).import_path(full)
    assert summary.banks == 2 and not summary.notes[:-1]  # only the missing-income note
    for bank, profile in from_subset.items():
        assert _profile(banks, bank) == profile
    assert from_subset[JPMORGAN].view.figures["totalAssets"] == 3_510_536_000  # type: ignore[union-attr]


def _second_table(name: str) -> Any:
    import boto3

    from devstack.resources import ResourceNames, create_all
    from tests.conftest import REGION

    other = ResourceNames(banks_table=name, jobs_table=f"jobs-{name}")
    create_all(
        boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION),
        other,
    )  # fmt: skip
    return boto3.resource("dynamodb", region_name=REGION).Table(other.banks_table)


def _quarter_by_quarter(table: Any, cut_folder: Path) -> None:
    for quarter in sorted(cut_folder.iterdir(), key=lambda p: p.name[-4:] + p.name[-8:-4]):
        BankImporter(table).import_path(quarter)


def _assert_same_banks(stepwise: BanksTable, at_once: BanksTable) -> None:
    for bank in BANKS:
        assert stepwise.profile(bank) == at_once.profile(bank), bank
        for as_of in at_once.quarters_of(bank):
            assert stepwise.quarter_records(as_of, [bank]) == at_once.quarter_records(as_of, [bank])
    assert stepwise.index() == at_once.index()


def test_quarter_by_quarter_gives_the_same_profiles_as_one_run(aws: Aws, cut_folder: Path) -> None:
    """A quarterly update (RECENT items merged, series rows reused) ends where an import of
    everything at once does: the same profiles, quarters and index."""
    by_quarter = _second_table("banks-by-quarter")
    BankImporter(aws.banks_table).import_path(cut_folder)
    _quarter_by_quarter(by_quarter, cut_folder)
    _assert_same_banks(BanksTable(by_quarter), BanksTable(aws.banks_table))


def test_batches_left_half_unprocessed_still_import_every_figure(
    aws: Aws, cut_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB throttling part of each batch (reads of the banks' earlier quarters and
    writes alike) costs rounds, not figures: the import ends where a clean one does."""
    from chalicelib.banks import table as banks_table
    from tests.faults import FaultInjector

    monkeypatch.setattr(banks_table, "unprocessed_backoff", lambda _round: 0.0)
    throttled = _second_table("banks-throttled")
    faults = FaultInjector().attach(throttled.meta.client)
    reads = faults.leave_unprocessed("BatchGetItem", times=10_000)
    writes = faults.leave_unprocessed("BatchWriteItem", times=10_000)
    BankImporter(aws.banks_table).import_path(cut_folder)
    _quarter_by_quarter(throttled, cut_folder)
    assert reads.fired and writes.fired
    faults.clear()
    _assert_same_banks(BanksTable(throttled), BanksTable(aws.banks_table))


def _ratio(quarter: str, idrssd: str, top: str, bottom: str) -> float:
    return amount(quarter, "RC", idrssd, top) / amount(quarter, "RC", idrssd, bottom) * 100


def test_figures_in_context_are_the_call_reports_changes(imported: BanksTable) -> None:
    """Changes on the quarter and the year, from the files' own cells: total assets in
    percent, equity to assets in percentage points."""
    context = BankCatalog(imported).profile(JPMORGAN)["context"]
    assets = [amount(q, "RC", JPMORGAN, "RCFD2170") for q in ("20240630", "20240331", "20230630")]
    assert context["totalAssets"]["value"] == assets[0]
    assert context["totalAssets"]["changes"] == {
        "qoq": round((assets[0] / assets[1] - 1) * 100, 2),
        "yoy": round((assets[0] / assets[2] - 1) * 100, 2),
    }
    equity = {q: _ratio(q, JPMORGAN, "RCFD3210", "RCFD2170") for q in ("20240630", "20240331")}
    assert context["equityToAssets"]["changes"]["qoq"] == pytest.approx(
        equity["20240630"] - equity["20240331"], abs=1e-3
    )


SMALL_BANKS = (CBLR_BANK, "1351", "4156", "7045")  # under $1 billion of total assets in 2024


def test_a_percentile_ranks_the_bank_among_the_banks_of_its_size(aws: Aws, tmp_path: Path) -> None:
    """Four community banks, one size band in 2024-06-30: ranked by equity to assets as the
    file gives it (RCON3210 / RCON2170), 0 the lowest, 100 the highest, ties none."""
    BankImporter(aws.banks_table).import_path(cut(tmp_path / "cut", SMALL_BANKS, ["20240630"]))
    catalog = BankCatalog(BanksTable(aws.banks_table))
    ranked = {bank: catalog.profile(bank)["context"]["equityToAssets"] for bank in SMALL_BANKS}
    ratios = {bank: _ratio("20240630", bank, "RCON3210", "RCON2170") for bank in SMALL_BANKS}
    order = sorted(SMALL_BANKS, key=lambda bank: ratios[bank])
    assert [ranked[bank]["percentile"] for bank in order] == [0, 33, 67, 100]
    assert {ranked[bank]["peerBanks"] for bank in order} == {4}
    middle = (ratios[order[1]] + ratios[order[2]]) / 2
    for bank in order:
        assert ranked[bank]["peerMedian"] == pytest.approx(middle, abs=1e-3)


def test_no_change_is_bridged_over_the_missing_first_quarter_of_2023(
    aws: Aws, tmp_path: Path
) -> None:
    """Imported up to 2023-06-30, the quarter before it (2023-03-31) is not in the files: the
    change on the quarter is unknown, never the change from 2022-12-31."""
    folder = cut(tmp_path / "cut", [JPMORGAN], ["20220630", "20221231", "20230630"])
    BankImporter(aws.banks_table).import_path(folder)
    context = BankCatalog(BanksTable(aws.banks_table)).profile(JPMORGAN)["context"]
    assets = [amount(q, "RC", JPMORGAN, "RCFD2170") for q in ("20230630", "20220630")]
    assert context["totalAssets"]["changes"] == {
        "qoq": None, "yoy": round((assets[0] / assets[1] - 1) * 100, 2),
    }  # fmt: skip
    assert context["equityToAssets"]["changes"]["qoq"] is None


def test_each_quarter_has_its_own_peer_median_from_the_banks_of_its_size_then(
    aws: Aws, tmp_path: Path
) -> None:
    """The four community banks over two quarters, imported one quarter at a time: each
    series row's median is that quarter's, from the file's own cells (RCON3210 / RCON2170),
    and the first quarter's survives the import of the second."""
    folder = tmp_path / "cut"
    for quarter in ("20240331", "20240630"):
        BankImporter(aws.banks_table).import_path(cut(folder / quarter, SMALL_BANKS, [quarter]))
    rows = {
        row["quarter"]: row["peerMedians"]
        for row in BankCatalog(BanksTable(aws.banks_table)).profile(CBLR_BANK)["series"]
    }
    for quarter in ("20240331", "20240630"):
        ratios = sorted(_ratio(quarter, bank, "RCON3210", "RCON2170") for bank in SMALL_BANKS)
        assert all(amount(quarter, "RC", bank, "RCON2170") < 1_000_000 for bank in SMALL_BANKS)
        expected = (ratios[1] + ratios[2]) / 2
        assert rows[quarter]["equityToAssets"] == pytest.approx(expected, abs=1e-3), quarter
    assert rows["20240331"] != rows["20240630"]
