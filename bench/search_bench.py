"""Search benchmark: BankCatalog.search over N synthetic banks in moto, in process.

    .venv/bin/python bench/search_bench.py [N]      (default: 5000)

The first call loads the index (the version, then its shards in one BatchGetItem); the rest
are served from memory, which is how a warm Lambda answers until an import moves the
version. Prints p50 / p95 / max per query kind.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from moto import mock_aws

from bench.support import offline_aws, percentile
from chalicelib.banks.catalog import BankCatalog
from chalicelib.banks.table import BanksTable
from devstack.resources import ResourceNames, create_all
from ingest.importer import BankImporter
from ingest.sample import generate

QUERIES = {
    "empty": [""],
    "word": ["bank", "trust", "savings", "valley", "harbor"],
    "two words": ["first state", "union bank", "pioneer trust"],
    "city": ["springfield", "dayton il", "espanola"],
    "id prefix": ["9900", "99012", "9904999"],
    "no match": ["zzzz", "'; drop table", ".*"],
}
ROUNDS = 40


def main() -> None:
    offline_aws()
    n_banks = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as folder, mock_aws():
        generate(folder, n_banks=n_banks, quarters=("20240331",))
        names = ResourceNames(banks_table="bench-banks")
        create_all(boto3.client("dynamodb"), boto3.client("s3"), names)
        table = boto3.resource("dynamodb").Table(names.banks_table)
        importer = BankImporter(table, real_ids=set())
        importer.import_path(folder)
        importer.load_reference_banks()
        catalog = BankCatalog(BanksTable(table))
        started = time.perf_counter()
        catalog.search("bank")
        cold = time.perf_counter() - started
        print(f"{n_banks} banks; cold search (loads the index): {cold * 1000:.1f} ms")
        every: list[float] = []
        for kind, queries in QUERIES.items():
            timings: list[float] = []
            for _ in range(ROUNDS):
                for query in queries:
                    started = time.perf_counter()
                    catalog.search(query)
                    timings.append((time.perf_counter() - started) * 1000)
            every.extend(timings)
            print(
                f"  {kind:<10} p50 {statistics.median(timings):6.2f} ms  "
                f"p95 {percentile(timings, 0.95):6.2f} ms  max {max(timings):6.2f} ms"
            )
        print(
            f"  all        p50 {statistics.median(every):6.2f} ms  "
            f"p95 {percentile(every, 0.95):6.2f} ms  ({len(every)} searches)"
        )
        started = time.perf_counter()
        catalog.profile(str(9_900_001))
        elapsed = (time.perf_counter() - started) * 1000
        print(f"  profile (one GetItem): {elapsed:.1f} ms")


if __name__ == "__main__":
    main()
