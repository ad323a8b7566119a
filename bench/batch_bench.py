"""A batch of every real bank on the local stack, as ``make run`` starts it (the template
writer, no pacing): how long, how many jobs a second, how long each bank waited from the
batch's start to its report, how many ran at once, that none was lost, and the stack's
peak memory. Then the same at a tenth of the banks, for the cost per job at both sizes.

    .venv/bin/python -m bench.batch_bench [--sizes 500,all] [--concurrency 8]

Each size runs on a stack of its own (fresh emulator, the real data from the cache). The
aims (issue 23): peak memory under 1.5 GB; the cost per job at 4 600 banks within 1.2 x
its cost at 500; no bank lost.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from bench.local_lambda_bench import stack_memory_mb
from bench.support import percentile
from devstack.run import local_stage_env
from tests.e2e.local_stack import Stack, local_stack

BATCH_FUNCTION = "bank-research-local-batch_items"


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def chosen_banks(stack: Stack, size: int | None) -> dict[str, Any]:
    """The batch's request: every bank, or the ``size`` largest by total assets."""
    if size is None:
        return {"type": "report"}
    names: list[str] = []
    cursor = ""
    while len(names) < size:
        query = "/api/banks?hasData=true&sort=assets" + (f"&cursor={cursor}" if cursor else "")
        _, _, page = stack.request("GET", query)
        names += [bank["idrssd"] for bank in page["banks"] if not bank["stoppedFiling"]]
        cursor = page.get("nextCursor") or ""
        if not cursor:
            break
    return {"type": "report", "banks": names[:size]}


def run_batch(stack: Stack, size: int | None) -> dict[str, Any]:
    """Start the batch, wait for its end sampling memory, and gather its figures."""
    peak = [stack_memory_mb(stack.process.pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            peak.append(stack_memory_mb(stack.process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    requests = chosen_banks(stack, size)
    started = time.monotonic()
    created: list[dict[str, Any]] = []
    for part in _parts(requests):
        created.append(_post(stack, part)["batch"])
    ended = [_wait(stack, batch["batchId"]) for batch in created]
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    items = [item for batch in ended for item in _items(stack, batch["batchId"])]
    waits = [float(item["finishedAt"]) - _seconds(b["createdAt"])
             for b in ended for item in _items(stack, b["batchId"])]  # fmt: skip
    total = sum(b["total"] for b in ended)
    counts = {k: sum(b[k] for b in ended) for k in ("completed", "failed", "skipped")}
    return {
        "banks": total, "seconds": elapsed, "jobs_per_second": total / elapsed,
        "p50": percentile(waits, 0.5), "p95": percentile(waits, 0.95),
        "most_at_once": _most_at_once(stack), "lost": total - sum(counts.values()),
        "items": len(items), "peak_mb": max(peak), **counts,
    }  # fmt: skip


def _post(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    """POST a batch, waiting as long as a batch of every bank takes to be written."""
    request = urllib.request.Request(
        stack.url + "/api/batches", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as refused:
        raise SystemExit(f"the batch was refused: {refused.read().decode()}") from refused


def _parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    banks = request.get("banks")
    if not banks:
        return [request]
    return [{"type": "report", "banks": banks[i : i + 250]} for i in range(0, len(banks), 250)]


def _wait(stack: Stack, batch_id: str, timeout: float = 3600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, body = stack.request("GET", f"/api/batches/{batch_id}")
        batch: dict[str, Any] = body["batch"]
        if batch["status"] != "running":
            return batch
        time.sleep(2.0)
    raise RuntimeError(f"the batch {batch_id} did not end within {timeout} s")


def _items(stack: Stack, batch_id: str) -> list[dict[str, Any]]:
    table = boto3.resource(
        "dynamodb", endpoint_url=stack.emulator, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    ).Table(local_stage_env()["JOBS_TABLE"])  # fmt: skip
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :item)",
        "ExpressionAttributeValues": {":pk": f"BATCH#{batch_id}", ":item": "ITEM#"},
    }
    found: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _most_at_once(stack: Stack) -> int:
    """The most batch invocations running at once, from the local Lambda's record."""
    runs = [d for d in stack.invocations()["invocations"] if d["function"] == BATCH_FUNCTION]
    spans = [(_seconds(d["startedAt"]), _seconds(d["startedAt"]) + d["durationMs"] / 1000)
             for d in runs]  # fmt: skip
    return max((sum(1 for s, e in spans if s <= begin < e) for begin, _ in spans), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="500,all")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    settings = {
        "BANK_DATA": "real", "REPORT_PACE_SECONDS": "0",
        "BATCH_CONCURRENCY": str(max(2, args.concurrency)),
        "LOCAL_LAMBDA_CONCURRENCY": str(args.concurrency + 2),
    }  # fmt: skip
    results = []
    for size_text in args.sizes.split(","):
        size = None if size_text == "all" else int(size_text)
        with (
            tempfile.TemporaryDirectory() as folder,
            local_stack(Path(folder), timeout=600, env=settings) as stack,
        ):
            results.append(run_batch(stack, size))
        r = results[-1]
        print(
            f"{r['banks']:>5} banks: {r['seconds']:7.1f} s, {r['jobs_per_second']:5.2f} jobs/s, "
            f"queued to done p50 {r['p50']:6.1f} s p95 {r['p95']:6.1f} s, "
            f"at once {r['most_at_once']}, "
            f"completed {r['completed']} failed {r['failed']} skipped {r['skipped']} lost "
            f"{r['lost']}, peak stack {r['peak_mb']:.0f} MB",
            flush=True,
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio = (last["seconds"] / last["banks"]) / (first["seconds"] / first["banks"])
        print(f"cost per job, {last['banks']} vs {first['banks']} banks: x{ratio:.2f} (aim <= 1.2)")


if __name__ == "__main__":
    main()
