"""A job's life as the page shows it, with real faults injected through the local Lambda's
fault settings (``LOCAL_LAMBDA_FAULTS``): the words of a run that failed on every try, a
run killed mid-job that reads *stalled* within 1.5 heartbeats and then recovers on its
second attempt, and a job left queued that shows how long it has waited.

One stack for the module, with Lambda's times scaled by 0.05 (retries 3 s and 6 s after a
failure, a 45 s function timeout), a 2 s heartbeat and a 6 s lease, a report paced to 8 s;
faults for some banks only:

- 9900005: the report worker raises on every attempt;
- 9900006: the first attempt's process is killed (SIGKILL) 3 s into its run;
- 9900007: the first delivery hangs before it claims its job (the job stays queued).

Screenshots at desktop (1366 px) and phone (390 px) widths go to test-output/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib.jobs import failures
from tests.e2e.browser import ConsoleWatch, axe_violations, chromium, new_context, operator_text
from tests.e2e.browser import screenshot as save
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.page_support import job_of, open_bank

pytestmark = pytest.mark.e2e
HEARTBEAT, LEASE = 2, 6
SETTINGS = {
    "LOCAL_LAMBDA_TIME_SCALE": "0.05",
    "LOCAL_LAMBDA_FAULTS": (
        "raise idrssd=9900005; kill@1 idrssd=9900006 after=3; hang@1 idrssd=9900007"
    ),
    "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT),
    "JOB_LEASE_SECONDS": str(LEASE),
    "REPORT_PACE_SECONDS": "8",
}
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("life-stack"), env=SETTINGS) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = new_context(browser, viewport={"width": WIDTHS["desktop"], "height": 900})
    opened = context.new_page()
    watch = ConsoleWatch(opened)
    yield opened
    context.close()
    assert watch.unexpected() == [], watch.errors


def check(page: Any, name: str) -> None:
    """A state of the page, as an analyst sees it: a screenshot, no operator text, no
    serious accessibility finding, nothing wider than the screen."""
    save(page, name)
    assert operator_text(page) == []
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def on_a_phone(browser: Any, stack: Stack, bank: str, name: str, ready: str) -> None:
    """The same bank's page at 390 px, once ``ready`` (a script condition) holds."""
    context = new_context(browser, viewport={"width": WIDTHS["phone"], "height": 844})
    try:
        phone = context.new_page()
        watch = ConsoleWatch(phone)
        open_bank(phone, stack, bank)
        phone.wait_for_function(ready, timeout=20_000)
        check(phone, f"{name}-phone")
        assert watch.unexpected() == [], watch.errors
    finally:
        context.close()


def phase(page: Any) -> str:
    return str(page.get_attribute("#report-progress", "data-phase") or "")


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_run_that_failed_on_every_try_says_so_not_that_the_service_was_busy(
    stack: Stack, page: Any, browser: Any
) -> None:
    bank = "9900005"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_selector("#report-outcome:not([hidden])", timeout=60_000)
    job = job_of(stack, bank)
    assert job["errorCode"] == "retries_exhausted", job
    words = page.inner_text("#report-error")
    expected = failures.sentence("retries_exhausted", "report")
    assert words.startswith(expected) and "This happened on" in words
    assert "busy" not in words
    assert job["error"] == expected  # the API and the CLI say the same
    assert page.is_visible("#retry-report")
    check(page, "report-failed-every-try")
    outcome = "!document.querySelector('#report-outcome').hidden"
    on_a_phone(browser, stack, bank, "report-failed-every-try", outcome)


def test_a_killed_run_shows_stalled_within_one_and_a_half_heartbeats_then_recovers(
    stack: Stack, page: Any, browser: Any
) -> None:
    bank = "9900006"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_function(
        "document.querySelector('#report-progress').dataset.phase === 'working'"
        " && document.querySelector('#report-bar').value > 0",
        timeout=30_000,
    )
    # The process is killed 3 s into its run; from its last word, the page counts.
    page.wait_for_function(
        "document.querySelector('#report-progress').dataset.phase === 'stalled'", timeout=20_000
    )
    shown_at = page.evaluate("Date.now()") / 1000
    last_beat = epoch(job_of(stack, bank)["lastBeatAt"])
    # Stalled after 1.5 heartbeats of silence, seen within the page's one-second redraw.
    assert 1.5 * HEARTBEAT <= shown_at - last_beat <= 1.5 * HEARTBEAT + 1.5, shown_at - last_beat
    status = page.inner_text("#report-status")
    assert status.startswith("No word from the writer for ")
    assert "it will be retried at " in status and status.endswith("if it does not recover.")
    assert page.is_visible("#report-progress") and page.is_hidden("#report-outcome")
    check(page, "report-stalled")
    silent = (
        "['stalled', 'retrying'].includes(document.querySelector('#report-progress').dataset.phase)"
    )
    on_a_phone(browser, stack, bank, "report-stalled", silent)
    # Then the lease runs out, Lambda's retry takes over: attempt 2 of 3, and the report.
    page.wait_for_selector("#report-facts:has-text('attempt 2 of 3')", timeout=30_000)
    assert phase(page) == "working"
    page.wait_for_selector("#report:not([hidden])", timeout=60_000)
    done = job_of(stack, bank)
    assert done["status"] == "completed" and done["attempt"] == 2


def test_a_queued_job_shows_how_long_it_has_waited_with_an_indeterminate_bar(
    stack: Stack, page: Any, browser: Any
) -> None:
    bank = "9900007"
    open_bank(page, stack, bank)
    page.click("#generate-report")
    page.wait_for_function(
        "document.querySelector('#report-progress').dataset.phase === 'queued'"
        " && /waiting [3-9] s/.test(document.querySelector('#report-facts').textContent)",
        timeout=20_000,
    )
    assert job_of(stack, bank)["status"] == "pending"
    assert page.get_attribute("#report-bar", "value") is None  # indeterminate: nothing to measure
    assert page.inner_text("#report-status") == "Waiting to start: the report is queued."
    first = page.inner_text("#report-facts")
    time.sleep(2.2)
    assert page.inner_text("#report-facts") != first  # counting up between polls
    check(page, "report-queued")
    queued = "document.querySelector('#report-progress').dataset.phase === 'queued'"
    on_a_phone(browser, stack, bank, "report-queued", queued)
