"""All eight shipped real quarters, every bank, imported as ``make run`` imports them (moto);
and the local stack's cache of the result restores the same table.

The one slow test of the bank data (about a minute): it guards what a person sees first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.search import parse_search
from chalicelib.banks.table import BanksTable
from devstack import bank_data
from devstack.resources import ResourceNames, create_all
from ingest import metrics
from ingest.importer import BankImporter
from tests.conftest import REGION
from tests.moto_account import Aws
from tests.real_files import JPMORGAN, REAL_DATA, SILICON_VALLEY, shipped_quarters


def _items(name: str) -> list[dict[str, Any]]:
    """Every item of a table as DynamoDB JSON, in key order (a paged Scan of 47 000 items
    through moto costs minutes: it walks the whole table for every page)."""
    found = bank_data.EmulatedTable(name).items()
    return sorted(found, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def test_eight_real_quarters_of_every_bank(aws: Aws, tmp_path: Path) -> None:
    summary = BankImporter(aws.banks_table).import_path(REAL_DATA)
    assert summary.quarters == shipped_quarters() and len(summary.quarters) == 8
    assert summary.banks == 4841 and not summary.skipped
    banks = BanksTable(aws.banks_table)
    catalog = BankCatalog(banks)

    jpm = catalog.profile(JPMORGAN)
    assert jpm["figures"]["totalAssets"] == 3_510_536_000  # RCFD2170 at 2024-06-30
    assert jpm["peers"]["bucket"] == "over_700b" and jpm["peers"]["quarter"] == "20240630"
    assert jpm["peers"]["percentiles"]["roa"] is not None
    assert catalog.profile(SILICON_VALLEY)["reporting"]["status"] == "stopped"

    # Every real group of the newest quarter: medians of the banks that filed it.
    index = banks.index()
    assert index is not None
    filed = [entry for entry in index.values() if entry.quarter == "20240630"]
    assert len(filed) == 4594 and not any(entry.synthetic for entry in index.values())
    sizes = {bucket.name: 0 for bucket in metrics.SIZE_BUCKETS}
    for entry in filed:
        bucket = metrics.size_bucket(entry.assets)
        assert bucket is not None
        sizes[bucket.name] += 1
    assert jpm["peers"]["banks"] == sizes["over_700b"]

    first = catalog.search("")
    assert first["total"] == 4841 and first["count"] == 50 and first["nextCursor"]
    largest = catalog.search(parse_search({"sort": "assets"}))["banks"]
    assert largest[0]["idrssd"] == JPMORGAN
    assert [bank["totalAssets"] for bank in largest] == sorted(
        (bank["totalAssets"] for bank in largest), reverse=True
    )

    # The local stack's cache: the items out of the emulator and back into an empty table.
    cache = bank_data.ItemCache(tmp_path, "test")
    cache.write(bank_data.EmulatedTable(aws.names.banks_table).items())
    restored = ResourceNames(banks_table="restored-banks", jobs_table="restored-jobs")
    create_all(
        boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION),
        restored,
    )  # fmt: skip
    items = cache.read()
    assert items is not None and sorted(items, key=_key) == _items(aws.names.banks_table)
    bank_data.EmulatedTable(restored.banks_table).put_all(items)
    assert _items(restored.banks_table) == _items(aws.names.banks_table)
    copy = BanksTable(boto3.resource("dynamodb", region_name=REGION).Table(restored.banks_table))
    for bank in (JPMORGAN, SILICON_VALLEY):  # and read through the API's own adapter
        assert copy.profile(bank) == banks.profile(bank)
    assert copy.index() == banks.index()


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]
