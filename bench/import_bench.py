"""Import benchmark, synthetic part: a generated quarter of N banks, parse + write, in process.

    .venv/bin/python -m bench.import_bench --synthetic [N ...] [--moto]  (default: 1000 5000)

(Without ``--synthetic`` the benchmark is :mod:`bench.real_import`: the eight real quarters
into the local emulator.)

For each N, measured in a process of its own, it prints rows per second and the tracemalloc
peak of the whole import (parse, validation, staging, item building and writing), in total
and per bank, then whether that peak is flat in the number of banks. The items go to
:class:`SinkTable`, which counts and drops them: moto keeps every item in Python memory, so
a peak measured against it grows with the table, not with the importer. ``--moto`` adds an
end-to-end run against moto for the rows per second of a real write path (slow: about a
minute for 5 000 banks).

The search index (``pk=INDEX``, :mod:`chalicelib.banks.table`) holds one small entry per bank
by design and is read and written whole; its load and write are measured apart ("index
phase"). SQLite's page cache is allocated by SQLite, not Python, so tracemalloc does not see
it; the importer bounds it with ``PRAGMA cache_size`` (see :mod:`ingest.staging`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import offline_aws
from chalicelib.banks.records import IndexEntry, IndexVersion
from chalicelib.banks.table import BanksTable
from ingest.importer import BankImporter
from ingest.sample import generate
from ingest.staging import Staging

ROOT = Path(__file__).resolve().parent.parent
QUARTER = ("20240331",)


class _SinkBatch:
    def __init__(self, table: SinkTable) -> None:
        self._table = table

    def __enter__(self) -> _SinkBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def put_item(self, Item: dict[str, Any]) -> None:
        self._table.puts += 1

    def delete_item(self, Key: dict[str, Any]) -> None:
        self._table.deletes += 1


class _SinkClient:
    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        return {"Responses": {}}


class _Meta:
    client = _SinkClient()


class SinkTable:
    """The part of a boto3 Table the importer uses; writes are counted, nothing is kept."""

    name = "bench-sink"
    meta = _Meta()

    def __init__(self) -> None:
        self.puts = 0
        self.deletes = 0

    def get_item(self, Key: dict[str, Any]) -> dict[str, Any]:
        return {}

    def put_item(self, Item: dict[str, Any]) -> None:
        self.puts += 1

    def batch_writer(self, **kwargs: Any) -> _SinkBatch:
        return _SinkBatch(self)

    def update_item(self, **kwargs: Any) -> None:
        self.puts += 1

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return {"Items": []}

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        return {"Items": []}


@dataclass
class Peaks:
    """tracemalloc peaks (bytes) of the import's work and of its index phase."""

    work: int = 0
    index: int = 0

    @contextmanager
    def index_phase(self) -> Iterator[None]:
        self.work = max(self.work, tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        try:
            yield
        finally:
            self.index = max(self.index, tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()


def measured_importer(table: Any, peaks: Peaks) -> BankImporter:
    """A BankImporter whose index load and write are measured apart from the rest."""

    class MeasuredTable(BanksTable):
        def write_index(self, entries: Iterable[IndexEntry]) -> IndexVersion:
            with peaks.index_phase():
                return super().write_index(entries)

    class Measured(BankImporter):
        def _load_index(self, stage: Staging) -> None:
            with peaks.index_phase():
                super()._load_index(stage)

    return Measured(MeasuredTable(table), real_ids=set())


@dataclass
class Result:
    banks: int
    rows: int
    seconds: float
    items: int
    peaks: Peaks


def run(folder: str, n_banks: int) -> Result:
    # A first, untraced import fills CPython's free lists (up to 2 000 tuples of each size,
    # dicts, floats: a bounded ~2 MiB that a 5 000-bank run fills and a 1 000-bank run may
    # not); without it they would count as import memory in one run and not in the other.
    BankImporter(SinkTable(), real_ids=set()).import_path(folder)
    peaks = Peaks()
    table = SinkTable()
    tracemalloc.start()
    try:
        started = time.perf_counter()
        summary = measured_importer(table, peaks).import_path(folder)
        seconds = time.perf_counter() - started
        peaks.work = max(peaks.work, tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    assert summary.banks == n_banks, summary.sentence()
    return Result(n_banks, summary.rows_read, seconds, table.puts, peaks)


def run_moto(folder: str, n_banks: int) -> str:
    import boto3
    from moto import mock_aws

    from devstack.resources import ResourceNames, create_all

    with mock_aws():
        names = ResourceNames(banks_table=f"bench-banks-{n_banks}")
        create_all(boto3.client("dynamodb"), boto3.client("s3"), names)
        table = boto3.resource("dynamodb").Table(names.banks_table)
        started = time.perf_counter()
        summary = BankImporter(table, real_ids=set()).import_path(folder)
        seconds = time.perf_counter() - started
    return (
        f"{n_banks:>6} banks | moto end to end {seconds:6.2f} s "
        f"({summary.rows_read / seconds:>7,.0f} rows/s, "
        f"{summary.items_written / seconds:>6,.0f} items/s)"
    )


def _mib(value: float) -> str:
    return f"{value / 2**20:6.2f} MiB"


def measure_one(n_banks: int, moto: bool) -> dict[str, Any]:
    """Generate and import one quarter of ``n_banks`` banks; the figures as a dict."""
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, n_banks=n_banks, quarters=QUARTER)
        result = run(folder, n_banks)
        figures: dict[str, Any] = {
            "banks": n_banks,
            "rows": result.rows,
            "seconds": result.seconds,
            "items": result.items,
            "work": result.peaks.work,
            "index": result.peaks.index,
        }
        if moto:
            figures["moto"] = run_moto(folder, n_banks)
    return figures


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if "--synthetic" not in args and "--one" not in args:
        from bench import real_import

        real_import.main(args)
        return
    offline_aws()
    moto = "--moto" in args
    if "--one" in args:  # the child process of one size (see below)
        print(json.dumps(measure_one(int(args[args.index("--one") + 1]), moto)))
        return
    sizes = [int(arg) for arg in args if arg.isdigit()] or [1000, 5000]
    args = [arg for arg in args if arg != "--synthetic"]
    results: list[dict[str, Any]] = []
    for n_banks in sizes:
        # One process per size: process-wide tables (interned strings, free lists) that a
        # previous run grew would otherwise land in the next run's peak as a one-off resize.
        command = [sys.executable, "-m", "bench.import_bench", "--synthetic", "--one", str(n_banks)]
        output = subprocess.run(
            command + (["--moto"] if moto else []),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        results.append(figures)
        work, index, rows, seconds = (figures[k] for k in ("work", "index", "rows", "seconds"))
        print(
            f"{n_banks:>6} banks | {rows:>6} rows | {seconds:6.2f} s "
            f"({rows / seconds:>8,.0f} rows/s, {figures['items']:>6} items) | "
            f"parse+write peak {_mib(work)} ({work / n_banks:7,.0f} B/bank) | "
            f"index phase peak {_mib(index)} ({index / n_banks:5,.0f} B/bank)",
            flush=True,
        )
        if moto:
            print(figures["moto"], flush=True)
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = large["work"] / small["work"]
        scale = large["banks"] / small["banks"]
        verdict = "flat" if growth < 1 + (scale - 1) * 0.1 else "grows with the number of banks"
        print(
            f"parse+write peak x{growth:.2f} for x{scale:.0f} banks: {verdict}; index phase "
            f"x{large['index'] / max(small['index'], 1):.2f} (one entry per bank, by design)"
        )


if __name__ == "__main__":
    main()
