"""Report tests share the synthetic sample, imported into moto."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.table import BanksTable
from chalicelib.reports.facts import ReportFacts
from ingest.importer import BankImporter
from tests.moto_account import Aws

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "ffiec"
STRONG, STRESSED = "9900001", "9900002"


@pytest.fixture
def sample(aws: Aws) -> Aws:
    importer = BankImporter(aws.banks_table)
    importer.import_path(SAMPLE)
    importer.load_reference_banks()
    return aws


@pytest.fixture
def catalog(sample: Aws) -> BankCatalog:
    return BankCatalog(BanksTable(sample.banks_table))


@pytest.fixture
def banks(sample: Aws) -> BanksTable:
    return BanksTable(sample.banks_table)


def facts_of(banks: BanksTable, idrssd: str) -> ReportFacts:
    """The report's facts of a sample bank, from its profile record."""
    profile = banks.profile(idrssd)
    assert profile is not None, idrssd
    return ReportFacts.from_profile(profile)


@pytest.fixture
def strong(banks: BanksTable) -> ReportFacts:
    return facts_of(banks, STRONG)


@pytest.fixture
def stressed(banks: BanksTable) -> ReportFacts:
    return facts_of(banks, STRESSED)
