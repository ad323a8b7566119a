"""``make import ... REFRESH=1``: after the import, a batch for the newest quarter imported
is started on the local stack's API; when the stack is not running or refuses, the import
still stands and the sentence says how to start the batch."""

from __future__ import annotations

import io
from typing import Any

import pytest

from devstack import import_ffiec, refresh
from ingest import cli as import_cli
from ingest.importer import ImportSummary
from tests.cli.support import FakeTransport, answer

BATCH = {"batchId": "0193a1b2-0000-7000-8000-000000000001", "total": 5, "status": "running"}


def test_a_running_stack_gets_the_batch_of_the_quarter_imported() -> None:
    transport = FakeTransport({"POST /api/batches": answer(202, {"batch": BATCH})})
    out = io.StringIO()
    code = refresh.start_batch("20250630", 8000, transport=transport, stream=out,
                               is_free=lambda port: False)  # fmt: skip
    assert code == 0
    assert transport.sent[0].url == "http://127.0.0.1:8000/api/batches"
    assert transport.sent[0].json() == {"type": "report", "quarter": "20250630"}
    assert out.getvalue().startswith(f"Started batch {BATCH['batchId']}: reports for 5 banks")


def test_no_stack_running_says_the_import_landed_and_how_to_start_the_batch() -> None:
    out, transport = io.StringIO(), FakeTransport()
    code = refresh.start_batch("20250630", 8123, transport=transport, stream=out,
                               is_free=lambda port: True)  # fmt: skip
    assert code == 1 and transport.sent == []
    said = out.getvalue()
    assert "The import landed, but no batch was started" in said and "make run" in said
    assert "bank-research batch start --quarter 20250630 --base-url http://127.0.0.1:8123" in said


def test_a_refusal_is_passed_on_with_the_command_to_start_it_later() -> None:
    refusal = {"error": "Reports are written from each bank's latest quarter, now "
               "2025-09-30; 2025-06-30 is not it. Ask for the latest quarter.",
               "code": "unknown_quarter"}  # fmt: skip
    transport = FakeTransport({"POST /api/batches": answer(400, refusal)})
    out = io.StringIO()
    code = refresh.start_batch("20250630", 8000, transport=transport, stream=out,
                               is_free=lambda port: False)  # fmt: skip
    assert code == 1
    assert refusal["error"] in out.getvalue()
    assert out.getvalue().rstrip().endswith("bank-research batch start --quarter 20250630")


def test_the_flag_starts_the_batch_of_the_newest_quarter_after_the_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[str, int]] = []

    def imported(argv: Any, on_imported: Any = None) -> int:
        summary = ImportSummary("files", quarters=["20250331", "20250630"], banks=5)
        return 0 if on_imported is None else int(on_imported(summary))

    def started(quarter: str, port: int) -> int:
        asked.append((quarter, port))
        return 0

    monkeypatch.setattr(import_cli, "main", imported)
    monkeypatch.setattr(refresh, "start_batch", started)
    argv = ["files", "--aws", "--table", "Banks"]
    assert import_ffiec.main(argv) == 0 and asked == []
    assert import_ffiec.main([*argv[:1], "--table", "Banks", "--aws", "--refresh"]) == 2
    monkeypatch.setattr(import_ffiec, "port_is_free", lambda port: False)
    assert import_ffiec.main(["files", "--refresh", "--api-port", "8123"]) == 0
    assert asked == [("20250630", 8123)]


def test_the_import_commands_hook_runs_after_the_import(tmp_path: Any) -> None:
    """``ingest.cli.main`` without a hook keeps its status; a failed import calls no hook."""
    called: list[ImportSummary] = []
    missing = str(tmp_path / "nothing-here.zip")

    def hook(summary: ImportSummary) -> int:
        called.append(summary)
        return 0

    code = import_cli.main([missing, "--table", "Banks"], hook)
    assert code == 1 and called == []
