"""What each command prints for people and, with ``--json``, for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.support import FakeTransport, answer, job, run, status_answer

BANK = {
    "idrssd": "9900001",
    "name": "Granite Peak Bank (SYNTHETIC)",
    "city": "Denver",
    "state": "CO",
    "synthetic": True,
    "hasData": True,
    "latestQuarter": "20241231",
    "totalAssets": 9855651,
}
REAL = {
    "idrssd": "852218",
    "name": "JPMorgan Chase Bank, National Association",
    "city": "Columbus",
    "state": "OH",
    "synthetic": False,
    "hasData": False,
    "latestQuarter": None,
    "totalAssets": None,
}
REPORT: dict[str, Any] = {
    "idrssd": "9900001",
    "bank": {"name": "Granite <Peak> Bank", "city": "Denver", "state": "CO"},
    "asOf": "20241231",
    "generatedAt": "2026-12-01T07:07:53.319Z",
    "jobId": "0193-job-1",
    "writer": "bedrock",
    "model": "a-model",
    "synthetic": True,
    "sections": [
        {
            "id": "executive_summary",
            "title": "Executive summary",
            "markdown": "It is **fine**.",
            "html": "<p>It is <strong>fine</strong>.</p>",
        },
        {
            "id": "capital",
            "title": "Capital & liquidity",
            "markdown": "Plenty.",
            "html": "<p>Plenty.</p>",
        },
    ],
    "series": [],
    "notes": ["One quarter is missing."],
}


def test_banks_prints_a_table_with_data_quarter_and_assets() -> None:
    transport = FakeTransport(
        {"GET /api/banks?q=bank": answer(200, {"banks": [BANK, REAL], "count": 2})}
    )
    result = run(["banks", "bank"], transport)
    assert result.code == 0
    header, first, second = result.stdout.splitlines()
    assert header.split() == ["RSSD", "ID", "Name", "City,", "state", "Data", "Total", "assets"]
    assert first.startswith("9900001") and "2024-12-31" in first and "$9.86 bn" in first
    assert second.startswith("852218 ") and "none loaded" in second


def test_banks_says_so_when_nothing_matches() -> None:
    transport = FakeTransport({"GET /api/banks?q=zzz": answer(200, {"banks": [], "count": 0})})
    result = run(["banks", "zzz"], transport)
    assert (result.code, result.stdout) == (0, "No bank matches 'zzz'.\n")


def test_banks_json_is_the_api_answer() -> None:
    body = {"banks": [BANK], "count": 1}
    result = run(
        ["banks", "granite", "--json"],
        FakeTransport({"GET /api/banks?q=granite": answer(200, body)}),
    )
    assert result.json() == body


def test_a_start_without_wait_says_how_to_watch_it() -> None:
    started = {"created": True, "hasJob": True, "job": job("pending", 0)}
    transport = FakeTransport(
        {"POST /api/research/9900001/generate-background": answer(202, started)}
    )
    result = run(["report", "9900001"], transport)
    assert result.code == 0
    assert result.stdout == (
        "Started a report job for bank 9900001 (0193-job-1). "
        "Watch it with: bank-research status 9900001 --type report --wait\n"
    )
    assert run(["report", "9900001", "--json"], transport).json() == started


def test_joining_a_running_job_says_so() -> None:
    joined = {"created": False, "hasJob": True, "job": job()}
    transport = FakeTransport(
        {"POST /api/research/9900001/generate-background": answer(200, joined)}
    )
    assert run(["report", "9900001"], transport).stdout.startswith("Joined the active report job")


def test_status_shows_both_types_in_sentences() -> None:
    failed = job(
        "failed",
        40,
        type="podcast",
        error="The worker stopped responding.",
        errorCode="worker_lost",
        finishedAt="2026-12-01T07:01:02.000Z",
    )
    transport = FakeTransport(
        {
            "GET /api/research/9900001/job-status?type=report": status_answer(job()),
            "GET /api/research/9900001/job-status?type=podcast": status_answer(failed),
        }
    )
    result = run(["status", "9900001"], transport)
    assert result.code == 0
    assert result.stdout.splitlines() == [
        "The report job for bank 9900001 is running: 30% (1 min 05 s elapsed). "
        "Writing the capital section.",
        "The podcast job for bank 9900001 failed at 2026-12-01 07:01:02 UTC: "
        "The worker stopped responding.",
    ]


def test_status_json_shapes_with_and_without_a_type() -> None:
    transport = FakeTransport(
        {
            "GET /api/research/9900001/job-status?type=report": status_answer(
                job("completed", 100)
            ),
            "GET /api/research/9900001/job-status?type=podcast": status_answer(None),
        }
    )
    both = run(["status", "9900001", "--json"], transport).json()
    assert both == {
        "report": {"hasJob": True, "job": job("completed", 100)},
        "podcast": {"hasJob": False},
    }
    one = run(["status", "9900001", "--type", "podcast", "--json"], transport).json()
    assert one == {"hasJob": False}
    text = run(["status", "9900001", "--type", "podcast"], transport).stdout
    assert text == "Bank 9900001 has had no podcast job in the last day.\n"


def test_cancel_prints_a_sentence_or_the_api_answer() -> None:
    cancelled = {
        "hasJob": True,
        "job": job(
            "failed", 30, errorCode="cancelled", error="Cancelled by the person who started it."
        ),
    }
    transport = FakeTransport(
        {"DELETE /api/research/9900001/job?type=report": answer(200, cancelled)}
    )
    assert run(["cancel", "9900001", "--type", "report"], transport).stdout == (
        "Cancelled the report job for bank 9900001.\n"
    )
    assert run(["cancel", "9900001", "--type", "report", "--json"], transport).json() == cancelled
    assert transport.sent[0].method == "DELETE"


def report_transport() -> FakeTransport:
    return FakeTransport({"GET /api/research/9900001/report": answer(200, REPORT)})


def test_get_report_as_markdown_by_default() -> None:
    text = run(["get", "report", "9900001"], report_transport()).stdout
    lines = text.splitlines()
    assert lines[0] == "# Granite <Peak> Bank — research report"
    assert "data as of 2024-12-31" in lines[2] and "bedrock (a-model) writer" in lines[2]
    assert "## Executive summary\n\nIt is **fine**." in text
    assert "## Capital & liquidity\n\nPlenty." in text
    assert "Synthetic sample data" in text and "- One quarter is missing." in text


def test_get_report_as_html_is_a_standalone_escaped_page() -> None:
    page = run(["get", "report", "9900001", "--format", "html"], report_transport()).stdout
    assert page.startswith("<!doctype html>") and '<meta charset="utf-8">' in page
    assert "<h1>Granite &lt;Peak&gt; Bank — research report</h1>" in page
    assert "<h2>Capital &amp; liquidity</h2>" in page
    assert "<p>It is <strong>fine</strong>.</p>" in page  # sanitized by the API, kept


def test_get_report_as_json_is_the_document() -> None:
    assert (
        run(["get", "report", "9900001", "--format", "json"], report_transport()).json() == REPORT
    )
    assert run(["get", "report", "9900001", "--json"], report_transport()).json() == REPORT


def test_get_report_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = run(["get", "report", "9900001", "-o", str(target)], report_transport())
    assert result.code == 0 and target.read_text(encoding="utf-8").startswith("# Granite")
    size = target.stat().st_size
    assert result.stdout == (
        f"Wrote the report for bank 9900001 (data as of 2024-12-31, markdown, {size} bytes) "
        f"to {target}.\n"
    )
    as_json = run(
        ["get", "report", "9900001", "--format", "html", "-o", str(target), "--json"],
        report_transport(),
    ).json()
    assert as_json == {
        "path": str(target),
        "bytes": target.stat().st_size,
        "format": "html",
        "idrssd": "9900001",
        "jobId": "0193-job-1",
        "asOf": "20241231",
    }
    assert not list(tmp_path.glob("*.part"))


def test_a_file_that_cannot_be_written_is_a_sentence(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "report.md"
    result = run(["get", "report", "9900001", "-o", str(target)], report_transport())
    assert result.code == 1 and result.stderr.startswith(f"Could not write {target}:")


def test_get_podcast_without_a_file_prints_the_transcript() -> None:
    podcast = {
        "idrssd": "9900001",
        "bank": {"name": "Granite Peak Bank"},
        "asOf": "20241231",
        "durationSeconds": 264.4,
        "script": [
            {"speaker": "host", "name": "Morgan Hale", "text": "Welcome."},
            {"speaker": "credit", "name": "Dana Okafor", "text": "Loans are fine."},
        ],
    }
    transport = FakeTransport({"GET /api/research/9900001/podcast": answer(200, podcast)})
    text = run(["get", "podcast", "9900001"], transport).stdout
    assert text.splitlines()[0] == "Granite Peak Bank — podcast (4:24, data as of 2024-12-31)"
    assert "Morgan Hale: Welcome.\n\nDana Okafor: Loans are fine." in text
    assert json.loads(run(["get", "podcast", "9900001", "--json"], transport).stdout) == podcast


def test_the_watch_hint_repeats_a_typed_base_url() -> None:
    url = "http://typed.test"
    started = {"created": True, "hasJob": True, "job": job("pending", 0)}
    path = f"POST {url}/api/research/9900001/generate-background"
    result = run(
        ["report", "9900001", "--base-url", url], FakeTransport({path: answer(202, started)})
    )
    assert result.stdout.endswith(
        f"bank-research status 9900001 --type report --wait --base-url {url}\n"
    )
