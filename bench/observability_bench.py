"""What observability costs: package size and cold-start import time against a commit
without it, and the per-poll overhead of its metrics and tracing, in process.

    .venv/bin/python -m bench.observability_bench --before REV [--imports N] [--polls N]
    .venv/bin/python -m bench.observability_bench --polls-only

- **Package**: both trees packaged as ``make package`` does (``REV`` checked out with
  ``git archive`` into a temporary folder); the zips' sizes and what the new packages weigh.
- **Cold start**: ``import app`` from each unpacked zip, as Lambda's init does: a fresh
  interpreter that sees only the zip and the standard library (``python -S``), no bytecode
  cache (Lambda's code folder is read-only and the zips hold no ``.pyc``), in a Lambda-like
  environment, so Powertools' Tracer is on and patches botocore. Alternating, N times each.
- **Per poll**: ``GET …/job-status`` through the app's Lambda handler on moto, with the
  configurations interleaved block by block in one fresh process each: ``today`` (the
  app's middleware removed, tracing off: what a poll cost before) against ``metrics`` (the
  middleware: log context and the metrics flush; tracing off, as outside Lambda); then, in
  a Lambda-like process (botocore patched, a facade segment from ``_X_AMZN_TRACE_ID``,
  each subsegment sent over UDP to a daemon address nobody listens on), ``today`` (the
  X-Ray SDK switched off) against ``traced``. And a bare ``GetItem``, as ``bench/poll.py``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BANK = "9900001"
NEW_PACKAGES = ("aws_lambda_powertools", "aws_xray_sdk", "wrapt", "typing_extensions.py")
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench-api",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "_HANDLER": "app.app",
    "PYTHONDONTWRITEBYTECODE": "1",
}
IMPORT = (
    "import sys, time; sys.path.insert(0, {tree!r}); started = time.perf_counter(); "
    "import app; print(time.perf_counter() - started)"
)


# Package and cold start ------------------------------------------------------------------------


def extract(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (``git archive``: no change to the repository)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def package(tree: Path, out: Path) -> Path:
    """``make package`` in ``tree``, with this interpreter's tools."""
    done = subprocess.run(
        [sys.executable, "-m", "deploy.package", str(out)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"packaging {tree} failed:\n{done.stdout}{done.stderr}")
    return out / "deployment.zip"


def weights(zip_path: Path) -> dict[str, int]:
    """Compressed bytes per top-level name in the zip."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            top = info.filename.split("/")[0]
            sizes[top] = sizes.get(top, 0) + info.compress_size
    return sizes


def import_seconds(tree: Path) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "LAMBDA_TASK_ROOT": str(tree), **LAMBDA_ENV}
    done = subprocess.run(
        [sys.executable, "-S", "-c", IMPORT.format(tree=str(tree))],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def cold_starts(before: Path, after: Path, count: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(count):
        times["before"].append(import_seconds(before))
        times["after"].append(import_seconds(after))
    return times


def unzip(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


# Per poll ----------------------------------------------------------------------------------------


def api_event(request_id: str) -> dict[str, Any]:
    """What API Gateway hands the API function for ``GET …/job-status?type=report``."""
    resource = "/api/research/{idrssd}/job-status"
    path = f"/api/research/{BANK}/job-status"
    return {
        "resource": resource, "path": path, "httpMethod": "GET",
        "headers": {"accept": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": {"type": "report"},
        "multiValueQueryStringParameters": {"type": ["report"]},
        "pathParameters": {"idrssd": BANK}, "stageVariables": None, "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource, "httpMethod": "GET", "path": f"/api{path}",
            "stage": "api", "requestId": request_id, "identity": {"sourceIp": "192.0.2.1"},
        },
    }  # fmt: skip


class Context:
    """A Lambda context, as the runtime hands it to the handler."""

    function_name = "bench-api"
    memory_limit_in_mb = "128"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-api"
    aws_request_id = "bench-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def block(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def poll_child(process: str, polls: int, blocks: int) -> dict[str, Any]:
    """In this (fresh) process, polls in each configuration, interleaved block by block so
    that the machine's drift touches them alike: ``plain`` compares ``today`` and
    ``metrics``; ``lambda`` (tracing on at import, botocore patched) compares ``today``
    (the middleware removed, the X-Ray SDK switched off) and ``traced``."""
    from bench.support import offline_aws

    offline_aws()
    if process == "lambda":
        os.environ.update(
            {
                "LAMBDA_TASK_ROOT": str(ROOT),
                "AWS_LAMBDA_FUNCTION_NAME": "bench-api",
                "_X_AMZN_TRACE_ID": "Root=1-5f84c7a9-0123456789abcdef01234567;"
                "Parent=53995c3f42cd8ad8;Sampled=1",
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2999",  # nobody listens: UDP, no wait
            }
        )
    app, table = _app_with_a_pending_job()
    from aws_xray_sdk import global_sdk_config

    from chalicelib import telemetry

    assert telemetry.tracer.disabled is (process == "plain"), "tracing as the process says"
    middleware = list(app.middleware_handlers)
    second = "metrics" if process == "plain" else "traced"

    def configure(name: str) -> None:
        app.middleware_handlers = [] if name == "today" else list(middleware)
        if process == "lambda":
            global_sdk_config.set_sdk_enabled(name == "traced")
            telemetry.tracer.disabled = name != "traced"

    context, key = Context(), {"pk": f"BANK#{BANK}", "sk": "JOB#report"}
    samples: dict[str, list[float]] = {"today": [], second: [], "GetItem": []}
    for _ in range(blocks):
        for name in ("today", second):
            configure(name)
            block(lambda: app(api_event("warm"), context), 20)
            samples[name] += block(lambda: app(api_event("r"), context), polls // blocks)
        configure("today")
        samples["GetItem"] += block(lambda: table.get_item(Key=key), polls // blocks)
    return samples


def _app_with_a_pending_job() -> tuple[Any, Any]:
    """The app over moto (left running: the process ends after the measurement) with the
    sample's banks and one pending job, and the Jobs table."""
    import boto3
    from moto import mock_aws

    from devstack.emulator import make_dynamodb_writes_atomic
    from devstack.resources import ResourceNames, create_all
    from ingest.importer import BankImporter

    names = ResourceNames("bench-jobs", "bench-banks", "bench-artifacts")
    os.environ.update(names.as_env() | {"JOB_INVOKER": "thread", "STARTS_PER_MINUTE": "0"})
    make_dynamodb_writes_atomic()
    from app import app
    from chalicelib import runtime
    from chalicelib.config import Settings
    from chalicelib.jobs.model import JobType
    from chalicelib.runtime import Runtime

    mock_aws().start()
    session = boto3.session.Session()
    create_all(session.client("dynamodb"), session.client("s3"), names)
    banks = session.resource("dynamodb").Table(names.banks_table)
    with open(os.devnull, "w") as quiet:  # the import's and the start's own output
        stdout, sys.stdout = sys.stdout, quiet
        try:
            BankImporter(banks).import_path(ROOT / "data" / "sample" / "ffiec")

            class NoWorker:
                def invoke(self, event: object) -> None:
                    """The job stays pending, so every poll reads a live job."""

            built = Runtime(Settings.from_env(), invoker=lambda _: NoWorker())
            runtime.install(built)
            built.jobs.start(BANK, JobType.REPORT, {})
        finally:
            sys.stdout = stdout
    answer = app(api_event("first"), Context())
    assert answer["statusCode"] == 200, answer
    return app, session.resource("dynamodb").Table(names.jobs_table)


def poll_process(process: str, polls: int, blocks: int) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.observability_bench", "--poll-process", process,
         "--polls", str(polls), "--blocks", str(blocks)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    samples: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples


# Report ------------------------------------------------------------------------------------------


def report_package(before_zip: Path, after_zip: Path) -> None:
    before, after = before_zip.stat().st_size, after_zip.stat().st_size
    print("deployment.zip:")
    print(f"  before {before / 1e6:6.2f} MB   after {after / 1e6:6.2f} MB   "
          f"+{(after - before) / 1e6:.2f} MB ({(after / before - 1) * 100:+.1f} %)")  # fmt: skip
    heavy = weights(after_zip)
    for name in NEW_PACKAGES:
        print(f"  {name:24} {heavy.get(name, 0) / 1e6:6.3f} MB zipped")


def report_cold(times: dict[str, list[float]]) -> None:
    print(f"cold start, import app in a fresh interpreter ({len(times['before'])} each):")
    for name in ("before", "after"):
        values = sorted(times[name])
        print(f"  {name:6} median {statistics.median(values) * 1000:6.0f} ms   "
              f"min {values[0] * 1000:6.0f} ms   max {values[-1] * 1000:6.0f} ms")  # fmt: skip
    ratios = [a / b for a, b in zip(times["after"], times["before"], strict=True)]
    print(f"  after/before, pair by pair: median {statistics.median(ratios):.2f}")


def report_polls(process: str, samples: dict[str, list[float]], blocks: int) -> None:
    from bench.support import percentile

    names = [name for name in samples if name != "GetItem"]
    print(f"  {process} process ({blocks} interleaved blocks):")
    for name in [*names, "GetItem"]:
        values = samples[name]
        print(f"    {name:8} p50 {percentile(values, 0.5):6.3f} ms   "
              f"p95 {percentile(values, 0.95):6.3f} ms   ({len(values)} calls)")  # fmt: skip
    today, other = (samples[name] for name in names)
    ratios = [
        f"{label} {percentile(other, share) / percentile(today, share):.2f}"
        for share, label in ((0.5, "p50"), (0.95, "p95"))
    ]
    bare = percentile(today, 0.5) / percentile(samples["GetItem"], 0.5)
    print(f"    {names[1]}/today: {'   '.join(ratios)}   (today's poll/GetItem p50 {bare:.2f})")


def package_and_cold_start(before: str, imports: int) -> None:
    with tempfile.TemporaryDirectory(prefix="observability-bench-") as scratch:
        work = Path(scratch)
        before_zip = package(extract(before, work / "before-tree"), work / "before-out")
        after_zip = package(ROOT, work / "after-out")
        report_package(before_zip, after_zip)
        trees = unzip(before_zip, work / "before"), unzip(after_zip, work / "after")
        report_cold(cold_starts(*trees, imports))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", help="a commit without Powertools (e.g. 117e758)")
    parser.add_argument("--imports", type=int, default=15, help="cold imports of each tree")
    parser.add_argument("--polls", type=int, default=4000, help="polls per configuration")
    parser.add_argument("--blocks", type=int, default=20, help="interleaved blocks")
    parser.add_argument("--polls-only", action="store_true", help="skip package and cold start")
    parser.add_argument("--poll-process", choices=("plain", "lambda"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poll_process:
        print(json.dumps(poll_child(args.poll_process, args.polls, args.blocks)))
        return
    if not args.polls_only:
        if not args.before:
            parser.error("name a commit without Powertools: --before REV (or --polls-only)")
        package_and_cold_start(args.before, args.imports)
    print("job-status poll through the app's Lambda handler, in process, on moto:")
    for process in ("plain", "lambda"):
        report_polls(process, poll_process(process, args.polls, args.blocks), args.blocks)


if __name__ == "__main__":
    main()
