"""What the browser tests share about the page and the stack they drive it on."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from datetime import datetime, timedelta
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


# ---------------------------------------------------------------------------------------
# Fixtures for the routes of CONTRACT.md that the API does not answer yet (the research
# library and the overview), shaped exactly as the contract says and built from the real
# documents and jobs of the stack. Switch a test to the real stack by not routing.


def wait_for_job(stack: Stack, idrssd: str, job_type: str = "report") -> dict[str, Any]:
    deadline = time.monotonic() + REPORT_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        job = job_of(stack, idrssd, job_type)
        if job["status"] not in ("pending", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"the {job_type} job of {idrssd} did not finish in time")


def earlier_version(document: dict[str, Any], days: int, changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of an artifact as an earlier job would have written it."""
    older = copy.deepcopy(document)
    older["jobId"] = str(uuid.uuid4())
    written = datetime.fromisoformat(document["generatedAt"].replace("Z", "+00:00"))
    older["generatedAt"] = (written - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    for path, value in changes.items():
        target = older
        *parents, name = path.split(".")
        for parent in parents:
            target = target[parent]
        target[name] = value
    return older


def report_listing(idrssd: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    items = [
        {
            "jobId": report["jobId"],
            "generatedAt": report["generatedAt"],
            "asOf": report["asOf"],
            "writer": report["writer"],
            "model": report.get("model"),
            "bytes": len(json.dumps(report)),
            "url": f"/api/research/{idrssd}/reports/{report['jobId']}",
        }
        for report in reports
    ]
    return {"reports": items, "count": len(items)}


def podcast_listing(idrssd: str, podcasts: list[dict[str, Any]]) -> dict[str, Any]:
    items = [
        {
            "jobId": podcast["jobId"],
            "generatedAt": podcast["generatedAt"],
            "asOf": podcast["asOf"],
            "experts": [expert["id"] for expert in podcast["experts"]],
            "durationSeconds": podcast["durationSeconds"],
            "bytes": podcast.get("audioBytes", 0),
            "url": f"/api/research/{idrssd}/podcasts/{podcast['jobId']}",
        }
        for podcast in podcasts
    ]
    return {"podcasts": items, "count": len(items)}


def route_library(page: Any, idrssd: str, kind: str, documents: list[dict[str, Any]]) -> None:
    """Answers ``/{kind}s`` and ``/{kind}s/{jobId}`` of one bank from these documents."""
    listing = (report_listing if kind == "report" else podcast_listing)(idrssd, documents)
    by_id = {document["jobId"]: document for document in documents}
    pattern = re.compile(rf"/api/research/{idrssd}/{kind}s(?:/([^/?]+))?(?:\?.*)?$")

    def answer(route: Any) -> None:
        match = pattern.search(route.request.url)
        job_id = match.group(1) if match else None
        if job_id is None:
            return fulfil(route, 200, listing)
        if job_id in by_id:
            return fulfil(route, 200, by_id[job_id])
        return fulfil(route, 404, {"error": "There is no such version.", "code": f"no_{kind}"})

    page.route(pattern, answer)


def route_recent(page: Any, pages: list[dict[str, Any]]) -> list[str]:
    """Answers ``/api/research/recent`` page by page (``nextCursor`` chains them); returns the
    list of query strings asked for."""
    asked: list[str] = []

    def answer(route: Any) -> None:
        query = route.request.url.split("?", 1)[1] if "?" in route.request.url else ""
        asked.append(query)
        cursor = re.search(r"cursor=([^&]+)", query)
        index = int(cursor.group(1).removeprefix("page-")) if cursor else 0
        fulfil(route, 200, pages[index])

    page.route(re.compile(r"/api/research/recent(?:\?.*)?$"), answer)
    return asked


def recent_page(jobs: list[dict[str, Any]], next_page: int | None) -> dict[str, Any]:
    return {"jobs": jobs, "nextCursor": None if next_page is None else f"page-{next_page}"}


def with_bank_name(stack: Stack, job: dict[str, Any]) -> dict[str, Any]:
    _, _, profile = stack.request("GET", f"/api/banks/{job['idrssd']}")
    return {**job, "bankName": profile["name"]}


def fulfil(route: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    route.fulfill(
        status=status,
        content_type="application/json",
        body=json.dumps(body),
        headers=headers or {},
    )
