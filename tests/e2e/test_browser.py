"""The seed's testing checklist and the page's own promises, in headless Chromium against
the local stack.

The stack starts as ``make run`` starts it (report writing paced to ~10 s, so progress is
visible), once for the module. Each test uses its own synthetic bank so that tests never
share a job; the research library and the overview are the stack's own routes, with real
reports, podcasts and jobs.
"""

from __future__ import annotations

import calendar
import itertools
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    OUTPUT,
    ConsoleWatch,
    axe_violations,
    chromium,
    enforcing_context,
    new_context,
    operator_text,
    screenshot,
)
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.page_support import (
    NEXT_QUARTER,
    REPORT_TIMEOUT_MS,
    banks_table,
    finished_report,
    fulfil,
    import_quarter,
    job_of,
    next_quarter_of,
    open_bank,
    progress_value,
    wait_for_job,
    wait_for_report,
)

pytestmark = pytest.mark.e2e


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
        return self.console.unexpected()

    def check(self, name: str) -> None:
        """A state of the page: a screenshot, no operator text, no serious axe finding."""
        screenshot(self.page, name)
        assert operator_text(self.page) == []
        assert axe_violations(self.page) == []


@pytest.fixture
def watched(context: Any) -> Iterator[Watched]:
    page = Watched(context.new_page())
    yield page
    assert page.unexpected_errors() == [], page.console.errors


