"""Bank profile and search over HTTP on the real local stack, at the real data's scale.

    .venv/bin/python -m bench.profile_bench [--requests 200]
    .venv/bin/python -m bench.profile_bench --synthetic [--banks 4500] [--quarters 8]

By default it starts the local stack as ``make run`` does, with its default data (the eight
real quarters, 4 841 banks; from the cache when it is warm) and prints p50 / p95 of a bank
profile, of searches as the page sends them (text, state, size, order, the next page) and
of a job-status poll, in the same run, with the ratios of their p50s (aim: at most 1.5).

With ``--synthetic`` it starts the stack with no bank data, generates N synthetic banks
with the sample generator, imports them as ``make import`` does, and then prints:

* how long the import took;
* the first search and the first profile after that import (a process that has not yet
  read the new data);
* p50 / p95 of a bank profile (``GET /api/banks/{id}``, a different bank each time), of a
  search (``GET /api/banks?q=…``) and of a job-status poll, all measured in the same run,
  and the ratio of the profile's p50 to the poll's (aim: at most 1.5), then the one
  DynamoDB read behind each (a PROFILE item, a job item) timed straight at the emulator;
* after a second, small import into the warm process (the next quarter for 25 of the banks,
  which moves the peer medians of their bands), the first search and profile once the
  process has had time to notice it (``--settle`` seconds).

Every request opens its own connection, as a browser's first request does: a kept-alive
connection to ``chalice local`` adds about 40 ms of Nagle delay that is no part of the app.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3

from bench.support import percentile
from devstack.run import local_stage_env
from ingest.sample import DEFAULT_QUARTERS, FIRST_ID, generate
from tests.e2e.local_stack import local_stack

ROOT = Path(__file__).resolve().parent.parent
NEXT_QUARTER = "20250331"  # after the generator's last
HOST = "127.0.0.1"
QUERIES = ("bank", "trust", "first state", "springfield", "9901", "espanola", "zzzz")
# Searches as the page sends them over the real banks: text, RSSD ID and certificate, state,
# size band, the largest first, a second page.
REAL_SEARCHES = (
    "q=bank",
    "q=first+national",
    "q=jpmorgan",
    "q=8522",
    "q=628",
    "q=savings&state=TX",
    "state=CA&sort=assets",
    "minAssets=10000000&sort=assets",
    "hasData=true&q=trust",
    "q=bank&cursor=bzUw",
    "q=community&minAssets=1000000&maxAssets=10000000",
)
REAL_BANK = "852218"


def timed_get(port: int, path: str) -> tuple[float, int, bytes]:
    """(milliseconds, status, body) of one GET on a new connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, response.status, body


