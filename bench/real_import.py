"""Import benchmark on the real data: the eight shipped FFIEC quarters into the local emulator.

    .venv/bin/python -m bench.import_bench             (or: -m bench.real_import)

As ``make import`` does it: the emulator (moto's server, as ``make run`` starts it) in one
process, the importer in another, talking HTTP. It prints:

1. all eight quarters in one run into an empty table (what a cold ``make run`` does):
   seconds, rows and items per second, the importer's peak memory, the emulator's memory;
2. the quarters one run each, oldest first, into one table (a quarterly update as it
   comes): seconds and CPU seconds of the importer and of the emulator per quarter, and
   the last against the first: flat, not rising, is the aim (at most 1.2x);
3. the newest quarter imported again into the filled table (a corrected file).

Each import runs in a child process of its own, so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "ffiec"
TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    """``bench.emulator`` in a child process, with its CPU time and memory from /proc."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.emulator", str(self.port)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("ready"), line

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def import_once(port: int, path: Path) -> dict[str, Any]:
    """One import in a child process; its figures."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.real_import", "--one", str(port), str(path)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(json.loads(output.strip().splitlines()[-1]))


def _one(port: str, path: str) -> None:
    """The child: import ``path`` into the emulator at ``port``, print its figures."""
    os.environ.update(
        {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "local",
         "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}
    )  # fmt: skip
    import boto3

    from devstack.resources import ResourceNames
    from ingest.cli import IMPORT_CONFIG
    from ingest.importer import BankImporter

    table = boto3.resource("dynamodb", config=IMPORT_CONFIG).Table(ResourceNames().banks_table)
    started, cpu = time.perf_counter(), time.process_time()
    summary = BankImporter(table).import_path(path)
    figures = {
        "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
        "rows": summary.rows_read, "items": summary.items_written, "banks": summary.banks,
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip
    print(json.dumps(figures))


def _quarters() -> list[Path]:
    """The shipped zips, oldest quarter first (their names are MMDDYYYY)."""
    return sorted(REAL.glob("*.zip"), key=lambda path: path.stem[-4:] + path.stem[-8:-4])


def _measured(emulator: Emulator, path: Path) -> dict[str, Any]:
    before = emulator.cpu()
    figures = import_once(emulator.port, path)
    figures["serverCpu"] = emulator.cpu() - before
    return figures


def _line(label: str, f: dict[str, Any]) -> str:
    return (
        f"{label:<22} {f['seconds']:6.1f} s | importer CPU {f['cpu']:5.1f} s, emulator CPU "
        f"{f['serverCpu']:5.1f} s | {f['rows'] / f['seconds']:7,.0f} rows/s, "
        f"{f['items'] / f['seconds']:6,.0f} items/s | importer peak {f['peakMiB']:4.0f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--one"]:
        _one(args[1], args[2])
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    emulator = Emulator()
    try:
        everything = _measured(emulator, REAL)
        print(_line("all eight in one run", everything), flush=True)
        print(f"  {everything['banks']} banks, {everything['items']} items; emulator holds "
              f"{emulator.rss_mib():.0f} MiB", flush=True)  # fmt: skip
    finally:
        emulator.stop()
    emulator = Emulator()
    try:
        per_quarter = []
        for path in _quarters():
            figures = _measured(emulator, path)
            per_quarter.append(figures)
            print(_line(f"quarter {path.stem[-8:]}", figures), flush=True)
        again = _measured(emulator, _quarters()[-1])
        print(_line("newest quarter again", again), flush=True)
        print(f"  emulator holds {emulator.rss_mib():.0f} MiB", flush=True)
    finally:
        emulator.stop()
    first, last = per_quarter[0], per_quarter[-1]
    print(
        f"eighth quarter / first: x{last['seconds'] / first['seconds']:.2f} wall, "
        f"x{(last['cpu'] + last['serverCpu']) / (first['cpu'] + first['serverCpu']):.2f} CPU "
        f"(importer and emulator); again into the filled table x"
        f"{again['seconds'] / first['seconds']:.2f}; load average at end "
        f"{os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
