"""``bank-research batch``: the requests it sends, the watch to the end with its pace and
failures, exit codes, and bad input answered with a sentence and exit 2."""

from __future__ import annotations

from typing import Any

import pytest

from bank_research_cli.batches import reading
from tests.cli.support import FakeTransport, Terminal, answer, run

BATCH_ID = "0193a1b2-0000-7000-8000-000000000001"
ONE = f"/api/batches/{BATCH_ID}"


def batch(status: str = "running", **counts: int) -> dict[str, Any]:
    """A batch of 4 banks started at 07:00:05, 60 s before the tests' clock (NOW)."""
    base = {"total": 4, "queued": 0, "running": 0, "completed": 0, "failed": 0,
            "skipped": 0, "cancelled": 0}  # fmt: skip
    return {
        "batchId": BATCH_ID,
        "type": "report",
        "quarter": "20250630",
        "status": status,
        **base,
        **counts,
        "selection": {"banks": 4},
        "startedBy": "local",
        "createdAt": "2026-12-01T07:00:05.000Z",
        "updatedAt": "2026-12-01T07:01:00.000Z",
        "finishedAt": "2026-12-01T07:01:05.000Z" if status != "running" else None,
    }


def test_start_sends_the_filter_and_the_banks_named() -> None:
    transport = FakeTransport({"POST /api/batches": answer(202, {"batch": batch(queued=4)})})
    argv = ["batch", "start", "--state", "ak", "--min-assets", "1000", "--bank", "480228"]
    result = run([*argv, "--bank", "9900001", "--quarter", "20250630"], transport)
    assert result.code == 0, result.stderr
    assert transport.sent[0].json() == {
        "type": "report",
        "quarter": "20250630",
        "banks": ["480228", "9900001"],
        "filter": {"state": "AK", "minAssets": 1000},
    }
    assert result.stdout.splitlines() == [
        f"Started batch {BATCH_ID}: reports for 4 banks, data of 2025-06-30.",
        f"Watch it with: bank-research batch status {BATCH_ID} --wait",
    ]


def test_wait_polls_every_two_seconds_and_ends_with_a_summary_exit_0() -> None:
    transport = FakeTransport(
        {
            "POST /api/batches": answer(202, {"batch": batch(queued=4)}),
            f"GET {ONE}": [
                answer(200, {"batch": batch(completed=1, skipped=1, running=2)}),
                answer(503, {"error": "Busy; try again shortly.", "code": "busy"}),
                answer(200, {"batch": batch("completed", completed=3, skipped=1)}),
            ],
        }
    )
    result = run(["batch", "start", "--wait"], transport)
    assert result.code == 0, result.stderr
    assert result.sleeps == [2.0, 2.0, 2.0]
    lines = result.stdout.splitlines()
    # 2 banks done in the 60 s since the start: 2 a minute, 1 min left for the other 2
    assert lines[2] == (
        f"batch {BATCH_ID}  running  1 completed, 0 failed, 1 skipped of 4, 2 running  "
        "(2.0 banks/min, about 1 min 00 s left)"
    )
    assert lines[-1] == (
        f"Batch {BATCH_ID} (reports, data of 2025-06-30) finished: 3 completed, 0 failed, "
        "1 skipped of 4 (4.0 banks/min)."
    )


def test_a_failed_bank_is_said_with_its_sentence_and_exits_1() -> None:
    failure = {"idrssd": "480228", "bankName": "First Example Bank", "errorCode": "model_error",
               "jobId": "j1",
               "message": "The writer could not finish this report; try again."}  # fmt: skip
    unnamed = {**failure, "idrssd": "9900001", "bankName": None}  # its work reached no job
    transport = FakeTransport(
        {
            f"GET {ONE}": answer(200, {"batch": batch("completed", completed=2, failed=2)}),
            f"GET {ONE}/failures": answer(200, {"failures": [failure, unnamed]}),
        }
    )
    result = run(["batch", "status", BATCH_ID, "--wait"], transport)
    assert result.code == 1
    assert (
        "First Example Bank (bank 480228): The writer could not finish this report; try again."
        in result.stderr
    )
    assert "  bank 9900001: The writer could not finish" in result.stderr
    assert f"bank-research batch retry {BATCH_ID}" in result.stderr


def test_status_json_carries_the_batch_and_its_failures() -> None:
    transport = FakeTransport({f"GET {ONE}": answer(200, {"batch": batch(queued=4)})})
    result = run(["batch", "status", BATCH_ID, "--json"], transport)
    assert result.code == 0 and result.json() == {"batch": batch(queued=4), "failures": []}


def test_a_cancelled_batch_watched_exits_3_and_cancel_says_what_finishes() -> None:
    cancelled = batch("cancelled", completed=1, cancelled=3)
    transport = FakeTransport(
        {
            f"DELETE {ONE}": answer(200, {"batch": cancelled}),
            f"GET {ONE}": answer(200, {"batch": cancelled}),
        }
    )
    assert run(["batch", "cancel", BATCH_ID], transport).stdout.startswith(
        f"Cancelled batch {BATCH_ID}: banks already being researched finish."
    )
    assert run(["batch", "status", BATCH_ID, "--wait"], transport).code == 3


def test_retry_and_list() -> None:
    transport = FakeTransport(
        {
            f"POST {ONE}/retry": answer(202, {"batch": batch(completed=3, queued=1)}),
            "GET /api/batches?limit=20": answer(
                200, {"batches": [batch("completed", completed=4)], "nextCursor": None}
            ),
        }
    )
    retried = run(["batch", "retry", BATCH_ID], transport)
    assert retried.code == 0 and retried.stdout.startswith("Retrying the failed banks")
    listed = run(["batch", "list"], transport).stdout.splitlines()
    assert listed[1].split() == [BATCH_ID, "2026-12-01", "07:00", "UTC", "2025-06-30",
                                 "completed", "4/4", "0"]  # fmt: skip


def test_the_api_sentence_is_passed_on() -> None:
    refusal = {"error": "No bank matches these filters with figures for 2025-06-30: widen "
               "the filters (state, asset sizes).", "code": "no_banks_selected"}  # fmt: skip
    transport = FakeTransport({"POST /api/batches": answer(400, refusal)})
    result = run(["batch", "start", "--state", "ZZ"], transport)
    assert result.code == 1 and result.stderr.strip() == refusal["error"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--state", "Alaska"], "'Alaska' is not a state"),
        (["--min-assets", "lots"], "'lots' is not an amount"),
        (["--min-assets", "10", "--max-assets", "5"], "--min-assets is above --max-assets"),
        (["--bank", "12x"], "'12x' is not an RSSD ID"),
        (["--quarter", "2025Q2"], "'2025Q2' is not a quarter"),
    ],
)
def test_bad_input_is_a_sentence_and_exit_2_with_nothing_sent(argv: list[str], words: str) -> None:
    transport = FakeTransport()
    result = run(["batch", "start", *argv], transport)
    assert result.code == 2 and result.stderr.startswith(words) and transport.sent == []


def test_a_terminal_gets_a_live_bar_with_the_pace() -> None:
    transport = FakeTransport(
        {f"GET {ONE}": [answer(200, {"batch": batch("completed", completed=4)})]}
    )
    result = run(["batch", "status", BATCH_ID, "--wait"], transport, stdout=Terminal())
    assert result.code == 0 and "4/4" in result.stdout and "banks/min" in result.stdout


def test_the_pace_is_unknown_until_a_bank_is_done() -> None:
    current = reading(batch(queued=4), 0.0)
    assert (current.done, current.per_minute, current.left_seconds) == (0, None, None)
