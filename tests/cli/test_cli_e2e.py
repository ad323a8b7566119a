"""``.venv/bin/bank-research`` against the real local stack, as a person or a script runs it.

One stack per module (``make run`` on free ports). Banks of the synthetic sample each get
one job story, so the tests do not depend on one another's order: 9900001 is reported
once (module fixture) and then podcast, 9900002 is cancelled while watched, 9900003 is
left running by Ctrl-C; 852218 is a real bank without data.
"""

from __future__ import annotations

import json
import os
import pty
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.cli.gateway import key_gateway
from tests.e2e.local_stack import Stack, free_port, local_stack

pytestmark = pytest.mark.e2e
CLI = Path(sys.executable).parent / "bank-research"
PROGRESS = re.compile(r"^(report|podcast) \d+ +\d{1,3}%  \S")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: run make install, which installs the client.")
    with local_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def environment(stack: Stack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANK_RESEARCH_")}
    return {**env, "BANK_RESEARCH_URL": stack.url, "COLUMNS": "120"}


def cli(stack: Stack, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], env=environment(stack), capture_output=True, text=True, timeout=timeout
    )


def one_sentence(text: str) -> bool:
    return text.count("\n") == 1 and text.rstrip().endswith(".") and "Traceback" not in text


class Watching:
    """A client running in the background, its output read line by line as it comes."""

    def __init__(self, stack: Stack, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(CLI), *args],
            env=environment(stack),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.readers = [
            self._read(self.process.stdout, self.stdout, self.lines),
            self._read(self.process.stderr, self.stderr, None),
        ]

    @staticmethod
    def _read(stream: IO[str] | None, into: list[str], lines: Any) -> threading.Thread:
        def pump() -> None:
            assert stream is not None
            for line in stream:
                into.append(line)
                if lines is not None:
                    lines.put(line)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread

    def line_matching(self, wanted: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            if wanted(line):
                return line
        raise AssertionError(f"no such line; out={self.stdout} err={self.stderr}")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        for reader in self.readers:
            reader.join(timeout=5)
        return code, "".join(self.stdout), "".join(self.stderr)


@pytest.fixture(scope="module")
def reported(stack: Stack) -> dict[str, Any]:
    """Bank 9900001 with a finished report: ``report --wait --json``'s answer."""
    done = cli(stack, "report", "9900001", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress off a terminal in --json mode
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_banks_lists_the_sample_for_people_and_scripts(stack: Stack) -> None:
    table = cli(stack, "banks", "granite")
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.startswith("RSSD ID") and row.startswith("9900001  Granite Peak Bank")
    found = cli(stack, "banks", "synthetic", "--json")
    answer = json.loads(found.stdout)
    assert found.returncode == 0 and answer["count"] == len(answer["banks"]) >= 20
    assert {"idrssd", "name", "hasData", "latestQuarter"} <= set(answer["banks"][0])
    nothing = cli(stack, "banks", "zzzz-no-such-bank")
    assert (nothing.returncode, nothing.stdout) == (0, "No bank matches 'zzzz-no-such-bank'.\n")


def test_report_wait_runs_to_completion_in_one_json_document(reported: dict[str, Any]) -> None:
    assert set(reported) == {"created", "job", "outcome"}
    job = reported["job"]
    assert reported["outcome"] == "completed" and job["status"] == "completed"
    assert job["progress"] == 100 and job["result"]["url"] == "/api/research/9900001/report"
    assert job["idrssd"] == "9900001" and job["type"] == "report"


def test_get_report_in_each_format(stack: Stack, reported: dict[str, Any], tmp_path: Path) -> None:
    markdown = cli(stack, "get", "report", "9900001")
    assert markdown.returncode == 0
    assert markdown.stdout.startswith("# Granite Peak Bank (SYNTHETIC) — research report\n")
    assert "\n## Executive summary\n" in markdown.stdout
    as_json = json.loads(cli(stack, "get", "report", "9900001", "--format", "json").stdout)
    assert as_json == stack.request("GET", "/api/research/9900001/report")[2]
    assert as_json["jobId"] == reported["job"]["jobId"]
    page = tmp_path / "report.html"
    saved = cli(stack, "get", "report", "9900001", "--format", "html", "-o", str(page), "--json")
    assert saved.returncode == 0
    assert json.loads(saved.stdout) == {
        "path": str(page),
        "bytes": page.stat().st_size,
        "format": "html",
        "idrssd": "9900001",
        "jobId": as_json["jobId"],
        "asOf": as_json["asOf"],
    }
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_podcast_wait_prints_progress_lines_and_its_mp3_downloads(
    stack: Stack, reported: dict[str, Any], tmp_path: Path
) -> None:
    made = cli(stack, "podcast", "9900001", "--experts", "credit,capital", "--wait")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert lines[0].startswith("Started a podcast job for bank 9900001")
    assert [line for line in lines if PROGRESS.match(line)], made.stdout  # plain lines, no bar
    assert "━" not in made.stdout
    assert lines[-1] == (
        "The podcast for bank 9900001 is ready: "
        "bank-research get podcast 9900001 -o podcast-9900001.mp3"
    )
    target = tmp_path / "podcast.mp3"
    saved = cli(stack, "get", "podcast", "9900001", "-o", str(target), "--json")
    assert saved.returncode == 0, saved.stderr
    document = stack.request("GET", "/api/research/9900001/podcast")[2]
    audio = target.read_bytes()
    assert len(audio) == document["audioBytes"] == json.loads(saved.stdout)["bytes"]
    assert audio[:3] == b"ID3" or audio[0] == 0xFF  # an MP3, not a storage error page
    transcript = cli(stack, "get", "podcast", "9900001")
    assert document["script"][0]["text"] in transcript.stdout
    # The library lists it; that version's own signed link downloads the same MP3.
    listed = json.loads(cli(stack, "history", "9900001", "--type", "podcast", "--json").stdout)
    assert listed == stack.request("GET", "/api/research/9900001/podcasts")[2]
    assert listed["podcasts"][0]["jobId"] == document["jobId"]
    version = tmp_path / "version.mp3"
    saved = cli(stack, "get", "podcast", "9900001", "--job", document["jobId"], "-o", str(version))
    assert saved.returncode == 0, saved.stderr
    assert version.read_bytes() == audio


def test_history_lists_the_library_and_get_job_fetches_a_version(
    stack: Stack, reported: dict[str, Any]
) -> None:
    job_id = reported["job"]["jobId"]
    listed = json.loads(cli(stack, "history", "9900001", "--type", "report", "--json").stdout)
    assert listed == stack.request("GET", "/api/research/9900001/reports")[2]
    assert job_id in [entry["jobId"] for entry in listed["reports"]]
    text = cli(stack, "history", "9900001")
    assert text.returncode == 0 and job_id in text.stdout
    assert text.stdout.splitlines()[0].startswith("Bank 9900001: ")
    version = cli(stack, "get", "report", "9900001", "--job", job_id, "--format", "json")
    assert version.returncode == 0, version.stderr
    past = stack.request("GET", f"/api/research/9900001/reports/{job_id}")[2]
    assert json.loads(version.stdout) == past and past["jobId"] == job_id
    nothing = cli(stack, "history", "9900004", "--type", "report")
    assert (nothing.returncode, nothing.stdout) == (0, "Bank 9900004 has no finished reports.\n")
    unknown = "01a0c450-6c00-7000-8000-000000000000"
    missing = cli(stack, "get", "report", "9900001", "--job", unknown, "--json")
    status, _, refusal = stack.request("GET", f"/api/research/9900001/reports/{unknown}")
    assert (status, refusal["code"]) == (404, "no_report")
    assert missing.returncode == 1 and one_sentence(missing.stderr)
    assert json.loads(missing.stdout) == {**refusal, "status": 404}  # its detail kept


def test_status_shows_both_job_types(stack: Stack, reported: dict[str, Any]) -> None:
    text = cli(stack, "status", "9900001")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith("The report for bank 9900001 was finished at ")
    both = json.loads(cli(stack, "status", "9900001", "--json").stdout)
    assert set(both) == {"report", "podcast"}
    assert both["report"]["job"]["jobId"] == reported["job"]["jobId"]
    none = json.loads(cli(stack, "status", "9900009", "--type", "podcast", "--json").stdout)
    assert none == {"hasJob": False}


def test_a_cancel_from_another_client_ends_the_wait_as_a_cancellation(stack: Stack) -> None:
    watcher = Watching(stack, "report", "9900002", "--wait")
    watcher.line_matching(lambda line: bool(PROGRESS.match(line)))
    cancelled = cli(stack, "cancel", "9900002", "--type", "report")
    assert (cancelled.returncode, cancelled.stdout) == (
        0,
        "Cancelled the report job for bank 9900002.\n",
    )
    code, _, stderr = watcher.finish()
    assert code == 3, stderr
    assert stderr.startswith("The report job for bank 9900002 was cancelled: ")
    again = cli(stack, "cancel", "9900002", "--type", "report")
    status, _, refusal = stack.request("DELETE", "/api/research/9900002/job?type=report")
    assert (status, refusal["code"]) == (404, "no_active_job")
    assert (again.returncode, again.stderr) == (1, refusal["error"] + "\n")
    watched = cli(stack, "status", "9900002", "--type", "report", "--wait", "--json")
    assert watched.returncode == 3 and json.loads(watched.stdout)["outcome"] == "cancelled"


def test_ctrl_c_while_waiting_leaves_the_job_running(stack: Stack) -> None:
    watcher = Watching(stack, "report", "9900003", "--wait")
    started = watcher.line_matching(lambda line: line.startswith("Started a report job"))
    watcher.line_matching(lambda line: bool(PROGRESS.match(line)))
    watcher.process.send_signal(signal.SIGINT)
    code, _, stderr = watcher.finish()
    resume = "bank-research status 9900003 --type report --wait"
    assert code == 130
    assert stderr == (
        "Stopped watching; the report job for bank 9900003 keeps running. "
        f"Watch it again with: {resume}\n"
    )
    _, _, body = stack.request("GET", "/api/research/9900003/job-status?type=report")
    assert body["job"]["status"] in ("pending", "running", "completed")
    resumed = cli(stack, *resume.split()[1:])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[-1].startswith("The report for bank 9900003 is ready")
    _, _, body = stack.request("GET", "/api/research/9900003/job-status?type=report")
    assert body["job"]["jobId"] in started  # the very job that was started, never restarted


def test_a_bank_without_data_fails_at_start_with_the_apis_sentence(stack: Stack) -> None:
    refused = cli(stack, "report", "852218", "--wait")
    _, _, body = stack.request("POST", "/api/research/852218/generate-background")
    assert body["code"] == "no_data"
    assert (refused.returncode, refused.stdout, refused.stderr) == (1, "", body["error"] + "\n")
    as_json = cli(stack, "report", "852218", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == {**body, "status": 409}


def test_a_wrong_base_url_is_one_sentence_and_exit_2(stack: Stack) -> None:
    for url in (
        stack.url + "/nope",  # the right server, a path it does not serve
        stack.emulator,  # another server altogether (the AWS emulator)
        f"http://127.0.0.1:{free_port()}",  # nothing listening
        "127.0.0.1:8000",  # not a web address
    ):
        wrong = cli(stack, "status", "9900001", "--base-url", url)
        assert (wrong.returncode, wrong.stdout) == (2, ""), url
        assert one_sentence(wrong.stderr), wrong.stderr


def test_a_rejected_key_is_one_sentence_and_exit_2(stack: Stack) -> None:
    with key_gateway(stack.url, key="the-right-key") as gateway:
        wrong = cli(stack, "banks", "granite", "--base-url", gateway, "--api-key", "a-wrong-key")
        assert wrong.returncode == 2 and wrong.stdout == "" and one_sentence(wrong.stderr)
        assert "refused the API key" in wrong.stderr and "a-wrong-key" not in wrong.stderr
        missing = cli(stack, "banks", "granite", "--base-url", gateway)
        assert missing.returncode == 2 and "needs credentials" in missing.stderr
        right = cli(stack, "banks", "granite", "--base-url", gateway, "--api-key", "the-right-key")
        assert right.returncode == 0 and "9900001" in right.stdout


def test_a_terminal_gets_a_live_progress_bar(stack: Stack, reported: dict[str, Any]) -> None:
    screen, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(CLI), "podcast", "9900001", "--experts", "markets", "--wait"],
        env=environment(stack),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if not select.select([screen], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(screen, 4096)
            except OSError:  # the terminal closed: the client has exited
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(screen)
        if process.poll() is None and time.monotonic() >= deadline:
            process.kill()
        code = process.wait(timeout=30)
    text = shown.decode("utf-8", errors="replace")
    assert code == 0, text
    assert "━" in text and "100%" in text and "Podcast ready" in text
    assert "podcast 9900001  100%" not in text  # a bar, not the plain lines
