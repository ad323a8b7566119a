"""Sanitized HTML, and reports in S3 behind a pointer that moves only when the new one is whole."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.reports.archive import ReportArchive, latest_key
from chalicelib.reports.errors import NoReport
from chalicelib.reports.render import to_safe_html


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


def report(idrssd: str, job_id: str) -> dict[str, Any]:
    return {"idrssd": idrssd, "jobId": job_id, "sections": [{"id": "x"}]}


def test_latest_follows_each_saved_report(aws: dict[str, Any]) -> None:
    archive = ReportArchive(aws["s3"], aws["bucket"])
    with pytest.raises(NoReport, match="no finished report"):
        archive.latest("1")
    assert not archive.exists("1")
    archive.save(report("1", "a"))
    assert archive.latest("1")["jobId"] == "a" and archive.exists("1")
    archive.save(report("1", "b"))
    assert archive.latest("1")["jobId"] == "b"


def test_a_failed_write_leaves_the_previous_report(aws: dict[str, Any]) -> None:
    archive = ReportArchive(aws["s3"], aws["bucket"])
    archive.save(report("1", "good"))
    s3 = aws["s3"]
    original = s3.put_object

    def failing_put(**kwargs: Any) -> Any:
        if kwargs["Key"] != latest_key("1"):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "PutObject")
        return original(**kwargs)

    s3.put_object = failing_put
    with pytest.raises(ClientError):
        archive.save(report("1", "broken"))
    s3.put_object = original
    assert archive.latest("1")["jobId"] == "good"
