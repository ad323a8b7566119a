"""Sanitized HTML, literal text from data, and reports served only once published."""

from __future__ import annotations

import pytest

from chalicelib.artifacts import ArtifactBucket
from chalicelib.jobs.items import history_item, latest_item
from chalicelib.jobs.model import Job, JobType, Publication, Status
from chalicelib.jobs.store import JobStore
from chalicelib.reports.archive import ReportArchive
from chalicelib.reports.errors import NoReport
from chalicelib.reports.render import md_text, to_safe_html
from tests.fakes import T0, FakeClock
from tests.moto_account import Aws


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="steal()">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
    ],
)
def test_hostile_markup_is_removed(hostile: str) -> None:
    html = to_safe_html(f"Fine text.\n\n{hostile}\n\nMore text.")
    lowered = html.lower()
    for bad in ("<script", "onerror", "javascript:", "onclick", "<iframe", "<style", "<img"):
        assert bad not in lowered
    assert "Fine text." in html and "More text." in html


def test_markdown_tables_and_emphasis_survive() -> None:
    html = to_safe_html("**Bold** and *it*.\n\n| A | B |\n|---|---:|\n| 1 | 2 |\n\n- one\n- two")
    assert "<strong>Bold</strong>" in html and "<em>it</em>" in html
    assert "<table>" in html and "<td" in html and "<li>one</li>" in html


def test_text_from_data_shows_as_written() -> None:
    name = "<img src=x onerror=alert(1)> & *Sons* [Bank](x)"
    html = to_safe_html(f"**{md_text(name)}** reported a profit.")
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; *Sons* [Bank](x)" in html
    assert "<img" not in html and "<em>" not in html and "<a " not in html


def published(aws: Aws, archive: ReportArchive, job_id: str) -> Publication:
    job = Job(job_id, "1", JobType.REPORT, Status.RUNNING, 95, "save", "", 1, T0, T0, 0)
    publication = archive.store(job, {"idrssd": "1", "jobId": job_id, "sections": []})
    aws.jobs_table.put_item(Item=latest_item(publication))
    aws.jobs_table.put_item(Item=history_item(publication, T0))
    return publication


def test_a_stored_report_is_served_only_once_published(aws: Aws) -> None:
    archive = ReportArchive(
        ArtifactBucket(aws.s3, aws.bucket), JobStore(aws.jobs_table, FakeClock()).publications
    )
    with pytest.raises(NoReport, match="no finished research report"):
        archive.latest("1")
    job = Job("job-a", "1", JobType.REPORT, Status.RUNNING, 95, "save", "", 1, T0, T0, 0)
    publication = archive.store(job, {"idrssd": "1", "jobId": "job-a", "sections": []})
    assert publication.keys == {"document": "reports/1/job-a.json"}
    assert publication.summary["bytes"] > 0
    assert publication.summary["url"] == "/api/research/1/reports/job-a"
    assert not archive.exists("1")  # stored, not published: nothing is served
    published(aws, archive, "job-a")
    assert archive.exists("1") and archive.latest("1")["jobId"] == "job-a"
    published(aws, archive, "job-b")
    assert archive.latest("1")["jobId"] == "job-b"
    assert archive.version("1", "job-a")["jobId"] == "job-a"
    assert [entry["jobId"] for entry in archive.history("1")] == ["job-b", "job-a"]
    with pytest.raises(NoReport):
        archive.version("1", "job-c")
