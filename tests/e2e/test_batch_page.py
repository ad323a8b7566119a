"""A batch on the Research overview, in headless Chromium against the local stack: a batch
of two banks started through the API shows its progress (a bar of banks done, counts, pace)
and is seen to finish on the page, at 1366 and at 390 pixels, with no serious axe finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import (
    ConsoleWatch,
    axe_violations,
    chromium,
    new_context,
    operator_text,
    screenshot,
)
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.page_support import REPORT_TIMEOUT_MS, banks_table

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("batch-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def two_banks(stack: Stack, first: int) -> list[str]:
    """Two banks with figures, of this test alone (a bank done before would be skipped)."""
    status, _, found = stack.request("GET", "/api/banks?hasData=true&sort=assets")
    assert status == 200, found
    return [bank["idrssd"] for bank in found["banks"][first : first + 2]]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_small_batch_is_seen_to_finish_on_the_overview(
    stack: Stack, browser: Any, width: int
) -> None:
    status, _, started = stack.request(
        "POST",
        "/api/batches",
        {"type": "report", "banks": two_banks(stack, 0 if width > 1000 else 2)},
    )
    assert status == 202, started
    batch_id = started["batch"]["batchId"]
    context = new_context(browser, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        watch = ConsoleWatch(page)
        page.goto(f"{stack.url}/?view=research")
        item = f"#batch-list li[data-batch='{batch_id}']"
        page.wait_for_selector(item)
        text = page.inner_text(item)
        assert "Reports for 2 banks" in text and "of 2 banks done" in text
        assert page.locator(f"{item} progress").get_attribute("max") == "2"
        # While it runs, it can be cancelled (everyone may, where nobody signs in).
        if "In progress" in text:
            assert page.locator(f"{item} button", has_text="Cancel").count() == 1
        page.wait_for_selector(f"{item}.completed", timeout=2 * REPORT_TIMEOUT_MS)
        done = page.inner_text(item)
        assert "Finished: 2 of 2 banks done" in done
        assert "banks a minute" in done and "left" not in done
        assert page.locator(f"{item} progress").get_attribute("value") == "2"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"batch-finished-{width}")
        assert operator_text(page) == [] and axe_violations(page) == []
        assert watch.unexpected() == [], watch.errors
    finally:
        context.close()


def test_a_failed_bank_shows_its_sentence_and_the_batch_offers_a_retry(
    stack: Stack, browser: Any
) -> None:
    good, broken = two_banks(stack, 4)
    _, _, found = stack.request("GET", f"/api/banks/{broken}")
    name = found["name"]
    banks_table(stack).update_item(  # its figures gone: its report fails for a real reason
        Key={"pk": f"BANK#{broken}", "sk": "PROFILE"},
        UpdateExpression="REMOVE #view",
        ExpressionAttributeNames={"#view": "view"},
    )
    body = {"type": "report", "banks": [good, broken]}
    status, _, started = stack.request("POST", "/api/batches", body)
    assert status == 202, started
    context = new_context(browser, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        watch = ConsoleWatch(page)
        page.goto(f"{stack.url}/?view=research")
        item = f"#batch-list li[data-batch='{started['batch']['batchId']}']"
        page.wait_for_selector(f"{item}.completed", timeout=2 * REPORT_TIMEOUT_MS)
        page.wait_for_selector(f"{item} .batch-failures")
        page.click(f"{item} .batch-failures summary")
        failures = page.inner_text(f"{item} .batch-failures")
        assert f"{name}:" in failures and "No financial data is loaded" in failures
        assert "Finished, with failures: 2 of 2 banks done" in page.inner_text(item)
        assert page.inner_text(f"{item} .batch-started").startswith("Started ")
        screenshot(page, "batch-failed-bank")
        assert operator_text(page) == [] and axe_violations(page) == []
        with page.expect_response(lambda response: response.url.endswith("/retry")) as retried:
            page.click(f"{item} button:has-text('Retry the failed')")
        assert retried.value.status == 202  # the failed bank queued again, and only it
        page.wait_for_selector(f"{item}.running, {item}.completed")
        assert page.is_hidden("#batches-error")
        assert watch.unexpected() == [], watch.errors
    finally:
        context.close()
