"""One job's completion (its ``TransactWriteItems`` of three writes) on the emulator's backend
as the Jobs table fills: 50 stored items against 50 000 (aim: within 1.5x).

Each completion is a real one: a job started, claimed and completed with its publication
through the job store, in process on moto with the local stack's patches. ``--moto-copies``
leaves out the emulator's per-item undo, to show what moto's table copies cost.
Run: ``.venv/bin/python -m bench.completion_bench [--sizes 50,5000,50000] [--jobs 30]``.
"""

from __future__ import annotations

import argparse
import os
import time

import boto3
from moto import mock_aws

from bench.support import offline_aws, percentile
from devstack import emulator
from devstack.resources import ResourceNames, create_all

NAMES = ResourceNames("bench-jobs", "bench-banks", "bench-artifacts")


def fill(table: object, count: int) -> None:
    """``count`` stored items: finished jobs of other banks with their publications."""
    from chalicelib.jobs import items, rules
    from chalicelib.jobs.model import JobType, Publication, Status

    now = time.time()
    with table.batch_writer() as batch:  # type: ignore[attr-defined]
        for n in range(count // 3 + 1):
            job = rules.new_job(f"{8_000_000 + n}", JobType.REPORT, {}, now, rules.Timing())
            done = {**items.job_to_item(job), "status": str(Status.COMPLETED)}
            batch.put_item(Item=done)
            published = Publication(job.idrssd, job.type, job.job_id, now, {"document": "k"}, {})
            batch.put_item(Item=items.latest_item(published))
            batch.put_item(Item=items.history_item(published, now))


def completions(table: object, jobs: int) -> list[float]:
    """Milliseconds of each of ``jobs`` completions (start and claim not counted)."""
    from chalicelib.clock import SystemClock
    from chalicelib.jobs.model import JobType, Publication, WorkerEvent
    from chalicelib.jobs.store import JobStore

    store = JobStore(table, SystemClock())
    samples = []
    for n in range(jobs):
        job, _ = store.start(f"{9_000_000 + n}", JobType.REPORT, {})
        event = WorkerEvent(job.job_id, job.idrssd, job.type, {})
        claimed = store.claim(event, f"delivery-{n}", f"request-{n}")
        published = Publication(job.idrssd, job.type, job.job_id, job.created_at, {}, {})
        started = time.perf_counter()
        store.complete(claimed, {"words": 1}, "Done", published)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(size: int, jobs: int) -> tuple[float, float]:
    with mock_aws():
        session = boto3.session.Session()
        create_all(session.client("dynamodb"), session.client("s3"), NAMES)
        table = session.resource("dynamodb").Table(NAMES.jobs_table)
        fill(table, size)
        samples = completions(table, jobs)
    return percentile(samples, 0.5), percentile(samples, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,5000,50000")
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--moto-copies", action="store_true")
    args = parser.parse_args()
    offline_aws()
    os.environ.update(NAMES.as_env())
    emulator.patch_moto(undo_per_item=not args.moto_copies)
    sizes = [int(size) for size in args.sizes.split(",")]
    how = "moto's table copies" if args.moto_copies else "per-item undo"
    print(f"one completion (3 writes in a transaction), {how}, {args.jobs} jobs per size:")
    first = None
    for size in sizes:
        p50, p95 = measure(size, args.jobs)
        first = first or p50
        print(f"  {size:>6} items stored: p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  x{p50 / first:.2f}")
    print("  (aim: the largest within 1.5 x the smallest)")


if __name__ == "__main__":
    main()
