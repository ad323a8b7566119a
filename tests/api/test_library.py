"""The research library (a bank's past reports and podcasts) and the overview of work across
banks (issue: the research desk), through the routes and moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.jobs.model import Job, JobType
from chalicelib.jobs.pipelines import Completion
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.runtime import Runtime
from tests.api_support import Api, api_under_test
from tests.fakes import counting_client_calls, put_bank
from tests.moto_account import Aws

BANK = "9900001"
OTHER = "9900002"
UNKNOWN_JOB = "01a0c450-6c00-7000-8000-000000000000"


def report_pipeline(runtime: Runtime) -> Any:
    def run(job: Job, progress: ProgressReporter) -> Completion:
        progress.report(50, "write", "Writing")
        figures = {"totalAssets": 1_000 + int(runtime.clock.now()) % 1_000}
        document: dict[str, Any] = {
            "idrssd": job.idrssd, "jobId": job.job_id, "asOf": "20241231",
            "generatedAt": "2026-01-01T00:00:00.000Z", "writer": "template", "model": None,
            "synthetic": True, "keyFigures": figures, "sections": [],
        }  # fmt: skip
        publication = runtime.reports.store(job, document)
        return Completion({"url": f"/api/research/{job.idrssd}/report"}, publication)

    return run


def podcast_pipeline(runtime: Runtime) -> Any:
    def run(job: Job, progress: ProgressReporter) -> Completion:
        document = {
            "idrssd": job.idrssd, "jobId": job.job_id, "asOf": "20241231",
            "generatedAt": "2026-01-01T00:00:00.000Z", "experts": [{"id": "credit"}],
            "durationSeconds": 61.5, "engine": "tone", "writer": "template", "script": [],
        }  # fmt: skip
        publication = runtime.podcasts.store(job, document, b"ID3" + bytes(500))
        return Completion({"url": f"/api/research/{job.idrssd}/podcast"}, publication)

    return run


def pipelines(runtime: Runtime) -> dict[JobType, Any]:
    return {
        JobType.REPORT: report_pipeline(runtime),
        JobType.PODCAST: podcast_pipeline(runtime),
    }


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    for bank in (BANK, OTHER):
        put_bank(aws.banks_table, bank)
    with api_under_test(aws, pipelines=pipelines) as under_test:
        yield under_test


def body(response: Any) -> Any:
    return json.loads(response.body)


def run_report(api: Api, bank: str = BANK) -> str:
    started = api.post(f"/api/research/{bank}/generate-background")
    assert started.status_code == 202, started.body
    assert api.deliver().result == "completed"
    api.clock.advance(61)
    return str(body(started)["job"]["jobId"])


# The library ------------------------------------------------------------------------------


def test_past_reports_are_listed_newest_first_and_open_by_job(api: Api) -> None:
    first, second = run_report(api), run_report(api)
    listing = body(api.get(f"/api/research/{BANK}/reports"))
    assert listing["count"] == 2
    assert [entry["jobId"] for entry in listing["reports"]] == [second, first]
    entry = listing["reports"][0]
    assert {"jobId", "generatedAt", "asOf", "writer", "model", "bytes", "url"} <= set(entry)
    assert entry["url"] == f"/api/research/{BANK}/reports/{second}" and entry["bytes"] > 0
    older = api.get(f"/api/research/{BANK}/reports/{first}")
    assert older.status_code == 200 and body(older)["jobId"] == first
    assert body(api.get(f"/api/research/{BANK}/report"))["jobId"] == second


def test_the_library_is_one_query_and_a_version_one_get_item_and_one_object(api: Api) -> None:
    job_id = run_report(api)
    jobs, s3 = api.runtime.jobs_table.meta.client, api.runtime.client("s3")
    with counting_client_calls(jobs) as jobs_calls, counting_client_calls(s3) as s3_calls:
        api.get(f"/api/research/{BANK}/reports")
    assert jobs_calls.operations() == ["Query"] and s3_calls.operations() == []
    with counting_client_calls(jobs) as jobs_calls, counting_client_calls(s3) as s3_calls:
        api.get(f"/api/research/{BANK}/reports/{job_id}")
    assert jobs_calls.operations() == ["GetItem"] and s3_calls.operations() == ["GetObject"]


def test_past_podcasts_are_listed_with_their_experts_and_length(api: Api) -> None:
    run_report(api)
    started = api.post(
        f"/api/research/{BANK}/podcast/generate-background", '{"experts": ["credit"]}'
    )
    assert started.status_code == 202 and api.deliver().result == "completed"
    job_id = body(started)["job"]["jobId"]
    listing = body(api.get(f"/api/research/{BANK}/podcasts"))
    (entry,) = listing["podcasts"]
    assert entry["jobId"] == job_id and entry["experts"] == ["credit"]
    assert entry["durationSeconds"] == 61.5 and entry["bytes"] == 503
    past = body(api.get(f"/api/research/{BANK}/podcasts/{job_id}"))
    assert past["jobId"] == job_id and "X-Amz-Signature" in past["audioSrc"]


def test_a_bank_without_research_has_an_empty_library(api: Api) -> None:
    for kind in ("reports", "podcasts"):
        assert body(api.get(f"/api/research/{OTHER}/{kind}")) == {kind: [], "count": 0}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/api/research/{BANK}/reports/{UNKNOWN_JOB}", 404, "no_report"),
        (f"/api/research/{BANK}/podcasts/{UNKNOWN_JOB}", 404, "no_podcast"),
        (f"/api/research/{BANK}/reports/not-a-job", 400, "invalid_job_id"),
        (f"/api/research/{BANK}/reports/{UNKNOWN_JOB.upper()}", 400, "invalid_job_id"),
        (f"/api/research/{BANK}/podcasts/{'x' * 300}", 400, "invalid_job_id"),
        (f"/api/research/abc/reports/{UNKNOWN_JOB}", 400, "invalid_idrssd"),
        ("/api/research/0123/reports", 400, "invalid_idrssd"),
        ("/api/research/abc/podcasts", 400, "invalid_idrssd"),
    ],
)
def test_bad_library_requests_get_a_sentence(api: Api, path: str, status: int, code: str) -> None:
    response = api.get(path)
    assert response.status_code == status
    data = body(response)
    assert {"error", "code"} <= set(data) <= {"error", "code", "detail"}
    assert data["code"] == code and data["error"].endswith(".")


def test_another_banks_report_is_not_found_under_this_bank(api: Api) -> None:
    job_id = run_report(api, OTHER)
    assert api.get(f"/api/research/{BANK}/reports/{job_id}").status_code == 404


# The overview -----------------------------------------------------------------------------


def test_the_overview_lists_active_jobs_first_then_outcomes(api: Api) -> None:
    done = run_report(api, BANK)
    active = body(api.post(f"/api/research/{OTHER}/generate-background"))["job"]["jobId"]
    page = body(api.get("/api/research/recent"))
    assert [job["jobId"] for job in page["jobs"]] == [active, done]
    assert page["jobs"][0]["status"] == "pending" and page["jobs"][1]["status"] == "completed"
    assert page["jobs"][0]["bankName"] == "Test Bank (SYNTHETIC)"
    assert page["nextCursor"] is None and page["count"] == 2


def test_the_overview_pages_with_a_cursor(aws: Aws) -> None:
    banks = [str(9_900_200 + index) for index in range(7)]
    for bank in banks:
        put_bank(aws.banks_table, bank)
    with api_under_test(aws) as api:
        for bank in banks:
            api.post(f"/api/research/{bank}/generate-background")
            api.clock.advance(1)
        api.delete(f"/api/research/{banks[0]}/job?type=report")  # one outcome too
        seen: list[str] = []
        cursor = ""
        for _ in range(10):
            page = body(api.get(f"/api/research/recent?limit=3{cursor}"))
            seen += [job["idrssd"] for job in page["jobs"]]
            if page["nextCursor"] is None:
                break
            cursor = f"&cursor={page['nextCursor']}"
        assert seen == [*banks[:0:-1], banks[0]]  # newest active first, then the cancelled


def test_the_overview_never_scans(api: Api) -> None:
    run_report(api)
    with counting_client_calls(api.runtime.jobs_table.meta.client) as calls:
        api.get("/api/research/recent?limit=5")
    assert set(calls.operations()) == {"Query"}
    assert all(call.params.get("IndexName") == "RecentJobs" for call in calls.calls)


def page_key(**changes: Any) -> dict[str, Any]:
    """A cursor in the shape the overview gives out, its key changed as given."""
    key = {"pk": f"BANK#{BANK}", "sk": "JOB#report", "feed": "JOBS", "feedAt": 1_796_000_000_000}
    return {"k": {**key, **changes}}


def test_a_cursor_of_the_overviews_own_shape_is_taken(api: Api) -> None:
    assert api.get("/api/research/recent?cursor=" + tampered(page_key())).status_code == 200


def test_a_refresh_of_the_overview_is_one_query_whatever_it_shows(aws: Aws) -> None:
    """Its window of 200, filtered or not, one bank's jobs: one request, one ``Query``,
    never one per row (the page refreshes every few seconds while it is open)."""
    banks = [str(9_900_300 + index) for index in range(6)]
    for bank in banks:
        put_bank(aws.banks_table, bank)
    with api_under_test(aws) as api:
        for index, bank in enumerate(banks):
            api.post(f"/api/research/{bank}/generate-background")
            if index % 2:
                api.delete(f"/api/research/{bank}/job?type=report")
        for query in ("?limit=200", "?limit=200&status=active&type=report&mine=true",
                      f"?bank={banks[0]}"):  # fmt: skip
            with counting_client_calls(api.runtime.jobs_table.meta.client) as calls:
                assert api.get("/api/research/recent" + query).status_code == 200
            assert calls.operations() == ["Query"], query


def test_the_overview_counts_by_status_and_type_and_filters(aws: Aws) -> None:
    banks = [str(9_900_400 + index) for index in range(5)]
    for bank in banks:
        put_bank(aws.banks_table, bank)
    with api_under_test(aws, pipelines=pipelines) as api:
        done = run_report(api, banks[0])
        for bank in banks[1:]:
            api.post(f"/api/research/{bank}/generate-background")
            api.clock.advance(1)
        api.delete(f"/api/research/{banks[1]}/job?type=report")
        everything = body(api.get("/api/research/recent?limit=200"))
        assert everything["counts"] == {
            "total": 5,
            "status": {"pending": 3, "running": 0, "completed": 1, "failed": 0, "cancelled": 1},
            "type": {"report": 5, "podcast": 0},
        }
        assert everything["you"] == {"startedBy": everything["jobs"][0]["startedBy"],
                                     "admin": False}  # fmt: skip

        def shown(query: str) -> list[str]:
            page = body(api.get("/api/research/recent?limit=200&" + query))
            assert page["counts"] == everything["counts"] or "bank=" in query  # before filters
            return [job["idrssd"] for job in page["jobs"]]

        assert shown("status=active") == [banks[4], banks[3], banks[2]]
        assert shown("status=cancelled") == [banks[1]]
        assert shown("status=failed") == []  # a cancellation is not counted as a failure
        assert shown("status=completed") == [banks[0]]
        assert shown("type=podcast") == []
        assert shown("mine=true") == [banks[4], banks[3], banks[2], banks[1], banks[0]]
        assert shown(f"bank={banks[0]}") == [banks[0]]
        one = body(api.get(f"/api/research/recent?bank={banks[0]}"))
        assert one["jobs"][0]["jobId"] == done and one["counts"]["total"] == 1
        assert one["nextCursor"] is None


def tampered(document: Any) -> str:
    raw = json.dumps(document).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?limit=0", "invalid_limit"),
        ("?limit=201", "invalid_limit"),
        ("?limit=ten", "invalid_limit"),
        ("?limit=-1", "invalid_limit"),
        ("?cursor=%%%", "invalid_cursor"),
        ("?cursor=bm90IGpzb24", "invalid_cursor"),
        ("?cursor=" + "A" * 2_000, "invalid_cursor"),
        ("?cursor=" + tampered([1, 2]), "invalid_cursor"),
        # ASCII digits only, and few of them: str.isdigit() takes '²', int() takes '٣'
        ("?limit=" + quote("²"), "invalid_limit"),
        ("?limit=" + quote("٣"), "invalid_limit"),
        ("?limit=" + quote("\uff15"), "invalid_limit"),
        ("?limit=" + "5" * 5_000, "invalid_limit"),
        ("?limit=+5", "invalid_limit"),
        ("?limit=%205", "invalid_limit"),
        ("?limit=0007", "invalid_limit"),  # more digits than 200 has
        ("?limit=", "invalid_limit"),
        # a key DynamoDB could not take, or one naming a partition the overview never walks
        ("?cursor=" + tampered(page_key(feedAt=10**40)), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(feedAt=-1)), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(feedAt=1.5)), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(pk="CALLER#x")), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(sk="LATEST#report")), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(sk="STARTS#1")), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(feed="DONE#2026-01-01")), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(feedAt=2 * 10**13)), "invalid_cursor"),
        ("?cursor=" + tampered(page_key(pk="BANK#" + "9" * 40)), "invalid_cursor"),
        ("?cursor=" + tampered({"k": None}), "invalid_cursor"),
        ("?cursor=" + tampered({"k": {"pk": 1}}), "invalid_cursor"),
        (
            "?cursor=" + tampered({"k": {"pk": "a", "sk": "b", "feed": "c", "feedAt": True}}),
            "invalid_cursor",
        ),
        ("?cursor=" + tampered({"f": ["ACTIVE"], "i": 0, "k": None}), "invalid_cursor"),
        ("?status=stuck", "invalid_status"),
        ("?status=FAILED", "invalid_status"),
        ("?type=memo", "invalid_type"),
        ("?bank=0123", "invalid_idrssd"),
        ("?mine=perhaps", "invalid_mine"),
    ],
)
def test_bad_pages_are_400(api: Api, query: str, code: str) -> None:
    response = api.get("/api/research/recent" + query)
    assert response.status_code == 400
    data = body(response)
    assert data["code"] == code and data["error"].endswith(".") and len(data["error"]) < 300
