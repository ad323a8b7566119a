"""How the CLI reads a live job as the page does: time waited while queued, elapsed time,
the attempt once it was retried, a run stalled (nothing heard for more than 1.5
heartbeats) and one waiting for its retry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bank_research_cli import jobs
from tests.cli.support import FakeTransport, answer, job, run

START = "POST /api/research/9900001/generate-background"
STATUS = "GET /api/research/9900001/job-status?type=report"


def at(seconds: float) -> float:
    """``seconds`` after 07:00:00 UTC, the scripted job's start."""
    return datetime(2026, 12, 1, 7, 0, 0, tzinfo=UTC).timestamp() + seconds


def beating(last_beat: str = "2026-12-01T07:00:30.000Z", **fields: Any) -> dict[str, Any]:
    return job(lastBeatAt=last_beat, heartbeatSeconds=30, leaseSeconds=90, maxAttempts=3, **fields)


def test_a_queued_job_says_how_long_it_has_waited() -> None:
    queued = job("pending", 0, attempt=0, maxAttempts=3, lastBeatAt=None)
    life = jobs.life(queued, at(12))
    assert life.phase == "queued" and life.facts == "waiting 12 s"


def test_a_live_run_shows_its_elapsed_time_and_its_attempt_once_retried() -> None:
    assert jobs.life(beating(), at(65)).facts == "1 min 05 s elapsed"
    retried = jobs.life(beating(attempt=2), at(65))
    assert retried.phase == "working" and retried.facts == "1 min 05 s elapsed · attempt 2 of 3"
    assert "(attempt 2 of 3)" in jobs.progress_line(beating(attempt=2), at(65))


def test_silence_past_one_and_a_half_heartbeats_reads_stalled_with_when_it_is_retried() -> None:
    assert jobs.life(beating(), at(30 + 45)).phase == "working"  # exactly 1.5 beats: not yet
    stalled = jobs.life(beating(), at(30 + 50))
    assert stalled.phase == "stalled"
    retry_at = jobs.clock(at(30 + 90))
    assert stalled.words == (
        f"No word from the writer for 50 s; it will be retried at {retry_at} "
        "if it does not recover."
    )
    last = jobs.life(beating(attempt=3), at(30 + 50))
    assert "the report will be stopped at" in last.words  # no attempt left: no retry


def test_past_its_lease_it_waits_for_the_next_attempt() -> None:
    waiting = jobs.life(beating(), at(30 + 91))
    assert waiting.phase == "retrying"
    assert waiting.words.endswith("Attempt 2 of 3 will take over shortly.")


def test_a_watch_shows_the_stall_between_unchanged_answers() -> None:
    """A 304 changes nothing in the job, but the silence grows: the watch says so."""
    live = beating(last_beat="2026-12-01T07:01:00.000Z")
    transport = FakeTransport(
        {
            START: answer(
                202, {"created": True, "hasJob": True, "job": live}, location="/x", retry_after="2"
            ),
            STATUS: [
                answer(200, {"hasJob": True, "job": live}, etag='"e1"', retry_after="2"),
                answer(304, None, etag='"e1"', retry_after="2"),
                answer(200, {"hasJob": True, "job": job("completed", 100, message="Report ready")}),
            ],
        }
    )
    result = run(["report", "9900001", "--wait"], transport, now=at(60 + 50))
    assert result.code == 0, result.stderr
    assert any("No word from the writer for 50 s" in line for line in result.stdout.splitlines())
