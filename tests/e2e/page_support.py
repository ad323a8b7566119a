"""What the browser tests share about the page and the stack they drive it on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import boto3

from devstack.run import local_stage_env
from ingest.sample import DEFAULT_QUARTERS, generate
from tests.e2e.local_stack import ROOT, Stack

REPORT_TIMEOUT_MS = 60_000
# The quarter after the sample's last one (ingest.sample continues its banks into it).
NEXT_QUARTER = "20250331"


def open_bank(page: Any, stack: Stack, idrssd: str) -> None:
    page.goto(f"{stack.url}/?bank={idrssd}")
    page.wait_for_selector("#bank-name:not(:empty)")
    page.wait_for_selector("#bank-name:has-text('SYNTHETIC')")


def progress_value(page: Any, job_type: str = "report") -> int:
    return int(page.eval_on_selector(f"#{job_type}-bar", "bar => bar.value"))


def wait_for_report(page: Any) -> None:
    page.wait_for_selector("#report:not([hidden])", timeout=REPORT_TIMEOUT_MS)


def job_of(stack: Stack, idrssd: str, job_type: str = "report") -> dict[str, Any]:
    status, _, body = stack.request("GET", f"/api/research/{idrssd}/job-status?type={job_type}")
    assert status == 200 and body["hasJob"]
    return dict(body["job"])


def wait_for_job(stack: Stack, idrssd: str, job_type: str = "report") -> dict[str, Any]:
    deadline = time.monotonic() + REPORT_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        job = job_of(stack, idrssd, job_type)
        if job["status"] not in ("pending", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"the {job_type} job of {idrssd} did not finish in time")


def finished_report(stack: Stack, idrssd: str) -> dict[str, Any]:
    """Start a report job through the API and wait for it to complete; its job."""
    status, _, started = stack.request("POST", f"/api/research/{idrssd}/generate-background")
    assert status == 202, started
    job = wait_for_job(stack, idrssd)
    assert job["status"] == "completed" and job["jobId"] == started["job"]["jobId"], job
    return job


def banks_table(stack: Stack) -> Any:
    return boto3.resource(
        "dynamodb", endpoint_url=stack.emulator, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    ).Table(local_stage_env()["BANKS_TABLE"])  # fmt: skip


def next_quarter_of(idrssd: str, folder: Path) -> Path:
    """The sample's next quarter (``NEXT_QUARTER``) for one bank only, as FFIEC bulk files.

    ``ingest.sample`` continues every sample bank into the quarter; only this bank's rows
    are kept (and each file's header rows), so an import moves this bank alone on."""
    generate(folder, quarters=(*DEFAULT_QUARTERS, NEXT_QUARTER))
    stamp = f"{NEXT_QUARTER[4:6]}{NEXT_QUARTER[6:]}{NEXT_QUARTER[:4]}"
    quarter = folder / f"FFIEC CDR Call Bulk All Schedules {stamp}"
    for path in quarter.iterdir():
        lines = path.read_bytes().split(b"\r\n")
        kept = [
            line
            for line in lines
            if not line[:1].isdigit() or line.startswith(b"%s\t" % idrssd.encode())
        ]
        path.write_bytes(b"\r\n".join(kept))
    return quarter


def import_quarter(stack: Stack, quarter: Path) -> str:
    """``make import FFIEC=<folder>`` against this stack's emulator; the importer's summary."""
    port = urllib.parse.urlsplit(stack.emulator).port
    # The tests' own settings (conftest) name other tables: the stack's are the local stage's.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment["BANKS_TABLE"] = local_stage_env()["BANKS_TABLE"]
    done = subprocess.run(
        [sys.executable, "-m", "devstack.import_ffiec", str(quarter), "--emulator-port", str(port)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def fulfil(route: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    route.fulfill(
        status=status,
        content_type="application/json",
        body=json.dumps(body),
        headers=headers or {},
    )
