"""The seed's testing checklist, line by line, in headless Chromium against the local stack.

The stack starts as ``make run`` starts it (report writing paced to ~10 s, so progress is
visible). Each test uses its own synthetic bank so that tests never share a job.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.run import local_stage_env
from tests.e2e.browser import OUTPUT, ConsoleWatch, chromium, new_context
from tests.e2e.local_stack import Stack, local_stack

pytestmark = pytest.mark.e2e
REPORT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("browser-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


class Watched:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.console = ConsoleWatch(page)

    def unexpected_errors(self) -> list[str]:
        return [error for error in self.console.errors if not self.console.expected(error)]


@pytest.fixture
def watched(context: Any) -> Iterator[Watched]:
    page = Watched(context.new_page())
    yield page
    assert page.unexpected_errors() == [], page.console.errors


def open_bank(page: Any, stack: Stack, idrssd: str) -> None:
    page.goto(f"{stack.url}/?bank={idrssd}")
    page.wait_for_selector("#bank-name:not(:empty)")
    page.wait_for_function("document.querySelector('#bank-name').textContent.includes('SYNTHETIC')")


def progress_value(page: Any, job_type: str = "report") -> int:
    return int(page.eval_on_selector(f"#{job_type}-bar", "bar => bar.value"))


def wait_for_report(page: Any) -> None:
    page.wait_for_selector("#report:not([hidden])", timeout=REPORT_TIMEOUT_MS)


def job_of(stack: Stack, idrssd: str, job_type: str = "report") -> dict[str, Any]:
    status, _, body = stack.request("GET", f"/api/research/{idrssd}/job-status?type={job_type}")
    assert status == 200 and body["hasJob"]
    return body["job"]


def test_start_a_report_navigate_away_come_back_and_see_progress(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900003"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_selector("#report-progress:not([hidden])")
    page.wait_for_function("document.querySelector('#report-bar').value > 0")
    before = progress_value(page)
    page.goto(f"{stack.url}/?bank=9900004")  # another bank: the page forgets this job
    page.wait_for_function("document.querySelector('#bank-name').textContent.includes('SYNTHETIC')")
    assert page.is_hidden("#report-progress")
    page.go_back()
    page.wait_for_selector("#report-progress:not([hidden])")
    assert progress_value(page) >= before
    assert "%" in page.inner_text("#report-status")
    wait_for_report(page)
    assert job_of(stack, bank)["status"] == "completed"


def test_two_users_generate_reports_for_two_banks_at_once(stack: Stack, browser: Any) -> None:
    banks = {"9900005": None, "9900006": None}
    contexts = [new_context(browser) for _ in banks]
    try:
        pages = []
        for context, bank in zip(contexts, banks, strict=True):
            page = context.new_page()
            watch = ConsoleWatch(page)
            open_bank(page, stack, bank)
            pages.append((page, watch, bank))
        for page, _, _ in pages:
            page.click("#generate-report")
        for page, watch, bank in pages:
            wait_for_report(page)
            name = page.inner_text("#bank-name")
            assert name in page.inner_text("#report-sections")
            assert job_of(stack, bank)["status"] == "completed"
            assert watch.errors == []
        names = {page.inner_text("#bank-name") for page, _, _ in pages}
        assert len(names) == 2
    finally:
        for context in contexts:
            context.close()


def test_progress_moves_through_values_from_polls_about_two_seconds_apart(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900007"
    polls: list[float] = []
    page.on(
        "request",
        lambda request: (
            polls.append(time.monotonic()) if "job-status?type=report" in request.url else None
        ),
    )
    open_bank(page, stack, bank)
    page.click("#generate-report")
    seen: list[int] = []
    deadline = time.monotonic() + REPORT_TIMEOUT_MS / 1000
    while page.is_hidden("#report") and time.monotonic() < deadline:
        if page.is_visible("#report-progress"):
            seen.append(progress_value(page))
        time.sleep(0.25)
    wait_for_report(page)
    assert len(set(seen)) >= 2, seen
    assert seen == sorted(seen)  # never backwards
    # polls[0] is the page's check for active jobs on load; the polls follow the start.
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls[1:])]
    assert gaps and all(1.5 <= gap <= 4.0 for gap in gaps), gaps
    assert page.get_attribute("#report-bar", "aria-valuenow") is not None


def test_a_completed_job_shows_its_report_without_a_click(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900008"
    status, _, _ = stack.request("POST", f"/api/research/{bank}/generate-background")
    assert status == 202
    open_bank(page, stack, bank)  # the page finds the running job and follows it
    page.wait_for_selector("#report-progress:not([hidden])")
    wait_for_report(page)
    sections = page.locator("#report-sections section")
    assert sections.count() == 7
    assert page.locator("#charts svg").count() == 4
    assert page.is_visible("#synthetic-banner")
    assert page.inner_text("#generate-report") == "Regenerate report"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "finished-report.png"), full_page=True)


def test_a_job_that_fails_for_a_real_reason_shows_its_error(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900009"
    # The bank's profile is flagged "no data loaded" while quarter items remain: a start
    # passes (quarters exist) but the worker finds no usable data and fails the job.
    table = boto3.resource(
        "dynamodb", endpoint_url=stack.emulator, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    ).Table(local_stage_env()["BANKS_TABLE"])  # fmt: skip
    open_bank(page, stack, bank)
    table.update_item(
        Key={"pk": f"BANK#{bank}", "sk": "PROFILE"},
        UpdateExpression="SET #data = :none",
        ExpressionAttributeNames={"#data": "data"},
        ExpressionAttributeValues={":none": "none"},
    )
    page.click("#generate-report")
    page.wait_for_selector("#report-error:not([hidden])", timeout=REPORT_TIMEOUT_MS)
    message = page.inner_text("#report-error")
    assert "No financial data loaded" in message
    assert job_of(stack, bank)["status"] == "failed"
    assert page.is_hidden("#report-progress")


def test_an_api_refusal_is_shown_next_to_its_action(stack: Stack, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{stack.url}/?bank=852218")  # a real bank, known by name only
    page.wait_for_selector("#no-data:not([hidden])")
    assert "import" in page.inner_text("#no-data")
    assert page.is_disabled("#generate-report")


def test_reload_during_generation_resumes_the_same_job(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900010"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_function("document.querySelector('#report-bar').value > 0")
    job_id = job_of(stack, bank)["jobId"]
    page.reload()
    page.wait_for_selector("#report-progress:not([hidden])")
    assert page.is_disabled("#generate-report")
    wait_for_report(page)
    job = job_of(stack, bank)
    assert job["jobId"] == job_id and job["status"] == "completed"


def test_the_page_is_usable_at_375_pixels(stack: Stack, browser: Any) -> None:
    context = new_context(browser, viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        watch = ConsoleWatch(page)
        page.goto(stack.url + "/")
        page.wait_for_selector("#results li")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        page.fill("#q", "granite")
        page.wait_for_function("document.querySelectorAll('#results li').length === 1")
        page.click("#results a")
        page.wait_for_function("location.search === '?bank=9900001'")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert watch.errors == []
    finally:
        context.close()


def test_a_given_api_key_is_sent_with_every_api_call(stack: Stack, watched: Watched) -> None:
    page = watched.page
    sent: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers.get("x-api-key")) if "/api/" in request.url else None
        ),
    )
    page.goto(f"{stack.url}/#apiKey=key-for-this-tab")
    page.wait_for_selector("#results li")
    assert sent and set(sent) == {"key-for-this-tab"}
    assert "apiKey" not in page.url  # not left in the address bar or history


def test_start_a_podcast_the_dialog_closes_and_its_status_shows(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900011"
    open_bank(page, stack, bank)
    page.click("#generate-report")  # a podcast discusses the bank's latest report
    wait_for_report(page)
    page.click("#generate-podcast")
    page.wait_for_selector("#podcast-dialog[open]")
    assert page.locator("#expert-list input").count() >= 6
    page.check("#expert-credit")
    page.check("#expert-markets")
    page.click("#start-podcast")
    page.wait_for_function("!document.querySelector('#podcast-dialog').open")
    assert page.inner_text("#podcast-status")  # progress or "Podcast ready." on the page
    page.wait_for_selector("#podcast:not([hidden])", timeout=REPORT_TIMEOUT_MS)
    transcript = page.inner_text("#transcript")
    for name in ("Dana Okafor", "Aisha Rahman"):  # the chosen experts speak
        assert name in transcript
    duration = page.evaluate(
        """() => new Promise((resolve) => {
            const audio = document.querySelector('#podcast-audio');
            if (audio.readyState >= 1) return resolve(audio.duration);
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.load();
        })"""
    )
    assert duration > 60  # the MP3 plays from the emulator's signed link
    assert job_of(stack, bank, "podcast")["status"] == "completed"
    OUTPUT.mkdir(exist_ok=True)
    page.locator("#podcast-panel").screenshot(path=str(OUTPUT / "podcast-player.png"))


def test_an_experts_choice_outside_the_rules_is_refused_in_the_dialog(
    stack: Stack, watched: Watched
) -> None:
    page = watched.page
    open_bank(page, stack, "9900012")
    page.click("#generate-podcast")
    page.wait_for_selector("#podcast-dialog[open]")
    page.click("#start-podcast")  # nobody chosen
    assert "between one and 4" in page.inner_text("#dialog-error")
    page.check("#expert-credit")
    # No report yet: the API refuses (Chromium logs the 409 itself) and the dialog says why.
    watched.console.expect("status of 409")
    page.click("#start-podcast")
    page.wait_for_selector("#dialog-error:has-text('report')")
    assert page.is_visible("#podcast-dialog[open]")


def test_cancel_stops_an_active_job(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900013"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_selector("#cancel-report:not([hidden])")
    page.click("#cancel-report")
    page.wait_for_function(
        "document.querySelector('#report-status').textContent === 'Report cancelled.'"
    )
    assert page.is_hidden("#report-progress") and page.is_enabled("#generate-report")
    assert job_of(stack, bank)["status"] == "cancelled"
