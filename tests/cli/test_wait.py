"""``--wait``: conditional polls paced by Retry-After, outcomes and exit codes, Ctrl-C."""

from __future__ import annotations

from typing import Any

import pytest

from bank_research_cli.api import Api
from bank_research_cli.errors import Transient
from bank_research_cli.watch import GIVE_UP_AFTER, PlainDisplay, watch
from tests.cli.support import BASE, FakeTransport, Terminal, answer, job, run, status_answer

START = "POST /api/research/9900001/generate-background"
STATUS = "GET /api/research/9900001/job-status?type=report"
DONE = job(
    "completed",
    100,
    stage="done",
    message="Report ready",
    finishedAt="2026-12-01T07:00:12.000Z",
    result={"url": "/api/research/9900001/report"},
)
CANCELLED_NOW = job(
    "failed",
    48,
    message="Cancelled",
    errorCode="cancelled",
    error="Cancelled by the person who started it.",
)
CANCELLED_BEFORE = job("cancelled", 48, message="Cancelled")  # the running stack's shape today
FAILED = job(
    "failed", 48, errorCode="worker_lost", error="The report stopped responding; start it again."
)


def started(first: dict[str, Any] | None = None, retry_after: str = "2") -> Any:
    queued = job("pending", 0, stage="queued", message="Waiting for a worker to start")
    return answer(
        202,
        {"created": True, "hasJob": True, "job": first or queued},
        location="/api/research/9900001/job-status?type=report",
        retry_after=retry_after,
    )


def not_modified(retry_after: str = "2") -> Any:
    return answer(304, None, etag='"e1"', retry_after=retry_after)


def test_a_wait_polls_conditionally_at_the_servers_pace_and_exits_0() -> None:
    transport = FakeTransport(
        {
            START: started(retry_after="4"),
            STATUS: [
                answer(200, {"hasJob": True, "job": job()}, etag='"e1"', retry_after="3"),
                not_modified("1"),
                answer(200, {"hasJob": True, "job": DONE}, etag='"e2"'),
            ],
        }
    )
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 0, result.stderr
    polls = transport.to("/api/research/9900001/job-status")
    assert [poll.header("If-None-Match") for poll in polls] == [None, '"e1"', '"e1"']
    assert result.sleeps == [4.0, 3.0, 1.0]  # the start's Retry-After, then each poll's
    assert result.stdout.splitlines() == [
        "Started a report job for bank 9900001 (0193-job-1).",
        "report 9900001    0%  Waiting for a worker to start",
        "report 9900001   30%  Writing the capital section",
        "report 9900001  100%  Report ready",
        "The report for bank 9900001 is ready: bank-research get report 9900001",
    ]
    assert result.stderr == ""


def test_a_wait_keeps_polling_through_busy_answers() -> None:
    busy = answer(
        503, {"error": "The service is busy; try again shortly.", "code": "busy"}, retry_after="5"
    )
    transport = FakeTransport({START: started(job()), STATUS: [busy, busy, status_answer(DONE)]})
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 0
    assert result.sleeps == [2.0, 5.0, 5.0]
    assert len(transport.to("/api/research/9900001/job-status")) == 3


def test_a_failed_job_exits_1_with_its_sentence() -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(FAILED)})
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 1
    assert result.stderr == (
        "The report job for bank 9900001 failed: The report stopped responding; start it again.\n"
    )


@pytest.mark.parametrize(
    "cancelled", [CANCELLED_NOW, CANCELLED_BEFORE], ids=["errorCode", "status"]
)
def test_a_cancelled_job_reads_as_a_cancellation_and_exits_3(cancelled: dict[str, Any]) -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(cancelled)})
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 3
    assert result.stderr.startswith("The report job for bank 9900001 was cancelled: Cancelled")
    as_json = run(["report", "9900001", "--wait", "--json"], transport)
    assert as_json.code == 3
    assert as_json.json() == {"created": True, "job": cancelled, "outcome": "cancelled"}


def test_wait_json_is_one_document_with_the_outcome() -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(DONE)})
    result = run(["report", "9900001", "--wait", "--json"], transport)
    assert result.code == 0 and result.stderr == ""
    assert result.json() == {"created": True, "job": DONE, "outcome": "completed"}


def interrupt_on(call: int) -> Any:
    calls = []

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == call:
            raise KeyboardInterrupt

    return sleep


