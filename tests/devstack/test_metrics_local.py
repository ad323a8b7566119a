"""The local stack's metrics: EMF lines lifted out of its output into counts and
percentiles, one summary line per job, and ``GET /_local/metrics`` in the local stage only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import telemetry
from chalicelib.jobs.events import RunTimes
from chalicelib.jobs.model import Job, JobType, Status, WorkerEvent
from devstack.lambda_local.worker import ROOT
from devstack.metrics_local import LocalMetrics, MetricsServer, emf_document, summary_line
from tests.devstack.test_stack_config import _get_eventually


def job(attempt: int = 1, delivery: str = "d-1") -> Job:
    return Job(
        job_id="01a0c450-6c00-7000-8000-000000000001", idrssd="9900001", type=JobType.REPORT,
        status=Status.RUNNING, progress=0, stage="starting", message="Starting",
        attempt=attempt, created_at=1000.0, updated_at=1000.0, expires_at=2000,
        correlation_id="request-1", delivery=delivery,
    )  # fmt: skip


def emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = capsys.readouterr().out.splitlines()
    return [doc for doc in map(emf_document, lines) if doc is not None]


def run_documents(capsys: pytest.CaptureFixture[str], seconds: list[float]) -> list[str]:
    """A report run through two stages, claimed 0.5 s after its start, fed to a collector
    as the stack's relay feeds it; returns the summary lines it printed."""
    metrics = LocalMetrics()
    run = RunTimes.claimed(job(), telemetry.EVENTS, 1000.5)
    run.wrote("load", 1000.5)
    run.wrote("write", 1000.5 + seconds[0])
    run.end(1000.5 + seconds[0] + seconds[1], None)
    summaries = [metrics.feed(document) for document in emitted(capsys)]
    return [line for line in summaries if line]


def test_a_job_is_one_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    lines = run_documents(capsys, [1.25, 2.0])
    assert lines == [
        "job report 9900001 01a0c450-6c00-7000-8000-000000000001 completed in 3.8 s "
        "(attempt 1, claimed after 0.5 s; starting 0.0 s, load 1.2 s, write 2.0 s; "
        "2 progress writes)"
    ]


def test_series_keep_counts_and_percentiles(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = LocalMetrics()
    for index in range(100):
        telemetry.EVENTS.claimed(job(delivery=f"d-{index}"), 1000 + index / 100)
    for document in emitted(capsys):
        metrics.feed(document)
    shown = {item["name"]: item for item in metrics.snapshot()["metrics"]}
    claims = shown["StartToClaim"]
    assert claims["dimensions"] == {"service": "bank-research", "JobType": "report"}
    assert claims["samples"] == 100 and claims["unit"] == "Milliseconds"
    assert (claims["min"], claims["p50"], claims["p90"], claims["p99"], claims["max"]) == (
        0.0, 490.0, 890.0, 980.0, 990.0,
    )  # fmt: skip


def test_failed_and_cancelled_jobs_are_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = LocalMetrics()
    claimed = job()
    RunTimes.claimed(claimed, telemetry.EVENTS, 1001).end(1004, "no_data")
    telemetry.EVENTS.cancelled(job())
    telemetry.EVENTS.abandoned(WorkerEvent(claimed.job_id, "9900001", JobType.REPORT, {}), "busy")
    lines = [metrics.feed(document) for document in emitted(capsys)]
    shown = [line for line in lines if line]
    assert shown[0].endswith("failed (no_data) in 4.0 s (attempt 1, claimed after 1.0 s; "
                             "starting 3.0 s; 0 progress writes)")  # fmt: skip
    assert shown[1:] == [
        "job report 9900001 01a0c450-6c00-7000-8000-000000000001 cancelled",
        "job report 9900001 01a0c450-6c00-7000-8000-000000000001 failed (busy)",
    ]
    jobs = metrics.snapshot()["jobs"]
    assert [entry["outcome"] for entry in jobs] == ["failed", "cancelled", "failed"]


def test_other_output_is_not_a_document() -> None:
    assert emf_document('{"level":"INFO","message":"job claimed"}') is None
    assert emf_document("local lambda: … ok in 3 ms") is None
    assert emf_document('{"_aws": "not a directive"}') is None
    assert summary_line({"type": "podcast", "jobId": "j", "outcome": "cancelled"}) == (
        "job podcast j cancelled"
    )


RELAYED = textwrap.dedent(
    """
    import subprocess, sys
    from devstack.metrics_local import LocalTelemetry
    telemetry = LocalTelemetry("127.0.0.1").start()
    print("the stack's own line", flush=True)
    child = (
        "from chalicelib import telemetry; from chalicelib.jobs.events import RunTimes;"
        "from tests.devstack.test_metrics_local import job; print('a worker line', flush=True);"
        "RunTimes.claimed(job(), telemetry.EVENTS, 1000.5).end(1002.0, None)"
    )
    subprocess.run([sys.executable, "-c", child], check=True, env=telemetry.env() | {
        "PATH": "", "PYTHONPATH": "."})
    telemetry.stop()
    print(len(telemetry.metrics.snapshot()["metrics"]), "series")
    """
)


def test_the_relay_takes_documents_out_of_every_process_output() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RELAYED], cwd=ROOT, capture_output=True, text=True, timeout=60,
        check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[:2] == ["the stack's own line", "a worker line"]
    assert lines[2].startswith("job report 9900001 ") and "completed in 2.0 s" in lines[2]
    assert not [line for line in lines if '"_aws"' in line]
    # StartToClaim, StageDuration (starting), JobDuration, ProgressWrites, JobsCompleted
    assert lines[-1] == "5 series"


