"""Import benchmark: a generated quarter of N synthetic banks into moto, in process.

    .venv/bin/python bench/import_bench.py [N ...]      (default: 1000 5000)

Prints rows per second and tracemalloc peaks: of parsing alone (what the importer holds
for one quarter) and of the whole import (which includes moto's own in-memory table).
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from moto import mock_aws

from bench.support import offline_aws
from chalicelib.banks import ffiec
from chalicelib.banks.importer import BankImporter
from devstack.resources import ResourceNames, create_all
from scripts.make_ffiec_sample import generate

QUARTER = ("20240331",)


def run(n_banks: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, n_banks=n_banks, quarters=QUARTER)
        tracemalloc.start()
        started = time.perf_counter()
        (report,) = ffiec.load(folder)
        parse_seconds = time.perf_counter() - started
        _, parse_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows = report.rows
        del report

        with mock_aws():
            names = ResourceNames(banks_table=f"bench-banks-{n_banks}")
            create_all(boto3.client("dynamodb"), boto3.client("s3"), names)
            table = boto3.resource("dynamodb").Table(names.banks_table)
            tracemalloc.start()
            started = time.perf_counter()
            summary = BankImporter(table, real_ids=set()).import_path(folder)
            seconds = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    print(
        f"{n_banks:>6} banks | {rows:>6} rows | parse {parse_seconds:6.2f} s "
        f"({rows / parse_seconds:>8,.0f} rows/s, peak {parse_peak / 2**20:6.1f} MiB, "
        f"{parse_peak / n_banks / 1024:4.1f} KiB/bank) | import {seconds:6.2f} s "
        f"({rows / seconds:>7,.0f} rows/s, {summary.items_written / seconds:>6,.0f} items/s, "
        f"peak {peak / 2**20:6.1f} MiB incl. moto)"
    )


def main() -> None:
    offline_aws()
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 5000]
    for n_banks in sizes:
        run(n_banks)


if __name__ == "__main__":
    main()