def test_ctrl_c_leaves_the_job_running_and_says_how_to_watch_again() -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(job(progress=48))})
    result = run(["report", "9900001", "--wait"], transport, sleep=interrupt_on(2))
    assert result.code == 130
    assert result.stderr == (
        "Stopped watching; the report job for bank 9900001 keeps running. "
        "Watch it again with: bank-research status 9900001 --type report --wait\n"
    )
    assert [sent.method for sent in transport.sent] == ["POST", "GET"]  # no DELETE


def test_ctrl_c_repeats_a_typed_base_url_and_reports_the_last_job_seen_in_json() -> None:
    url = "http://typed.test:9000"
    transport = FakeTransport(
        {
            f"POST {url}/api/research/9900001/generate-background": started(job()),
            f"GET {url}/api/research/9900001/job-status?type=report": status_answer(
                job(progress=48)
            ),
        }
    )
    argv = ["report", "9900001", "--wait", "--json", "--base-url", url]
    result = run(argv, transport, sleep=interrupt_on(2))
    resume = f"bank-research status 9900001 --type report --wait --base-url {url}"
    assert result.code == 130 and result.stderr.endswith(resume + "\n")
    assert result.json() == {
        "job": job(progress=48),
        "outcome": "watching_stopped",
        "resume": resume,
    }


def test_status_wait_resumes_with_the_etag_it_already_has() -> None:
    transport = FakeTransport(
        {
            STATUS: [
                answer(200, {"hasJob": True, "job": job()}, etag='"e7"', retry_after="4"),
                status_answer(DONE),
            ]
        }
    )
    result = run(["status", "9900001", "--type", "report", "--wait"], transport)
    assert result.code == 0
    assert [poll.header("If-None-Match") for poll in transport.sent] == [None, '"e7"']
    assert result.sleeps == [4.0]


def test_status_wait_on_a_finished_job_exits_with_its_outcome_at_once() -> None:
    transport = FakeTransport({STATUS: status_answer(FAILED)})
    result = run(["status", "9900001", "--type", "report", "--wait"], transport)
    assert result.code == 1 and result.sleeps == [] and "failed" in result.stderr


def test_status_wait_without_a_job_is_a_sentence() -> None:
    transport = FakeTransport({STATUS: status_answer(None)})
    result = run(["status", "9900001", "--type", "report", "--wait"], transport)
    assert result.code == 1
    assert result.stderr == (
        "Bank 9900001 has no report job to watch; start one with "
        "bank-research report 9900001 --wait.\n"
    )


def test_a_job_that_disappears_while_watched_ends_the_wait() -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(None)})
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 1 and "no longer known" in result.stderr


def test_a_newer_job_replacing_the_watched_one_is_followed_and_said() -> None:
    newer = {**DONE, "jobId": "0193-job-2"}
    transport = FakeTransport({START: started(job()), STATUS: status_answer(newer)})
    result = run(["report", "9900001", "--wait"], transport)
    assert result.code == 0 and "replaced the one being watched" in result.stdout


def test_a_terminal_gets_a_live_bar_with_the_stage_message() -> None:
    screen = Terminal()
    transport = FakeTransport({START: started(job()), STATUS: status_answer(DONE)})
    result = run(["report", "9900001", "--wait"], transport, stdout=screen)
    assert result.code == 0
    assert "━" in result.stdout and "100%" in result.stdout and "Report ready" in result.stdout
    assert "report 9900001  100%" not in result.stdout  # bars, not plain lines


def test_json_off_a_terminal_prints_no_progress_at_all() -> None:
    transport = FakeTransport({START: started(job()), STATUS: status_answer(DONE)})
    result = run(["report", "9900001", "--wait", "--json"], transport)
    assert result.stderr == "" and result.stdout.lstrip().startswith("{")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_watch_gives_up_after_minutes_of_nothing_but_busy_answers() -> None:
    busy = answer(503, {"error": "The service is busy.", "code": "busy"}, retry_after="30")
    transport = FakeTransport({STATUS: busy})
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.now += seconds

    api = Api(BASE, transport=transport)
    with pytest.raises(Transient):
        watch(api, job(), PlainDisplay(Terminal()), sleep=sleep, clock=clock)
    assert GIVE_UP_AFTER <= clock.now <= GIVE_UP_AFTER + 60
