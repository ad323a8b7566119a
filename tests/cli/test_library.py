"""``history`` (a bank's research library) and ``get … --job`` (one past version)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.support import FakeTransport, answer, run
from tests.cli.test_output import REPORT

NEWER, OLDER = "0193a1b2-0000-7000-8000-00000000000b", "0193a1b2-0000-7000-8000-00000000000a"
REPORTS = {
    "reports": [
        {
            "jobId": NEWER,
            "generatedAt": "2026-12-01T09:21:07.000Z",
            "asOf": "20250331",
            "writer": "bedrock",
            "model": "a-model",
            "synthetic": True,
            "bytes": 23_450,
            "url": f"/api/research/9900001/reports/{NEWER}",
        },
        {
            "jobId": OLDER,
            "generatedAt": "2026-11-02T08:00:00.000Z",
            "asOf": "20241231",
            "writer": "template",
            "model": None,
            "synthetic": True,
            "bytes": 900,
            "url": f"/api/research/9900001/reports/{OLDER}",
        },
    ],
    "count": 2,
}
PODCASTS = {
    "podcasts": [
        {
            "jobId": NEWER,
            "generatedAt": "2026-12-01T09:30:00.000Z",
            "asOf": "20250331",
            "experts": ["credit", "markets"],
            "durationSeconds": 247.4,
            "engine": "espeak",
            "writer": "template",
            "bytes": 1_990_000,
            "url": f"/api/research/9900001/podcasts/{NEWER}",
        }
    ],
    "count": 1,
}
NONE = {"podcasts": [], "count": 0}


def library(podcasts: dict[str, Any] = PODCASTS) -> FakeTransport:
    return FakeTransport(
        {
            "GET /api/research/9900001/reports": answer(200, REPORTS),
            "GET /api/research/9900001/podcasts": answer(200, podcasts),
        }
    )


def test_history_lists_both_kinds_newest_first_and_says_how_to_get_one() -> None:
    result = run(["history", "9900001"], library())
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Bank 9900001: 2 reports, newest first."
    assert lines[1].split() == ["Job", "ID", "Written", "Data", "Writer", "Size"]
    assert lines[2].split() == [
        NEWER, "2026-12-01", "09:21", "UTC", "2025-03-31", "bedrock", "(a-model)", "22.9", "KB",
    ]  # fmt: skip
    assert lines[3].startswith(OLDER) and "template" in lines[3] and "900 bytes" in lines[3]
    assert lines[5] == "Bank 9900001: 1 podcast, newest first."
    assert lines[7].split()[5:] == ["credit,", "markets", "4:07", "1.9", "MB"]
    assert lines[-1] == "Get one with: bank-research get report 9900001 --job JOBID"


def test_history_of_one_kind_and_of_nothing_yet() -> None:
    transport = library(NONE)
    result = run(["history", "9900001", "--type", "podcast"], transport)
    assert (result.code, result.stdout) == (0, "Bank 9900001 has no finished podcasts.\n")
    assert [sent.path for sent in transport.sent] == ["/api/research/9900001/podcasts"]


def test_history_json_is_the_apis_listing() -> None:
    one = run(["history", "9900001", "--type", "report", "--json"], library())
    assert one.json() == REPORTS
    both = run(["history", "9900001", "--json"], library())
    assert both.json() == {"report": REPORTS, "podcast": PODCASTS}


def test_get_report_job_fetches_that_version() -> None:
    older = {**REPORT, "jobId": OLDER, "asOf": "20241231"}
    transport = FakeTransport({f"GET /api/research/9900001/reports/{OLDER}": answer(200, older)})
    text = run(["get", "report", "9900001", "--job", OLDER], transport)
    assert text.code == 0 and text.stdout.startswith("# Granite <Peak> Bank — research report")
    assert "data as of 2024-12-31" in text.stdout.splitlines()[2]
    assert run(["get", "report", "9900001", "--job", OLDER, "--json"], transport).json() == older


def test_get_report_job_to_a_file_names_the_version(tmp_path: Path) -> None:
    older = {**REPORT, "jobId": OLDER}
    transport = FakeTransport({f"GET /api/research/9900001/reports/{OLDER}": answer(200, older)})
    target = tmp_path / "older.md"
    result = run(
        ["get", "report", "9900001", "--job", OLDER, "-o", str(target), "--json"], transport
    )
    assert result.json()["jobId"] == OLDER and json.loads(target.read_text())["jobId"] == OLDER


def test_an_unknown_version_is_the_apis_sentence_and_json_keeps_its_detail() -> None:
    refusal = {
        "error": "That version of the bank's report is not available: it may be older than "
        "the reports we keep. Choose another version from the bank's list.",
        "code": "no_report",
        "detail": "GET /api/research/9900001/reports lists the versions kept.",
    }
    transport = FakeTransport({f"GET /api/research/9900001/reports/{OLDER}": answer(404, refusal)})
    result = run(["get", "report", "9900001", "--job", OLDER], transport)
    assert (result.code, result.stdout, result.stderr) == (1, "", refusal["error"] + "\n")
    as_json = run(["get", "report", "9900001", "--job", OLDER, "--json"], transport)
    assert json.loads(as_json.stdout) == {**refusal, "status": 404}


def test_a_job_id_stays_one_path_segment() -> None:
    refusal = {"error": "'a/b' is not a job id.", "code": "invalid_job_id"}
    transport = FakeTransport({"GET /api/research/9900001/reports/a%2Fb": answer(400, refusal)})
    result = run(["get", "report", "9900001", "--job", "a/b"], transport)
    assert result.code == 1 and result.stderr == "'a/b' is not a job id.\n"


def test_get_podcast_job_downloads_that_versions_audio_without_the_apis_key(
    tmp_path: Path,
) -> None:
    signed = "http://storage.test/podcasts/9900001/older.mp3?X-Amz-Signature=abc"
    podcast = {"idrssd": "9900001", "jobId": OLDER, "script": [], "audioSrc": signed}
    transport = FakeTransport(
        {
            f"GET /api/research/9900001/podcasts/{OLDER}": answer(200, podcast),
            f"GET {signed}": answer(200, b"ID3older", content_type="audio/mpeg"),
        }
    )
    target = tmp_path / "older.mp3"
    env = {"BANK_RESEARCH_URL": "http://api.test", "BANK_RESEARCH_API_KEY": "secret"}
    argv = ["get", "podcast", "9900001", "--job", OLDER, "-o", str(target), "--json"]
    result = run(argv, transport, env=env)
    assert result.code == 0, result.stderr
    assert target.read_bytes() == b"ID3older"
    assert result.json() == {
        "path": str(target),
        "bytes": 8,
        "contentType": "audio/mpeg",
        "idrssd": "9900001",
        "jobId": OLDER,
    }
    api_call, download = transport.sent
    assert api_call.header("x-api-key") == "secret" and download.header("x-api-key") is None
