"""Job-status latency in process against a bare ``GetItem`` on the same moto backend.

Prints p50 and p95 of each and their ratio (aim: at most 1.5). Run: ``make bench`` or
``.venv/bin/python -m bench.poll [--polls N]``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from chalice.test import Client
from moto import mock_aws

from bench.support import offline_aws, percentile
from devstack.emulator import make_dynamodb_writes_atomic
from devstack.resources import ResourceNames, create_all
from ingest.importer import BankImporter

NAMES = ResourceNames("bench-jobs", "bench-banks", "bench-artifacts")
BANK = "9900001"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "ffiec"


def percentiles(samples: list[float]) -> tuple[float, float]:
    return percentile(samples, 0.5), percentile(samples, 0.95)


def measure(call: Callable[[], object], count: int) -> list[float]:
    for _ in range(min(50, count)):  # warm up
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=2000)
    args = parser.parse_args()

    offline_aws()
    os.environ.update(NAMES.as_env())
    os.environ["JOB_INVOKER"] = "thread"
    os.environ["STARTS_PER_MINUTE"] = "0"
    make_dynamodb_writes_atomic()

    from app import app
    from chalicelib import runtime
    from chalicelib.config import Settings
    from chalicelib.jobs.model import JobType
    from chalicelib.runtime import Runtime

    with mock_aws():
        session = boto3.session.Session()
        create_all(session.client("dynamodb"), session.client("s3"), NAMES)
        banks = session.resource("dynamodb").Table(NAMES.banks_table)
        BankImporter(banks).import_path(SAMPLE)  # the synthetic sample: BANK has figures

        class NoWorker:
            def invoke(self, event: object) -> None:
                """The job stays pending, so every poll reads a live job."""

        built = Runtime(Settings.from_env(), invoker=lambda _: NoWorker())
        runtime.install(built)
        built.jobs.start(BANK, JobType.REPORT, {})

        path = f"/api/research/{BANK}/job-status?type=report"
        key = {"pk": f"BANK#{BANK}", "sk": "JOB#report"}
        bare_table = session.resource("dynamodb").Table(NAMES.jobs_table)
        with Client(app, stage_name="local") as client:
            response = client.http.get(path)
            assert response.status_code == 200, response.body
            poll = measure(lambda: client.http.get(path), args.polls)
        bare = measure(lambda: bare_table.get_item(Key=key, ConsistentRead=False), args.polls)

    poll_p50, poll_p95 = percentiles(poll)
    bare_p50, bare_p95 = percentiles(bare)
    print(f"job-status poll, in process ({args.polls} polls through chalice.test.Client):")
    print(f"  poll     p50 {poll_p50:6.3f} ms   p95 {poll_p95:6.3f} ms")
    print(f"  GetItem  p50 {bare_p50:6.3f} ms   p95 {bare_p95:6.3f} ms")
    ratio_p50, ratio_p95 = poll_p50 / bare_p50, poll_p95 / bare_p95
    print(f"  ratio    p50 {ratio_p50:6.2f}      p95 {ratio_p95:6.2f}   (aim <= 1.5)")


if __name__ == "__main__":
    main()
