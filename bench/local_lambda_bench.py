"""The local stack's workers and HTTP server, measured on the stack ``make run`` starts.

Prints:

1. **Start-to-claim latency** (a job's ``startedAt`` minus its ``createdAt``, both written
   by the app): p50/p95 on the Lambda path (``JOB_INVOKER=lambda``, the local Lambda
   endpoint and its worker processes) and on the old in-process thread path
   (``JOB_INVOKER=thread``), and the local Lambda's cold start (the first job).
2. **Concurrent jobs**: all synthetic banks start a report at once (paced to 10 s, as
   ``make run`` paces it) with the default pool: how many ran at once, how long all took,
   and the stack's memory at its peak (the resident set of every process of the stack).
3. **Kept-alive polls**: job-status latency (and that of a route that calls no AWS
   service, for a figure without the emulator's noise) on one kept-alive connection and on
   a new connection per poll, through the stack's server (``devstack.chalice_local``, with
   ``TCP_NODELAY``) and through a plain ``chalice local`` on the same emulator.

Run: ``.venv/bin/python -m bench.local_lambda_bench [--jobs N] [--polls N]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.support import percentile
from tests.e2e.local_stack import ROOT, Stack, free_port, local_stack

BANKS = [str(9900001 + index) for index in range(25)]  # the synthetic sample


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _figures(samples: list[float]) -> str:
    return f"p50 {percentile(samples, 0.5):7.1f} ms   p95 {percentile(samples, 0.95):7.1f} ms"


@contextmanager
def stack_with(settings: dict[str, str]) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as folder, local_stack(Path(folder), 90, settings) as stack:
        yield stack


def job(stack: Stack, idrssd: str) -> dict[str, Any]:
    _, _, body = stack.request("GET", f"/api/research/{idrssd}/job-status?type=report")
    return dict(body["job"]) if body and body.get("hasJob") else {}


def wait_finished(stack: Stack, idrssd: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = job(stack, idrssd)
        if current.get("status") in ("completed", "failed"):
            return current
        time.sleep(0.05)
    raise RuntimeError(f"the job of {idrssd} did not finish in {timeout} s")


def start_to_claim(stack: Stack, jobs: int) -> list[float]:
    """One job at a time, so that each claim is a warm process's (or thread's)."""
    samples = []
    for index in range(jobs):
        bank = BANKS[index % len(BANKS)]
        status, _, _ = stack.request("POST", f"/api/research/{bank}/generate-background")
        assert status == 202, status
        done = wait_finished(stack, bank)
        samples.append((_seconds(done["startedAt"]) - _seconds(done["createdAt"])) * 1000)
    return samples


def claim_latency(jobs: int) -> None:
    for path, settings in (
        ("Lambda path (local Lambda)", {"JOB_INVOKER": "lambda"}),
        ("thread path (in process)", {"JOB_INVOKER": "thread"}),
    ):
        with stack_with({**settings, "REPORT_PACE_SECONDS": "0"}) as stack:
            first, *rest = start_to_claim(stack, jobs + 1)
            print(f"  {path:28} {_figures(rest)}   (first job: {first:.0f} ms)")


def stack_memory_mb(root_pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, pending = 0, [root_pid]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def concurrent_jobs(concurrency: int | None) -> None:
    settings = {"REPORT_PACE_SECONDS": "10"}
    if concurrency is not None:
        settings["LOCAL_LAMBDA_CONCURRENCY"] = str(concurrency)
    with stack_with(settings) as stack:
        idle_mb = stack_memory_mb(stack.process.pid)
        started = time.monotonic()
        for bank in BANKS:
            stack.request("POST", f"/api/research/{bank}/generate-background")
        peak_busy, peak_mb = 0, idle_mb
        while any(job(stack, bank).get("status") in ("pending", "running") for bank in BANKS):
            processes = stack.invocations()["processes"]
            peak_busy = max(peak_busy, processes["busy"])
            peak_mb = max(peak_mb, stack_memory_mb(stack.process.pid))
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        outcomes = [job(stack, bank)["status"] for bank in BANKS]
        limit = stack.invocations()["processes"]["limit"]
    print(
        f"  {len(BANKS)} report jobs started at once, pool of {limit}: {peak_busy} ran at once, "
        f"{outcomes.count('completed')} completed in {elapsed:.1f} s"
    )
    print(f"  stack memory: {idle_mb:.0f} MB idle, {peak_mb:.0f} MB at the peak")


def poll_figures(port: int, path: str, polls: int) -> tuple[list[float], list[float]]:
    def timed(call: Callable[[], None]) -> list[float]:
        for _ in range(20):
            call()
        samples = []
        for _ in range(polls):
            begun = time.perf_counter()
            call()
            samples.append((time.perf_counter() - begun) * 1000)
        return samples

    kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def kept_alive() -> None:
        kept.request("GET", path)
        kept.getresponse().read()

    def fresh() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        connection.getresponse().read()
        connection.close()

    figures = timed(kept_alive), timed(fresh)
    kept.close()
    return figures


def plain_chalice_local(stack: Stack) -> tuple[subprocess.Popen[bytes], int]:
    """``chalice local`` as ``make run`` ran it before, on the stack's emulator."""
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "AWS_ENDPOINT_URL": stack.emulator,
        "AWS_ENDPOINT_URL_LAMBDA": stack.lambda_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    chalice = str(Path(sys.executable).parent / "chalice")
    server = subprocess.Popen(
        [chalice, "local", "--stage", "local", "--no-autoreload", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/api/openapi.json")
            connection.getresponse().read()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("chalice local did not start")


def kept_alive_polls(polls: int) -> None:
    with stack_with({}) as stack:
        stack.request("POST", f"/api/research/{BANKS[0]}/generate-background")
        server, plain_port = plain_chalice_local(stack)
        try:
            for route, path in (
                ("job-status (one GetItem)", f"/api/research/{BANKS[0]}/job-status?type=report"),
                ("experts (no AWS call)", "/api/podcast/experts"),
            ):
                print(f"  {route}:")
                for name, port in (
                    ("plain chalice local", plain_port),
                    ("devstack.chalice_local", int(stack.url.rsplit(":", 1)[1])),
                ):
                    kept, fresh = poll_figures(port, path, polls)
                    print(f"    {name:24} kept-alive {_figures(kept)}   new {_figures(fresh)}")
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=30, help="jobs for the claim latency")
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument(
        "--concurrency", type=int, help="a pool other than the default for the concurrent jobs"
    )
    parser.add_argument(
        "--only", choices=("claim", "concurrent", "polls"), help="one measurement only"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.only in (None, "claim"):
        print("Start-to-claim latency, one job at a time:")
        claim_latency(args.jobs)
    if args.only in (None, "concurrent"):
        pool = "the default pool" if args.concurrency is None else f"{args.concurrency} processes"
        print(f"Concurrent jobs with {pool}:")
        concurrent_jobs(args.concurrency)
    if args.only in (None, "polls"):
        print("Job-status polls over HTTP:")
        kept_alive_polls(args.polls)


if __name__ == "__main__":
    main()
