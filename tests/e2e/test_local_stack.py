"""The local stack as a user starts it (``make run``), driven over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.local_stack import ROOT, Stack, free_port, local_stack, stop

pytestmark = pytest.mark.e2e
BANK = "9900001"  # banks of the synthetic sample that `make run` loads


def poll_until_finished(stack: Stack, idrssd: str, job_type: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, headers, body = stack.request(
            "GET", f"/api/research/{idrssd}/job-status?type={job_type}"
        )
        assert status == 200 and headers["Cache-Control"] == "no-store"
        if body["hasJob"] and body["job"]["status"] not in ("pending", "running"):
            return body["job"]
        time.sleep(0.2)
    raise AssertionError("the job did not finish in time")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with local_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def test_a_job_started_over_http_runs_in_a_local_worker_to_an_end(stack: Stack) -> None:
    status, headers, body = stack.request("POST", f"/api/research/{BANK}/generate-background")
    assert status == 202, body
    assert headers["Location"] == f"/api/research/{BANK}/job-status?type=report"
    job = poll_until_finished(stack, BANK, "report")
    assert job["jobId"] == body["job"]["jobId"]
    if job["status"] == "failed":  # a type whose pipeline is not in this build says so
        assert job["error"] and job["error"].endswith(".")
    else:
        assert job["status"] == "completed" and job["progress"] == 100
    # The output tells the work, not the polls: the start is a line, its polls are not.
    log = stack.log()
    assert f'"POST /api/research/{BANK}/generate-background HTTP/1.1" 202' in log
    assert "job-status" not in log


def test_concurrent_users_of_one_bank_share_one_job(stack: Stack) -> None:
    bank = "9900002"
    answers: list[Any] = []
    lock = threading.Lock()

    def start() -> None:
        # A report start: a podcast start needs a finished report first (409 otherwise).
        answer = stack.request("POST", f"/api/research/{bank}/generate-background")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=start) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every user either created a job or joined one that another user created; jobs of a
    # type without a pipeline end at once, so a later user may legitimately start anew.
    created = {body["job"]["jobId"] for status, _, body in answers if status == 202}
    assert {status for status, _, _ in answers} <= {200, 202} and created
    assert {body["job"]["jobId"] for _, _, body in answers} == created


def test_the_sample_is_loaded_and_real_banks_have_no_figures(stack: Stack) -> None:
    status, _, body = stack.request("GET", "/api/banks?q=synthetic")
    assert status == 200 and body["count"] >= 20
    assert all(bank["name"].endswith("(SYNTHETIC)") for bank in body["banks"])
    status, _, body = stack.request("GET", "/api/banks/852218")
    assert status == 200 and body["data"] == "none" and body["figures"] is None
    status, _, body = stack.request("POST", "/api/research/852218/generate-background")
    assert status == 409 and body["code"] == "no_data"


def test_bad_input_gets_a_sentence_not_a_stack_trace(stack: Stack) -> None:
    status, _, body = stack.request("GET", "/api/research/abc/job-status?type=report")
    assert status == 400 and body["code"] == "invalid_idrssd" and "RSSD ID" in body["error"]
    status, _, body = stack.request("POST", f"/api/research/{BANK}/podcast/generate-background", [])
    assert status == 400 and body["code"] == "invalid_body"


def test_etag_and_304_over_http(stack: Stack) -> None:
    path = f"/api/research/{BANK}/job-status?type=report"
    _, headers, _ = stack.request("GET", path)
    status, _, body = stack.request("GET", path, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body is None


def test_a_busy_port_is_reported_in_a_sentence() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "devstack.run", "--port", str(busy),
             "--emulator-port", str(free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"Port {busy} on 127.0.0.1 is already in use" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_one_ctrl_c_stops_everything(tmp_path: Path) -> None:
    with local_stack(tmp_path) as running:
        ports = [
            int(url.rsplit(":", 1)[1])
            for url in (running.url, running.emulator, running.lambda_url)
        ]
        began = time.monotonic()
        assert stop(running.process) is not None
        # Within 5 s of Ctrl-C: the parts stop at once, and the process ends without
        # freeing what the emulator holds object by object (which grows with its size).
        assert time.monotonic() - began < 5
    for freed in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", freed)) != 0, f"port {freed} still served"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_stack_process_stops_its_server_too(tmp_path: Path, signum: int) -> None:
    with local_stack(tmp_path) as running:
        port = int(running.url.rsplit(":", 1)[1])
        running.process.send_signal(signum)  # the stack alone, not its process group
        running.process.wait(timeout=15)
        assert port_closes(port, within=10), f"the server on port {port} outlived the stack"


def port_closes(port: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.1)
    return False


ROUTES = [
    "/api/health", "/api/openapi.json", "/api/banks?q=granite", "/api/banks/9900001",
    "/api/research/recent", f"/api/research/{BANK}/job-status?type=report",
    "/api/podcast/experts",
]  # fmt: skip


def test_no_api_route_answers_200_before_the_stack_says_it_is_running(tmp_path: Path) -> None:
    """The fault once seen: the app answered (an empty bank list, starts that 404) seconds
    before the data and the workers were up. Every /api route says 503 starting until
    the line "running at" is printed; the page itself is served meanwhile."""
    port, log = free_port(), tmp_path / "stack.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.run", "--port", str(port),
             "--emulator-port", str(free_port()), "--lambda-port", str(free_port())],
            cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, text=True,
        )  # fmt: skip
    probe = Stack(f"http://127.0.0.1:{port}", "", process, log)
    answers: list[tuple[str, int, Any]] = []
    page_while_starting: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while "is running at" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            for route in ROUTES:
                try:
                    status, headers, body = probe.request("GET", route)
                except OSError:
                    continue  # nothing listens yet
                printed = "is running at" in log.read_text()
                answers.append((route, status, body))
                assert status != 200 or printed, f"{route} answered 200 before the line"
                if not printed:
                    assert status == 503 and body["code"] == "starting", (route, body)
                    assert headers["Retry-After"] == "1"
                    if not page_while_starting:  # the page is there to say "Starting…"
                        with urllib.request.urlopen(probe.url + "/", timeout=5) as page:
                            page_while_starting.append(page.status)
            time.sleep(0.05)
        assert [route for route, status, _ in answers if status == 503], "never saw starting"
        assert page_while_starting == [200]
        deadline = time.monotonic() + 10
        while (health := probe.request("GET", "/api/health"))[0] != 200:
            assert time.monotonic() < deadline, health
            time.sleep(0.05)
        assert health[2]["ready"] is True
        status, _, banks = probe.request("GET", "/api/banks?q=granite")
        assert status == 200 and banks["count"] >= 1
    finally:
        stop(process)


KILLED_RUN = """
import sys, time
from pathlib import Path
from tests.e2e.local_stack import local_stack
with local_stack(Path(sys.argv[1])) as stack:
    print(stack.url, flush=True)
    time.sleep(600)
"""


def test_a_stack_started_by_a_test_run_ends_when_that_run_is_killed(tmp_path: Path) -> None:
    """The fault once seen: a test run stopped by a time limit left its stack serving on
    its ports. Here a test run is killed outright (SIGKILL: no cleanup of its own runs)."""
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert run.stdout is not None
    url = run.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    port = int(url.rsplit(":", 1)[1])
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert port_closes(port, within=15), f"the stack on port {port} outlived its test run"
