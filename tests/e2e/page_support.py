"""What the browser tests share about the page and the stack they drive it on."""

from __future__ import annotations

from typing import Any

import boto3

from devstack.run import local_stage_env
from tests.e2e.browser import ConsoleWatch
from tests.e2e.local_stack import Stack

REPORT_TIMEOUT_MS = 60_000
# Routes the page uses that the lead adds to the API (CONTRACT.md: the research library and
# the overview); until they exist, the page leaves those parts out and Chromium logs the
# refused requests, which the tests then expect.
LIBRARY_ROUTES = {
    "/api/research/9900001/reports": "/reports)",
    "/api/research/9900001/podcasts": "/podcasts)",
    "/api/research/recent?limit=1": "/research/recent?",
}


_missing: dict[str, list[str]] = {}


def missing_routes(stack: Stack) -> list[str]:
    """The console fragments of the library routes this stack does not answer yet."""
    if stack.url not in _missing:
        _missing[stack.url] = [
            fragment
            for path, fragment in LIBRARY_ROUTES.items()
            if stack.request("GET", path)[0] != 200
        ]
    return _missing[stack.url]


def expect_missing_routes(console: ConsoleWatch, stack: Stack) -> None:
    for fragment in missing_routes(stack):
        console.expect(fragment)


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
    return body["job"]


def banks_table(stack: Stack) -> Any:
    return boto3.resource(
        "dynamodb", endpoint_url=stack.emulator, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    ).Table(local_stage_env()["BANKS_TABLE"])  # fmt: skip