WRITES_IN_PIECES = textwrap.dedent(
    """
    import json, os, sys, time
    doc = {"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "BankResearch",
           "Dimensions": [["service"]], "Metrics": [{"Name": "Big", "Unit": "Count"}]}]},
           "service": "s", "Big": 1, "pad": "x" * 10000}
    line = json.dumps(doc) + "\\n"
    for n in range(30):
        os.write(1, line[:5000].encode())
        time.sleep(0.001)
        os.write(1, line[5000:].encode())
        sys.stderr.write("a line ")
        sys.stderr.flush()
        sys.stderr.write("in two writes\\n")
        sys.stderr.flush()
    """
)
INTERLEAVED = textwrap.dedent(
    """
    import os, subprocess, sys
    from devstack.metrics_local import LocalTelemetry
    telemetry = LocalTelemetry("127.0.0.1").start()
    children = []
    for _ in range(3):
        output = telemetry.child_output()
        children.append(subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=output,
                                         stderr=subprocess.STDOUT))
        os.close(output)
    for n in range(30):
        print("the stack's own line", n, flush=True)
    for process in children:
        process.wait()
    telemetry.stop()
    print(telemetry.metrics.snapshot()["documents"], "documents")
    """
)


def test_lines_of_many_processes_arrive_whole_and_no_document_is_lost() -> None:
    """The fault once seen: metric documents glued to other output and lost. Each child
    writes 30 documents of 10 kB (beyond the pipe's atomic write) in two pieces each, and
    a line in two writes on stderr, all at once: every document is counted, every line
    arrives whole."""
    done = subprocess.run(
        [sys.executable, "-c", INTERLEAVED, WRITES_IN_PIECES], cwd=ROOT, capture_output=True,
        text=True,
        timeout=120, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[-1] == "90 documents"
    assert not [line for line in lines if '"_aws"' in line]
    rest = lines[:-1]
    assert rest.count("a line in two writes") == 90
    assert sorted(rest) == sorted(
        ["a line in two writes"] * 90 + [f"the stack's own line {n}" for n in range(30)]
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve_app(stage: str, metrics_url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL_LAMBDA"}
    server = subprocess.Popen(
        [sys.executable, "-m", "devstack.chalice_local", "--port", str(port), "--stage", stage],
        cwd=ROOT, env=env | {"LOCAL_METRICS_URL": metrics_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return server, port


def test_the_metrics_page_answers_in_the_local_stage_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = LocalMetrics()
    telemetry.EVENTS.claimed(job(), 1000.5)
    for document in emitted(capsys):
        metrics.feed(document)
    collector = MetricsServer(metrics).start()
    servers = {stage: _serve_app(stage, collector.url) for stage in ("local", "dev")}
    try:
        status, body = _get_eventually(f"http://127.0.0.1:{servers['local'][1]}/_local/metrics")
        assert status == 200 and body["namespace"] == "BankResearch"
        assert [item["name"] for item in body["metrics"]] == ["StartToClaim"]
        status, _ = _get_eventually(f"http://127.0.0.1:{servers['dev'][1]}/api/openapi.json")
        assert status == 200  # the other stage's server is up, and has no such page:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{servers['dev'][1]}/_local/metrics")
        assert refused.value.code in (403, 404)
        assert "BankResearch" not in refused.value.read().decode()
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=10)
        collector.stop()


def test_the_packaged_app_has_no_metrics_route() -> None:
    with Client(app) as client:
        answer = client.http.get("/_local/metrics")
    assert answer.status_code in (403, 404)
    assert "BankResearch" not in answer.body.decode()
    assert not [route for route in app.routes if route.startswith("/_local")]


def test_without_the_stack_the_page_says_why(tmp_path: Any) -> None:
    server, port = _serve_app("local", "")
    try:
        status, body = _get_eventually(f"http://127.0.0.1:{port}/_local/metrics")
        assert status == 404 and body["code"] == "no_local_metrics"
        assert json.dumps(body).count("make run") == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
