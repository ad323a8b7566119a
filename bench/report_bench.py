"""One report job end to end, in process on moto: wall time and AWS calls by kind.

The template writer runs unpaced. Aim: at most 15 DynamoDB writes per report job.
Run: ``.venv/bin/python -m bench.report_bench [--jobs N]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections import Counter
from pathlib import Path

import boto3
from moto import mock_aws

from bench.support import offline_aws
from devstack.aws_calls import by_kind, counting_calls
from devstack.emulator import make_dynamodb_writes_atomic
from devstack.resources import ResourceNames, create_all

NAMES = ResourceNames("bench-jobs", "bench-banks", "bench-artifacts")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "ffiec"
BANK = "9900001"
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    offline_aws()
    make_dynamodb_writes_atomic()
    from chalicelib.logs import get_logger

    get_logger().setLevel(logging.WARNING)  # one JSON line per job would drown the figures

    from chalicelib.bootstrap import bootstrap
    from chalicelib.config import Settings
    from chalicelib.jobs.model import JobType, WorkerEvent
    from chalicelib.runtime import Runtime
    from ingest.importer import BankImporter

    class Deferred:
        """Keeps the event so that the worker's run can be timed on its own."""

        event: WorkerEvent | None = None

        def invoke(self, event: WorkerEvent) -> None:
            self.event = event

    with mock_aws():
        session = boto3.session.Session()
        create_all(session.client("dynamodb"), session.client("s3"), NAMES)
        BankImporter(session.resource("dynamodb").Table(NAMES.banks_table)).import_path(SAMPLE)

        deferred = Deferred()
        # No start limit: one caller starts every job (with limits on, a start adds one write).
        env = {**NAMES.as_env(), "JOB_INVOKER": "thread", "REPORT_PACE_SECONDS": "0",
               "STARTS_PER_MINUTE": "0"}  # fmt: skip
        runtime = Runtime(Settings.from_env(env), invoker=lambda _: deferred)
        walls: list[float] = []
        calls: Counter[str] = Counter()
        # Registered before the first client exists: clients copy the session's hooks.
        with counting_calls(runtime.session) as log:
            for _ in range(args.jobs):
                started = time.perf_counter()
                outcome = runtime.jobs.start(BANK, JobType.REPORT, {})
                assert outcome.created and deferred.event is not None
                result = bootstrap(runtime).work(deferred.event.to_payload(), None)
                walls.append(time.perf_counter() - started)
                assert result.result == "completed", result
            calls = by_kind(log)

    per_job = {kind: count / args.jobs for kind, count in sorted(calls.items())}
    writes = sum(n for kind, n in per_job.items() if kind.split(".")[1] in DYNAMODB_WRITES)
    print(f"report job, template writer unpaced, moto in process ({args.jobs} jobs):")
    print(f"  wall time  p50 {statistics.median(walls) * 1000:7.1f} ms   "
          f"max {max(walls) * 1000:7.1f} ms")  # fmt: skip
    print("  AWS calls per job (start + worker):")
    for kind, count in per_job.items():
        print(f"    {kind:28s} {count:5.1f}")
    print(f"  DynamoDB writes per job: {writes:.0f} (aim <= 15)")


if __name__ == "__main__":
    main()