def test_start_a_report_navigate_away_come_back_and_see_progress(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900003"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_selector("#report-progress:not([hidden])")
    page.wait_for_function("document.querySelector('#report-bar').value > 0")
    before = progress_value(page)
    watched.check("report-in-progress")
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
            assert watch.unexpected() == []
        names = {page.inner_text("#bank-name") for page, _, _ in pages}
        assert len(names) == 2
    finally:
        for context in contexts:
            context.close()


POLL = "job-status?type=report"


def finished(answer: Any) -> bool:
    """A job-status answer that shows the job no longer active."""
    return answer.json()["job"]["status"] not in ("pending", "running")


def test_progress_moves_through_values_from_polls_about_two_seconds_apart(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900007"
    answers: list[Any] = []
    page.on("response", lambda answer: answers.append(answer) if POLL in answer.url else None)
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
    # The polls that followed the job: after the check for active jobs on load, up to the
    # one that saw it finish (the page's idle check may come after it, as it should). When
    # the browser sent each one, by its own clock: the test's would add Playwright's delays.
    following = answers[1:]
    ends = [n for n, answer in enumerate(following) if answer.status == 200 and finished(answer)]
    polls = [answer.request.timing["startTime"] / 1000 for answer in following[: ends[0] + 1]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
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
    page.wait_for_function("document.querySelectorAll('#charts svg').length === 4")
    assert page.is_visible("#synthetic-banner")
    assert page.inner_text("#generate-report") == "Regenerate report"
    # The message links to the result; the report is the first thing below the figures.
    assert page.inner_text("#report-status").startswith("Report ready")
    page.click("#report-status a")
    assert page.evaluate("document.activeElement.id") == "report-title"
    order = page.evaluate(
        "[...document.querySelectorAll('#key-figures, #report, #podcast-panel')].map(e => e.id)"
    )
    assert order == ["key-figures", "report", "podcast-panel"]
    watched.check("finished-report")


def test_charts_have_readable_labels_axes_and_a_readout(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900022"
    finished_report(stack, bank)  # of its own: tests may run in any order
    open_bank(page, stack, bank)
    wait_for_report(page)
    page.wait_for_function("document.querySelectorAll('#charts svg').length === 4")
    labels = page.evaluate(
        """[...document.querySelectorAll('#charts svg')].map(svg => {
            const box = svg.getBoundingClientRect();
            const texts = [...svg.querySelectorAll('text')];
            const last = texts.filter(t => t.dataset.quarter).sort(
                (a, b) => a.dataset.quarter.localeCompare(b.dataset.quarter)).at(-1);
            const lastBox = last.getBoundingClientRect();
            return {
                smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize))),
                last: last.textContent, inside: lastBox.right <= box.right + 0.5
                    && lastBox.left >= box.left - 0.5,
                axes: svg.querySelectorAll('line.axis').length,
            };
        })"""
    )
    for chart in labels:
        assert chart["smallest"] >= 12, labels
        assert chart["last"] == "Q4 2024" and chart["inside"], labels
        assert chart["axes"] == 2
    plot = page.locator("#charts .plot").first
    plot.hover()
    page.mouse.move(*_point_in(plot, 0.99))
    page.wait_for_function(
        "document.querySelector('#charts .readout').textContent.startsWith('Q4 2024')"
    )
    plot.focus()
    page.keyboard.press("Home")
    assert page.locator("#charts .readout").first.inner_text().startswith("Q1 2023: Total assets $")
    page.keyboard.press("ArrowRight")
    assert page.locator("#charts .readout").first.inner_text().startswith("Q2 2023")
    page.locator("#charts figure").first.screenshot(path=str(screenshot_dir() / "chart.png"))


def _point_in(locator: Any, fraction: float) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2


def screenshot_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


def test_a_job_that_fails_for_a_real_reason_shows_its_error_after_a_reload_and_elsewhere(
    stack: Stack, watched: Watched, context: Any
) -> None:
    page, bank = watched.page, "9900009"
    # The bank's profile loses the figures it shows while it still says they are loaded: a
    # start passes (it reads only that flag) but the report finds no usable data and fails.
    open_bank(page, stack, bank)
    banks_table(stack).update_item(
        Key={"pk": f"BANK#{bank}", "sk": "PROFILE"},
        UpdateExpression="REMOVE #view",
        ExpressionAttributeNames={"#view": "view"},
    )
    page.click("#generate-report")
    page.wait_for_selector("#report-outcome:not([hidden])", timeout=REPORT_TIMEOUT_MS)
    message = page.inner_text("#report-error")
    assert "No financial data is loaded" in message
    assert job_of(stack, bank)["status"] == "failed"
    assert page.is_hidden("#report-progress")
    watched.check("report-failed")
    page.reload()  # the outcome survives a reload: the sentence, when, and a way to retry
    page.wait_for_selector("#report-outcome:not([hidden])")
    after = page.inner_text("#report-error")
    assert "No financial data is loaded" in after and "This happened on" in after
    assert page.is_visible("#retry-report") and page.is_hidden("#generate-report")
    other = context.new_page()  # and another tab sees it too
    watch = ConsoleWatch(other)
    other.goto(f"{stack.url}/?bank={bank}")
    other.wait_for_selector("#report-outcome:not([hidden])")
    assert "No financial data is loaded" in other.inner_text("#report-error")
    assert operator_text(other) == [] and watch.unexpected() == []


def test_a_bank_without_data_says_so_for_people(stack: Stack, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{stack.url}/?bank=852218")  # a real bank, known by name only
    page.wait_for_selector("#no-data:not([hidden])")
    assert "No financial data is loaded" in page.inner_text("#no-data")
    assert page.is_disabled("#generate-report") and page.is_disabled("#generate-podcast")
    assert page.is_visible("#podcast-reason")
    watched.check("bank-without-data")


def test_the_podcast_waits_for_a_report_and_says_why(stack: Stack, watched: Watched) -> None:
    page = watched.page
    open_bank(page, stack, "9900012")
    assert page.is_disabled("#generate-podcast")
    reason = page.inner_text("#podcast-reason")
    assert "Generate the report first" in reason
    described = page.get_attribute("#generate-podcast", "aria-describedby")
    assert described == "podcast-reason"
    watched.check("podcast-needs-a-report")


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


def test_a_tab_open_before_a_job_starts_learns_of_it(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900014"
    open_bank(page, stack, bank)
    page.wait_for_selector("#podcast-reason:not([hidden])")  # the page has settled
    status, _, _ = stack.request("POST", f"/api/research/{bank}/generate-background")
    assert status == 202  # started elsewhere (another browser, a script)
    # The idle check (every 15 s while visible) finds it: running, or already finished.
    page.wait_for_selector("#report-progress:not([hidden]), #report:not([hidden])", timeout=30_000)
    wait_for_report(page)
    assert page.is_enabled("#generate-podcast")  # a report now exists


def test_tabs_of_one_browser_tell_each_other_of_a_start(stack: Stack, context: Any) -> None:
    bank = "9900015"
    first, second = context.new_page(), context.new_page()
    watches = [ConsoleWatch(first), ConsoleWatch(second)]
    for tab in (first, second):
        open_bank(tab, stack, bank)
        tab.wait_for_selector("#podcast-reason:not([hidden])")
    first.click("#generate-report")
    # Well before the 15 s idle check: the first tab's BroadcastChannel message did it.
    second.wait_for_selector("#report-progress:not([hidden])", timeout=10_000)
    first.click("#cancel-report")
    second.wait_for_selector("#report-outcome.cancelled:not([hidden])", timeout=10_000)
    assert "cancelled" in second.inner_text("#report-error")
    assert [watch.unexpected() for watch in watches] == [[], []]


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
        assert page.evaluate("location.search") == "?q=granite"
        page.click("#results a")
        page.wait_for_function("location.search === '?bank=9900001'")
        page.wait_for_selector("#bank-name:has-text('SYNTHETIC')")
        # Focus follows the choice, to the bank's heading.
        assert page.evaluate("document.activeElement.id") == "bank-name"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "bank-at-375px")
        assert axe_violations(page) == []
        page.go_back()  # the search is restored from ?q=
        page.wait_for_function("document.querySelectorAll('#results li').length === 1")
        assert page.input_value("#q") == "granite"
        assert watch.unexpected() == []
    finally:
        context.close()


def test_search_restores_from_the_url_and_marks_banks_without_data(
    stack: Stack, watched: Watched
) -> None:
    page = watched.page
    page.goto(f"{stack.url}/?q=bank")
    page.wait_for_selector("#results li")
    assert page.input_value("#q") == "bank"
    # By default only banks with figures: the real banks known by name only are left out.
    assert page.locator("#results li.no-data").count() == 0
    page.check("#filter-all")
    page.wait_for_function("location.search === '?q=bank&all=1'")
    page.wait_for_selector("#results li.no-data")
    marks = page.evaluate(
        "[...document.querySelectorAll('#results li')].map(li => li.querySelector('.tag') !== null)"
    )
    assert True in marks and False in marks  # the sample's banks and real ones without data
    assert marks == sorted(marks)  # banks with data first
    assert "without financial data" in page.inner_text("#search-count")
    watched.check("search-results")
    page.reload()  # the filters come back from the address
    page.wait_for_selector("#results li.no-data")
    assert page.is_checked("#filter-all") and page.input_value("#q") == "bank"


def result_ids(page: Any) -> list[str]:
    return [str(link.get_attribute("data-bank")) for link in page.locator("#results a").all()]


@pytest.mark.parametrize("width", [1366, 390])
def test_find_a_bank_filters_by_state_and_size_and_sorts_by_assets(
    stack: Stack, browser: Any, width: int
) -> None:
    context = new_context(browser, viewport={"width": width, "height": 844})
    try:
        researched = "9900004"  # of this test alone
        if stack.request("GET", f"/api/research/{researched}/report")[0] != 200:
            finished_report(stack, researched)
        page = context.new_page()
        watch = ConsoleWatch(page)
        page.goto(stack.url + "/")
        page.wait_for_selector("#results li")
        # Beside them, the banks researched last, from the Research list.
        page.wait_for_selector(f"#recent-banks a[href='?bank={researched}']")
        assert "Pacific Crest Trust Company" in page.inner_text("#recent-banks")
        # Nothing typed: a short list of the largest banks with figures, as the API ranks
        # them, not a page of 50.
        _, _, largest = stack.request("GET", "/api/banks?hasData=true&sort=assets")
        assert page.inner_text("#results-title") == "Largest banks"
        assert len(largest["banks"]) > 10
        assert result_ids(page) == [bank["idrssd"] for bank in largest["banks"][:10]]
        assets = [bank["totalAssets"] for bank in largest["banks"][:10]]
        assert assets == sorted(assets, reverse=True)
        assert page.inner_text("#search-count").startswith(
            f"The 10 largest of {largest['total']} banks with financial data."
        )
        assert page.locator("#results li.no-data").count() == 0
        assert page.is_hidden("#results-more")
        screenshot(page, f"find-a-bank-start-{width}")
        state = largest["banks"][0]["state"]
        page.select_option("#filter-state", state)
        page.wait_for_function(f"location.search === '?state={state}'")
        _, _, in_state = stack.request("GET", f"/api/banks?state={state}&hasData=true&sort=assets")
        page.wait_for_function(
            f"document.querySelectorAll('#results li').length === {len(in_state['banks'])}"
        )
        assert result_ids(page) == [bank["idrssd"] for bank in in_state["banks"]]
        assert all(
            f", {state} · " in text for text in page.locator("#results .where").all_inner_texts()
        )
        page.select_option("#filter-sort", "name")
        page.wait_for_function(f"location.search === '?state={state}&sort=name'")
        page.wait_for_function(
            "[...document.querySelectorAll('#results .name')].map(n => n.textContent).join('|')"
            " === "
            + repr("|".join(sorted((b["name"] for b in in_state["banks"]), key=str.casefold)))
        )
        page.select_option("#filter-sort", "assets")
        page.select_option("#filter-state", "")
        page.select_option("#filter-size", "under-1b")
        page.wait_for_function("location.search === '?size=under-1b&sort=assets'")
        _, _, small = stack.request("GET", "/api/banks?maxAssets=999999&hasData=true&sort=assets")
        # The list as the API gives it (the short list shown a moment before may be as long).
        page.wait_for_function(
            "[...document.querySelectorAll('#results a')].map(a => a.dataset.bank).join('|')"
            f" === {'|'.join(bank['idrssd'] for bank in small['banks'])!r}"
        )
        assert all(bank["totalAssets"] < 1_000_000 for bank in small["banks"])
        screenshot(page, f"find-a-bank-{width}")
        assert axe_violations(page) == [] and operator_text(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert watch.unexpected() == []
    finally:
        context.close()


def test_an_unknown_or_malformed_id_shows_one_message_and_the_search(
    stack: Stack, watched: Watched
) -> None:
    page = watched.page
    watched.console.expect("status of 404")
    watched.console.expect("status of 400")
    for bad, words in (("12345", "We know of no bank with that RSSD ID"),
                       ("not-a-bank", "That is not an RSSD ID")):  # fmt: skip
        page.goto(f"{stack.url}/?bank={bad}")
        page.wait_for_selector("#bank-missing:not([hidden])")
        assert page.inner_text("#bank-missing").startswith(words)
        assert page.is_visible("#q") and page.is_hidden("#bank")  # no empty bank panels
        assert page.locator("#report-panel:visible, #podcast-panel:visible").count() == 0
        assert page.evaluate("document.activeElement.id") == "bank-missing"
        watched.check(f"unknown-bank-{bad}")
    page.fill("#q", "granite")  # and the search finds the bank
    page.wait_for_function("document.querySelectorAll('#results li').length === 1")
    page.click("#results a")
    page.wait_for_selector("#bank-name:has-text('SYNTHETIC')")
    assert page.is_hidden("#bank-missing")


def test_without_javascript_the_page_says_what_it_needs(stack: Stack, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(stack.url + "/")
        assert "needs JavaScript" in page.inner_text("main")
    finally:
        context.close()


def test_a_given_api_key_is_sent_with_every_api_call(stack: Stack, watched: Watched) -> None:
    page = watched.page
    sent: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers.get("x-api-key"))
            # the sign-in settings are public: asked for before any credentials, with none
            if "/api/" in request.url and "/api/auth/config" not in request.url
            else None
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
    page.click("#start-podcast")  # nobody chosen: refused in the dialog
    assert page.inner_text("#dialog-error") == "Choose one to four experts."
    watched.check("podcast-dialog")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the action stays in view
    start = page.locator("#start-podcast").bounding_box()
    assert start is not None and start["y"] + start["height"] <= 844, start
    watched.check("podcast-dialog-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.check("#expert-credit")
    page.check("#expert-markets")
    page.click("#start-podcast")
    page.wait_for_function("!document.querySelector('#podcast-dialog').open")
    assert page.inner_text("#podcast-status")  # progress or "Podcast ready." on the page
    page.wait_for_selector("#podcast:not([hidden])", timeout=REPORT_TIMEOUT_MS)
    assert page.get_attribute("#transcript-box", "open") is None  # collapsed by default
    page.click("#transcript-box summary")
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
    # The transcript follows the audio: a line's time seeks there and marks it as spoken.
    third = page.locator("#transcript li").nth(2)
    start = float(str(third.get_attribute("data-start")))
    assert 0 < start < duration
    third.locator("button.time").click()
    page.wait_for_selector("#transcript li:nth-child(3).speaking")
    assert page.locator("#transcript li.speaking").count() == 1
    at = page.evaluate("document.querySelector('#podcast-audio').currentTime")
    assert at == pytest.approx(start, abs=1.0)
    page.evaluate("document.querySelector('#podcast-audio').pause()")
    watched.check("podcast-transcript-following")
    plays_and_the_highlight_advances(page)
    # The MP3 to take away: signed afresh at each click, saved as a file named for the bank.
    with page.expect_download() as download:
        page.click("#podcast-download")
    assert download.value.suggested_filename == "silver-state-bank-synthetic-podcast.mp3"
    opened = urllib.parse.unquote(download.value.url)
    assert ".mp3" in opened and job_of(stack, bank, "podcast")["jobId"] in opened
    assert "response-content-disposition=attachment" in opened
    mp3 = Path(download.value.path()).read_bytes()
    assert mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0  # an MPEG audio frame's sync word
    assert job_of(stack, bank, "podcast")["status"] == "completed"
    assert page.inner_text("#podcast-status").startswith("Podcast ready")
    watched.check("podcast-ready")
    page.locator("#podcast-panel").screenshot(path=str(screenshot_dir() / "podcast-player.png"))
    # Past podcasts: a second one, with another expert; the library lists both, newest
    # first, and the earlier one opens in the same player.
    _, _, first = stack.request("GET", f"/api/research/{bank}/podcast")
    status, _, _ = stack.request(
        "POST", f"/api/research/{bank}/podcast/generate-background", {"experts": ["capital"]}
    )
    assert status == 202
    assert wait_for_job(stack, bank, "podcast")["status"] == "completed"
    page.reload()
    page.wait_for_selector("#podcast-history:not([hidden])")
    assert page.inner_text("#podcast-history summary") == "All versions (2)"
    # The latest is shown (the player and the library load side by side: wait for both).
    page.wait_for_selector("#podcast-meta:has-text('Raj Mehta')")
    page.click("#podcast-history summary")
    versions = page.locator("#podcast-versions li")
    assert (
        "(latest)" in versions.nth(0).inner_text() and "Raj Mehta" in versions.nth(0).inner_text()
    )
    assert "with Dana Okafor and Aisha Rahman" in versions.nth(1).inner_text()
    earlier = f"#podcast-versions li[data-job='{first['jobId']}']"
    page.click(f"{earlier} button")
    page.wait_for_selector("#podcast-version-note:not([hidden])")
    meta = page.inner_text("#podcast-meta")
    assert clock(first["durationSeconds"]) in meta and "with Dana Okafor and Aisha Rahman" in meta
    assert first["jobId"] in urllib.parse.unquote(page.get_attribute("#podcast-audio", "src"))
    assert page.get_attribute(earlier, "aria-current") == "true"
    watched.check("podcast-earlier-version")


# Plays the podcast (muted) from a second before the second line and resolves once the
# highlight has moved to it by playing alone: no seek after playing began.
PLAY_INTO_THE_NEXT_LINE = """async () => {
    const audio = document.querySelector('#podcast-audio');
    const lines = [...document.querySelectorAll('#transcript li')];
    const next = Number(lines[1].dataset.start);
    audio.muted = true;
    audio.currentTime = Math.max(0, next - 1);
    await new Promise((resolve) => audio.addEventListener('seeked', resolve, { once: true }));
    const before = lines.findIndex((line) => line.classList.contains('speaking'));
    let seeks = 0;
    audio.addEventListener('seeking', () => { seeks += 1; });
    await audio.play();
    await new Promise((resolve) => {
        const check = () => lines[1].classList.contains('speaking') ? resolve() : null;
        audio.addEventListener('timeupdate', check);
        check();
    });
    audio.pause();
    return { before, seeks, at: audio.currentTime, next,
             speaking: document.querySelectorAll('#transcript li.speaking').length };
}"""


def plays_and_the_highlight_advances(page: Any) -> None:
    """The transcript follows real playback: the first line is marked while it plays, then
    the second once the audio reaches it."""
    played = page.evaluate(PLAY_INTO_THE_NEXT_LINE)
    assert played["before"] == 0 and played["seeks"] == 0, played
    assert played["at"] >= played["next"] - 0.05 and played["speaking"] == 1, played
    assert page.get_attribute("#transcript li:nth-child(2)", "aria-current") == "true"


EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message></Error>"
)


class Expiry:
    """S3 as it answers signed links that have expired (403 AccessDenied), for the links
    the test says have expired: the page cannot tell this from a real expiry."""

    def __init__(self, page: Any) -> None:
        self.expired: set[str] = set()
        self.refused: list[str] = []
        page.route("**/*.mp3?*", self._answer)

    @staticmethod
    def signature(url: str) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]

    def expire(self, page: Any, url: str) -> None:
        """Expire ``url``, once a second has passed since it was signed: links signed within
        one second are the same link (SigV4 signs the time to the second), and the renewed
        one must be new."""
        signed = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Date"][0]
        at = calendar.timegm(time.strptime(signed, "%Y%m%dT%H%M%SZ"))
        page.wait_for_function(f"Date.now() >= {(at + 1) * 1000}")
        self.expired.add(self.signature(url))

    def _answer(self, route: Any) -> None:
        if self.signature(route.request.url) in self.expired:
            self.refused.append(route.request.url)
            route.fulfill(status=403, content_type="application/xml", body=EXPIRED)
        else:
            route.continue_()


AUDIO_SRC = "document.querySelector('#podcast-audio').src"
LOADED = "document.querySelector('#podcast-audio').readyState >= 2"


def test_the_signed_links_are_renewed_each_time_they_expire(stack: Stack, watched: Watched) -> None:
    """One visit, two expiries of the playing link and two of the download link: each time
    the page asks for a fresh link and carries on, never showing an error. The podcasts'
    bank (every sample bank has its test): its podcasts, or one made here when run alone."""
    page, bank = watched.page, "9900011"
    if stack.request("GET", f"/api/research/{bank}/podcast")[0] != 200:
        finished_report(stack, bank)
        status, _, _ = stack.request(
            "POST", f"/api/research/{bank}/podcast/generate-background", {"experts": ["credit"]}
        )
        assert status == 202 and wait_for_job(stack, bank, "podcast")["status"] == "completed"
    watched.console.expect("status of 403")  # the browser logs each refused link
    expiry = Expiry(page)
    reads: list[str] = []
    version = re.compile(r"/api/research/\d+/podcasts/[0-9a-f-]+$")  # a renewal's read
    page.on("request", lambda r: reads.append(r.url) if version.search(r.url) else None)
    open_bank(page, stack, bank)
    page.wait_for_function(LOADED)
    for time_ in (1, 2):
        held = page.evaluate(AUDIO_SRC)
        expiry.expire(page, held)
        page.evaluate("document.querySelector('#podcast-audio').load()")  # asks for it again
        page.wait_for_function(f"{AUDIO_SRC} !== {held!r}")
        page.wait_for_function(LOADED)
        assert len(expiry.refused) == time_ and len(reads) == time_, (expiry.refused, reads)
    played = page.evaluate(
        "async () => { const a = document.querySelector('#podcast-audio'); a.muted = true;"
        " await a.play(); a.pause(); return a.error === null; }"
    )
    assert played and not page.inner_text("#podcast-status").startswith("The podcast's audio")
    for _ in (1, 2):
        held = str(page.get_attribute("#podcast-download", "href"))
        expiry.expire(page, held)
        with page.expect_download() as download:
            page.click("#podcast-download")
        assert Expiry.signature(download.value.url) not in expiry.expired
        assert download.value.suggested_filename.endswith("-podcast.mp3")
        assert page.get_attribute("#podcast-download", "href") != held
    assert len(expiry.refused) == 2  # the expired download links were never used
    watched.check("podcast-links-renewed")


def clock(seconds: float) -> str:
    """A podcast's length as the page writes it: ``2 min 05 s``."""
    minutes, rest = divmod(int(seconds + 0.5), 60)  # as JavaScript's Math.round
    return f"{minutes} min {rest:02d} s"


def test_cancel_stops_an_active_job(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900013"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_selector("#cancel-report:not([hidden])")
    page.click("#cancel-report")
    page.wait_for_selector("#report-outcome.cancelled:not([hidden])")
    assert page.inner_text("#report-error").startswith("The report was cancelled on ")
    assert page.is_hidden("#report-progress")
    # One way on: the outcome's button; the panel's own Generate gives way to it.
    assert page.inner_text("#retry-report") == "Generate the report again"
    assert page.is_hidden("#generate-report")
    job = job_of(stack, bank)
    # A cancelled job is `failed` with errorCode "cancelled" (AIP-151's CANCELLED).
    assert job["status"] == "failed" and job["errorCode"] == "cancelled"
    watched.check("report-cancelled")
    page.reload()
    page.wait_for_selector("#report-outcome.cancelled:not([hidden])")
    assert page.is_visible("#retry-report")


def test_past_report_versions_open_and_compare(
    stack: Stack, watched: Watched, tmp_path: Path
) -> None:
    page, bank = watched.page, "9900016"
    older = finished_report(stack, bank)
    # The bank's next quarter arrives (an import, as `make import` does), then a new report.
    import_quarter(stack, next_quarter_of(bank, tmp_path / "sample"))
    assert stack.request("GET", f"/api/banks/{bank}")[2]["latestQuarter"] == NEXT_QUARTER
    newer = finished_report(stack, bank)
    before, after = (
        stack.request("GET", f"/api/research/{bank}/reports/{job['jobId']}")[2]
        for job in (older, newer)
    )
    assert (before["asOf"], after["asOf"]) == ("20241231", NEXT_QUARTER)
    assert before["keyFigures"]["totalAssets"] != after["keyFigures"]["totalAssets"]
    open_bank(page, stack, bank)
    wait_for_report(page)
    page.wait_for_selector("#report-history:not([hidden])")
    assert page.inner_text("#report-history summary") == "All versions (2)"
    # Regenerate would start from the same figures: the page says so beside it.
    page.wait_for_selector("#regenerate-note:not([hidden])")
    assert "has not changed since the latest report" in page.inner_text("#regenerate-note")
    assert "Q1 2025" in page.inner_text("#regenerate-note")
    assert "Q1 2025" in page.inner_text("#report-meta")
    page.click("#report-history summary")
    versions = page.locator("#report-versions li")
    assert [versions.nth(i).get_attribute("data-job") for i in (0, 1)] == [
        newer["jobId"],
        older["jobId"],
    ]
    assert "(latest)" in versions.nth(0).inner_text() and "Q1 2025" in versions.nth(0).inner_text()
    assert "Q4 2024" in versions.nth(1).inner_text()
    watched.check("report-versions")
    versions.nth(1).get_by_role("button", name="Open").click()
    page.wait_for_selector("#report-version-note:not([hidden])")
    assert "Q4 2024" in page.inner_text("#report-meta")
    assert page.evaluate("document.activeElement.id") == "report-title"
    assert versions.nth(1).get_attribute("aria-current") == "true"
    watched.check("report-earlier-version")
    page.click("#report-latest")
    page.wait_for_selector("#report-version-note", state="hidden")
    assert "Q1 2025" in page.inner_text("#report-meta")
    assert page.is_disabled("#compare-reports")
    for index in (0, 1):
        versions.nth(index).locator("input.compare-pick").check()
    page.click("#compare-reports")
    page.wait_for_selector("#compare:not([hidden])")
    # A summary first, and only what changed (the default): the same rows are folded away.
    summary = page.inner_text("#compare-summary")
    said = (
        r"\d+ figures? changed, \d+ sections? rewritten: data Q4 2024 \u2192 Q1 2025, same writer\."
    )
    assert re.fullmatch(said, summary), summary
    assert page.is_checked("#compare-changes-only")
    assert page.locator("#compare-figures tr.same:visible").count() == 0
    assert page.locator("#compare-figures tr.changed:visible").count() >= 2
    watched.check("reports-compared-changes-only")
    page.uncheck("#compare-changes-only")  # everything, side by side
    rows = {
        row.locator("th").inner_text(): row
        for row in page.locator("#compare-figures tbody tr").all()
    }
    for label, row in rows.items():  # marked exactly where the two reports differ
        earlier, later, verdict = (cell.inner_text() for cell in row.locator("td").all())
        changed = earlier != later
        assert verdict == ("Changed" if changed else "Same"), label
        assert (row.get_attribute("class") == "changed") is changed, label
        assert (row.get_attribute("class") == "same") is not changed, label
        assert row.locator("mark").count() == int(changed), label
    earlier, later = (cell.inner_text() for cell in rows["Data as of"].locator("td").all()[:2])
    assert (earlier, later) == ("Q4 2024", "Q1 2025")  # older on the left
    for changed in ("Data as of", "Total assets"):
        assert rows[changed].get_attribute("class") == "changed", changed
    assets = [f"${report['keyFigures']['totalAssets'] * 1000:,}" for report in (before, after)]
    assert [cell.inner_text() for cell in rows["Total assets"].locator("td").all()[:2]] == assets
    assert rows["Written"].get_attribute("class") == "same"  # the same writer both times
    assert page.locator("#compare-sections .compare-row").count() == len(after["sections"])
    watched.check("reports-compared")


def test_the_overview_lists_a_running_job_first_and_links_to_its_bank(
    stack: Stack, watched: Watched
) -> None:
    page, bank = watched.page, "9900017"
    # Outcomes of two other banks: a cancellation, and a failure for a real reason.
    cancelled_bank, failed_bank = "9900020", "9900021"
    stack.request("POST", f"/api/research/{cancelled_bank}/generate-background")
    assert stack.request("DELETE", f"/api/research/{cancelled_bank}/job?type=report")[0] == 200
    banks_table(stack).update_item(
        Key={"pk": f"BANK#{failed_bank}", "sk": "PROFILE"},
        UpdateExpression="REMOVE #view",
        ExpressionAttributeNames={"#view": "view"},
    )
    stack.request("POST", f"/api/research/{failed_bank}/generate-background")
    assert wait_for_job(stack, failed_bank)["errorCode"] == "no_data"
    status, _, started = stack.request("POST", f"/api/research/{bank}/generate-background")
    assert status == 202
    # The page reads a window of 200 a refresh; two make "Show more" needed without 200
    # jobs (three at least exist). Every answer is the stack's own, cursor included.
    asked: list[str] = []
    answers: list[dict[str, Any]] = []

    def smaller_pages(route: Any) -> None:
        asked.append(route.request.url)
        response = route.fetch(url=route.request.url.replace("limit=200", "limit=2"))
        answers.append(response.json())
        route.fulfill(response=response)

    page.route(re.compile(r"/api/research/recent\?"), smaller_pages)
    page.goto(f"{stack.url}/?view=research")
    page.wait_for_selector("#recent tr")
    rows = page.locator("#recent tr")
    assert rows.count() == 2 and answers[0]["nextCursor"]
    first = rows.nth(0)
    assert first.get_attribute("data-job") == started["job"]["jobId"]
    assert answers[0]["jobs"][0]["bankName"] in first.inner_text() and "%" in first.inner_text()
    assert "you" in first.inner_text()  # who started it (locally, everyone is "you")
    assert page.get_attribute("#nav-research", "aria-current") == "page"
    watched.check("overview")
    with page.expect_response(re.compile(r"/api/research/recent\?.*cursor=")):
        page.click("#recent-more")
    listed = {job["jobId"]: job for answer in answers for job in answer["jobs"]}
    page.wait_for_function(f"document.querySelectorAll('#recent tr').length === {len(listed)}")
    more = urllib.parse.parse_qs(urllib.parse.urlsplit(asked[-1]).query)
    assert more["cursor"] == [answers[0]["nextCursor"]] and more["limit"] == ["200"]
    # The newest outcomes follow the work in progress, each in words.
    shown = {
        job["idrssd"]: rows.nth(index).inner_text() for index, job in enumerate(listed.values())
    }
    assert "No financial data is loaded" in shown[failed_bank]
    assert "Cancelled" in shown[cancelled_bank]
    first.get_by_role("link").click()
    page.wait_for_selector(f"#bank-name:has-text('{answers[0]['jobs'][0]['bankName']}')")
    assert page.evaluate("location.search") == f"?bank={bank}"
    page.wait_for_selector("#report-progress:not([hidden]), #report:not([hidden])")


def counts_of(page: Any) -> dict[str, int]:
    text = page.inner_text("#overview-counts").split("\n")
    return {label: int(value) for label, value in zip(text[::2], text[1::2], strict=True)}


def test_the_overview_counts_filters_and_moves_a_running_bar_without_a_reload(
    stack: Stack, watched: Watched, browser: Any
) -> None:
    page, running, done = watched.page, "9900023", "9900024"
    finished_report(stack, done)
    page.goto(f"{stack.url}/?view=research")
    page.wait_for_selector(f"#recent tr:has(a[data-bank='{done}'])")
    before = counts_of(page)
    polls: list[str] = []
    page.on(
        "request", lambda request: polls.append(request.url) if "recent?" in request.url else None
    )
    status, _, started = stack.request("POST", f"/api/research/{running}/generate-background")
    assert status == 202
    row = f"#recent tr[data-job='{started['job']['jobId']}']"
    page.wait_for_selector(row, timeout=10_000)  # it appears by itself: no reload
    page.wait_for_function(f'document.querySelector("{row} progress").value > 0')
    seen = [progress_in(page, row)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(set(seen)) < 3:
        time.sleep(0.5)
        seen.append(progress_in(page, row))
    assert len(set(seen)) >= 3 and seen == sorted(seen), seen  # the same bar, moving
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    after = counts_of(page)
    assert after["In progress"] >= 1 and after["Reports"] == before["Reports"] + 1
    # One request per refresh (one Query on the server), every 3 s, not one per row.
    assert 3 <= len(polls) <= 10, polls
    watched.check("overview-live")
    phone = new_context(browser, viewport={"width": 390, "height": 844})
    try:  # the same dashboard on a phone: each row a card, nothing wider than the screen
        small = phone.new_page()
        small.goto(f"{stack.url}/?view=research")
        small.wait_for_selector(row)
        assert small.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(small, "overview-live-phone")
        assert axe_violations(small) == [] and operator_text(small) == []
    finally:
        phone.close()
    page.select_option("#filter-status", "completed")
    # Only completed rows (the running one too, should it have finished meanwhile).
    page.wait_for_function(
        "[...document.querySelectorAll('#recent tr')].every(tr => tr.matches('.completed'))"
    )
    assert page.locator(f"#recent tr:has(a[data-bank='{done}'])").count() == 1
    assert all("Completed" in text for text in page.locator("#recent tr").all_inner_texts())
    assert counts_of(page)["Reports"] == after["Reports"]  # counts stay those of everything
    page.select_option("#filter-status", "")
    page.fill("#filter-bank", running)
    page.wait_for_function("document.querySelectorAll('#recent tr').length === 1")
    assert page.locator(row).count() == 1
    page.fill("#filter-bank", "")
    # Cancel and try again, from the row: a job just started (a report takes ~10 s).
    other = "9900001"
    status, _, fresh = stack.request("POST", f"/api/research/{other}/generate-background")
    assert status == 202
    page.check("#filter-mine")
    mine = f"#recent tr[data-job='{fresh['job']['jobId']}']"
    page.locator(f"{mine} button", has_text="Cancel").click(timeout=10_000)
    page.wait_for_selector(f"{mine}.cancelled", timeout=10_000)
    assert job_of(stack, other)["errorCode"] == "cancelled"
    page.locator(f"{mine} button", has_text="Try again").click()
    page.wait_for_function(
        f"[...document.querySelectorAll('#recent tr')].some(tr => tr.querySelector("
        f"\"a[data-bank='{other}']\") && tr.dataset.job !== '{fresh['job']['jobId']}')",
        timeout=10_000,
    )
    assert job_of(stack, other)["jobId"] != fresh["job"]["jobId"]


def progress_in(page: Any, row: str) -> int:
    return int(page.eval_on_selector(f"{row} progress", "bar => bar.value"))


def test_a_job_of_yours_that_finishes_while_you_look_elsewhere_says_so_in_every_tab(
    stack: Stack, context: Any
) -> None:
    bank, elsewhere = "9900025", "9900002"
    first, second = context.new_page(), context.new_page()
    watches = [ConsoleWatch(first), ConsoleWatch(second)]
    open_bank(first, stack, bank)
    first.wait_for_selector("#podcast-reason:not([hidden])")
    first.click("#generate-report")
    first.wait_for_selector("#report-progress:not([hidden])")
    name = first.inner_text("#bank-name")
    open_bank(first, stack, elsewhere)  # the tab that started it moves on
    second.goto(f"{stack.url}/?view=research")  # another tab is on the overview
    second.wait_for_selector("#recent tr")
    for tab in (first, second):
        tab.wait_for_selector(f"#notices .finished[data-bank='{bank}']", timeout=REPORT_TIMEOUT_MS)
        notice = tab.inner_text(f"#notices .finished[data-bank='{bank}']")
        assert notice.startswith(f"Your report for {name} is ready.")
        assert tab.title().startswith(f"Report ready: {name} · ")
    screenshot(first, "finished-notice")
    assert axe_violations(first) == [] and operator_text(first) == []
    first.click(f"#notices .finished[data-bank='{bank}'] a")  # to the report
    first.wait_for_selector("#report:not([hidden])")
    assert first.evaluate("location.search") == f"?bank={bank}"
    assert not first.title().startswith("Report ready")
    second.click(f"#notices .finished[data-bank='{bank}'] button")  # dismissed
    assert second.title() == "Research · Bank Research"
    assert [watch.unexpected() for watch in watches] == [[], []]


def test_the_page_polls_through_a_busy_service(stack: Stack, watched: Watched) -> None:
    page, bank = watched.page, "9900018"
    refused: list[str] = []

    def busy_then_through(route: Any) -> None:
        # Three answers of a throttled service during the job, then the real ones.
        if len(refused) < 3 and page.is_visible("#report-progress"):
            refused.append(route.request.url)
            fulfil(route, 503, {"error": "Busy.", "code": "busy"}, {"Retry-After": "1"})
        else:
            route.continue_()

    watched.console.expect("status of 503")
    open_bank(page, stack, bank)
    page.route(f"**/api/research/{bank}/job-status?type=report", busy_then_through)
    page.click("#generate-report")
    page.wait_for_selector("#report-status:has-text('busy')")
    assert page.is_hidden("#report-outcome")
    wait_for_report(page)
    assert len(refused) == 3 and page.is_hidden("#report-outcome")
    assert page.inner_text("#report-status").startswith("Report ready")


def test_while_the_service_starts_the_page_says_so_and_carries_on(
    stack: Stack, watched: Watched
) -> None:
    """What the local stack answers every /api route until it is ready (and a deployment's
    gateway might): 503 starting. The page says "Starting…", asks again, and goes on."""
    page = watched.page
    refused: list[str] = []

    def starting_then_through(route: Any) -> None:
        if len(refused) < 3:
            refused.append(route.request.url)
            body = {"ready": False, "code": "starting", "error": "The service is starting."}
            fulfil(route, 503, body, {"Retry-After": "1"})
        else:
            route.continue_()

    watched.console.expect("status of 503")
    page.route(re.compile(r"/api/banks\?"), starting_then_through)
    page.goto(f"{stack.url}/?q=granite")
    page.wait_for_selector("#starting:not([hidden])")
    assert page.inner_text("#starting").startswith("Starting…")
    watched.check("starting")
    page.wait_for_selector("#results li", timeout=15_000)
    assert page.is_hidden("#starting") and len(refused) == 3
    assert page.is_hidden("#search-error")


def test_the_page_works_under_its_content_security_policy(stack: Stack, browser: Any) -> None:
    """Every view and action in a context that enforces the policy: no violation, no error.

    Only waits that run no script of the test's own (the policy forbids eval)."""
    context = enforcing_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = ConsoleWatch(page)
        bank = "9900019"
        for _ in range(2):  # two versions, to compare
            finished_report(stack, bank)
        page.goto(f"{stack.url}/?q=granite")
        page.wait_for_selector("#results li")
        page.click("#results a")
        page.wait_for_selector("#bank-name:has-text('SYNTHETIC')")
        page.goto(f"{stack.url}/?bank={bank}")
        page.wait_for_selector("#charts svg")
        page.locator("#charts .plot").first.hover()
        page.locator("#charts .plot").nth(1).focus()
        page.keyboard.press("ArrowLeft")
        page.click("#report-history summary")
        for box in page.locator("#report-versions input.compare-pick").all():
            box.check()
        page.click("#compare-reports")
        page.wait_for_selector("#compare:not([hidden])")
        page.click("#generate-podcast")
        page.wait_for_selector("#podcast-dialog[open]")
        page.click("#close-dialog")
        page.click("#generate-report")
        page.wait_for_selector("#report-progress:not([hidden])")
        page.click("#nav-research")
        page.wait_for_selector("#recent tr")
        page.goto(f"{stack.url}/?bank=852218")
        page.wait_for_selector("#no-data:not([hidden])")
        screenshot(page, "under-csp")
        assert watch.unexpected() == [], watch.errors
        assert not [error for error in watch.errors if "CSP violation" in error]
        # The watch does see a violation: an inline style, which the policy refuses.
        with page.expect_console_message(lambda message: "CSP violation" in message.text):
            page.evaluate("() => document.body.setAttribute('style', 'color: red')")
        assert [error for error in watch.errors if "CSP violation" in error] != []
    finally:
        context.close()