def import_files(folder: Path | str, emulator_port: int) -> float:
    """``make import FFIEC=folder`` into the running stack; seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "devstack.import_ffiec", str(folder),
         "--emulator-port", str(emulator_port)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.perf_counter() - started


def series(port: int, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        elapsed, status, body = timed_get(port, path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
        timings.append(elapsed)
    return timings


def line(label: str, timings: list[float]) -> str:
    return (
        f"  {label:<22} p50 {statistics.median(timings):7.2f} ms   "
        f"p95 {percentile(timings, 0.95):7.2f} ms   ({len(timings)} requests)"
    )


def first_requests(port: int, bank: str, label: str) -> None:
    search_ms, _, body = timed_get(port, "/api/banks?q=bank")
    profile_ms, _, _ = timed_get(port, f"/api/banks/{bank}")
    count = json.loads(body)["count"]
    print(f"  {label}: search {search_ms:7.1f} ms ({count} results), profile {profile_ms:7.1f} ms")


def item_reads(emulator: str, banks: list[str]) -> None:
    """The one read behind each route, sent straight to the emulator: a bank's ``PROFILE``
    item (all a profile reads of the Banks table) and the job item (all a poll reads)."""
    names = local_stage_env()
    client = boto3.client(
        "dynamodb", endpoint_url=emulator, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip

    def timed(table: str, pk: str, sk: str) -> float:
        started = time.perf_counter()
        client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        return (time.perf_counter() - started) * 1000

    profile = [timed(names["BANKS_TABLE"], f"BANK#{bank}", "PROFILE") for bank in banks]
    job = [timed(names["JOBS_TABLE"], f"BANK#{FIRST_ID}", "JOB#report") for _ in banks]
    print("the single reads behind them, straight to the emulator:")
    print(line("GetItem of a profile", profile))
    print(line("GetItem of a job", job))


def start_a_job(port: int, bank: str) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("POST", f"/api/research/{bank}/generate-background", body="{}",
                       headers={"Content-Type": "application/json"})  # fmt: skip
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status not in (200, 202):
        raise SystemExit(f"starting a report answered {response.status}")


def measure(args: argparse.Namespace, folder: str, later: str, logs: Path) -> dict[str, Any]:
    quarters = DEFAULT_QUARTERS[-args.quarters :]
    generate(folder, n_banks=args.banks, quarters=quarters)
    with local_stack(logs, timeout=120, env={"BANK_DATA": "none"}) as stack:
        port, emulator_port = (int(url.rsplit(":", 1)[1]) for url in (stack.url, stack.emulator))
        seconds = import_files(folder, emulator_port)
        print(f"{args.banks} banks x {len(quarters)} quarters imported in {seconds:.1f} s")
        first_requests(port, str(FIRST_ID + args.banks - 1), "first after the import")
        rng = random.Random(7)
        banks = [str(FIRST_ID + rng.randrange(args.banks)) for _ in range(args.requests)]
        start_a_job(port, str(FIRST_ID))
        poll = f"/api/research/{FIRST_ID}/job-status?type=report"
        series(port, [poll] * 20 + [f"/api/banks/{FIRST_ID}"] * 20)  # warm up
        figures = {
            "profile": series(port, [f"/api/banks/{bank}" for bank in banks]),
            "search": series(
                port,
                [f"/api/banks?q={quote(QUERIES[i % len(QUERIES)])}" for i in range(args.requests)],
            ),
            "poll": series(port, [poll] * args.requests),
        }
        print("steady state, a new connection per request:")
        for label, timings in figures.items():
            print(line(label, timings))
        ratio = statistics.median(figures["profile"]) / statistics.median(figures["poll"])
        print(f"  profile p50 / poll p50 = {ratio:.2f}   (aim <= 1.5)")
        item_reads(stack.emulator, banks)
        generate(later, n_banks=25, quarters=(NEXT_QUARTER,))
        seconds = import_files(later, emulator_port)
        print(f"imported {NEXT_QUARTER} for 25 of the banks into the warm stack in {seconds:.1f} s")
        time.sleep(args.settle)
        first_requests(port, str(FIRST_ID + 1), f"first {args.settle:.0f} s after it")
        print(line("search after it", series(port, ["/api/banks?q=bank"] * 50)))
    return figures


def measure_real(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    """The real data: profile, searches and a poll on the stack ``make run`` starts."""
    with local_stack(logs, timeout=600, env={"BANK_DATA": "real"}) as stack:
        port = int(stack.url.rsplit(":", 1)[1])
        _, _, body = timed_get(port, "/api/banks?hasData=true")
        total = json.loads(body)["total"]
        ids: list[str] = []
        for sort in ("name", "assets"):
            _, _, body = timed_get(port, f"/api/banks?hasData=true&sort={sort}")
            ids += [bank["idrssd"] for bank in json.loads(body)["banks"]]
        rng = random.Random(7)
        banks = [rng.choice(ids) for _ in range(args.requests)]
        start_a_job(port, REAL_BANK)
        poll = f"/api/research/{REAL_BANK}/job-status?type=report"
        series(port, [poll] * 20 + [f"/api/banks/{REAL_BANK}"] * 20 + ["/api/banks"] * 5)
        figures = {
            "profile": series(port, [f"/api/banks/{bank}" for bank in banks]),
            "search": series(
                port,
                [
                    f"/api/banks?{REAL_SEARCHES[i % len(REAL_SEARCHES)]}"
                    for i in range(args.requests)
                ],
            ),
            "poll": series(port, [poll] * args.requests),
        }
        print(f"{total} banks with figures; steady state, a new connection per request:")
        for label, timings in figures.items():
            print(line(label, timings))
        for label in ("profile", "search"):
            ratio = statistics.median(figures[label]) / statistics.median(figures["poll"])
            print(f"  {label} p50 / poll p50 = {ratio:.2f}   (aim <= 1.5)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--banks", type=int, default=4500)
    parser.add_argument("--quarters", type=int, default=8, choices=range(1, 9))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--settle", type=float, default=6.0)
    args = parser.parse_args()
    if not args.synthetic:
        with tempfile.TemporaryDirectory() as logs:
            measure_real(args, Path(logs))
        return
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryDirectory() as later,
        tempfile.TemporaryDirectory() as logs,
    ):
        measure(args, folder, later, Path(logs))


if __name__ == "__main__":
    main()
