"""Real banks on the page, as the call reports give them: a stack with no bank data
(``BANK_DATA=none``) into which a cut of the shipped real quarters is imported as a person
would (``make import``), then read in Chromium at desktop and phone widths.

What an analyst must be able to trust: where the figures come from and of which quarter;
a bank that stopped filing says so and shows its last report; an institution whose RSSD ID
changed links both ways; an item a bank did not report says "Not reported", a figure the
data cannot give says "Not available", never 0. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import ConsoleWatch, axe_violations, chromium, new_context, operator_text
from tests.e2e.browser import screenshot as save
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.page_support import import_quarter
from tests.real_files import FLAGSTAR_FSB, FLAGSTAR_NA, JPMORGAN, SILICON_VALLEY, cut

pytestmark = pytest.mark.e2e
CBLR_BANK = "242"  # FFIEC 051 under the community bank leverage framework: no CET1 ratio
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("real-page")
    with local_stack(folder, env={"BANK_DATA": "none"}) as running:
        data = cut(folder / "cut", [JPMORGAN, SILICON_VALLEY, FLAGSTAR_FSB, FLAGSTAR_NA, CBLR_BANK])
        summary = import_quarter(running, data)
        assert "Imported 5 banks over 8 quarters" in summary, summary
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture(params=sorted(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    width = WIDTHS[request.param]
    context = new_context(browser, viewport={"width": width, "height": 844})
    opened = context.new_page()
    opened.width_name = request.param  # for the screenshots' names
    watch = ConsoleWatch(opened)
    yield opened
    context.close()
    assert watch.unexpected() == [], watch.errors


README_PICTURE = Path(__file__).resolve().parents[2] / "docs" / "images" / "bank-page.png"


def open_real_bank(page: Any, stack: Stack, idrssd: str) -> None:
    page.goto(f"{stack.url}/?bank={idrssd}")
    page.wait_for_selector("#key-figures dd")


def notes(page: Any) -> str:
    return str(page.inner_text("#bank-notes"))


def tile(page: Any, label: str) -> str:
    return str(page.inner_text(f"#key-figures div:has(dt:text-is('{label}')) dd"))


def check(page: Any, name: str) -> Path:
    path = save(page, f"real-{name}-{page.width_name}")
    assert operator_text(page) == []
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    return path


def test_a_real_bank_says_where_its_figures_come_from(stack: Stack, page: Any) -> None:
    open_real_bank(page, stack, JPMORGAN)
    assert tile(page, "Total assets") == "$3.51 trillion"  # RCFD2170 at 2024-06-30
    said = notes(page)
    assert "call report for the quarter ending 30 June 2024" in said
    assert "FFIEC Central Data Repository" in said and "file produced 15 September 2024" in said
    assert page.is_hidden("#synthetic-banner") and page.is_hidden("#bank-stopped")
    check(page, "jpmorgan")
    if page.width_name == "desktop":  # the README's picture of the product, kept current here
        README_PICTURE.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(README_PICTURE))


def test_a_bank_that_stopped_filing_says_when_and_shows_its_last_report(
    stack: Stack, page: Any
) -> None:
    open_real_bank(page, stack, SILICON_VALLEY)
    stopped = page.inner_text("#bank-stopped")
    assert "last call report for the quarter ending 31 December 2022" in stopped
    assert "newest quarter loaded is 30 June 2024" in stopped
    assert tile(page, "Total assets") == "$209.0 billion"  # its last report, not "no data"
    assert page.is_hidden("#no-data")
    check(page, "silicon-valley")


def test_an_rssd_change_links_both_ways(stack: Stack, page: Any) -> None:
    open_real_bank(page, stack, FLAGSTAR_FSB)
    assert "After 30 September 2022 its FDIC certificate was filed under" in notes(page)
    page.click(f"#bank-notes a[href='?bank={FLAGSTAR_NA}']")
    page.wait_for_selector("#bank-name:has-text('FLAGSTAR BANK, NATIONAL ASSOCIATION')")
    said = notes(page)
    before = f"FLAGSTAR BANK, FSB (RSSD {FLAGSTAR_FSB})"
    assert f"Until 30 September 2022 its FDIC certificate was filed under {before}" in said
    assert "Formerly named NEW YORK COMMUNITY BANK." in said
    check(page, "flagstar")


def test_not_reported_is_not_zero_and_a_gap_is_not_available(stack: Stack, page: Any) -> None:
    open_real_bank(page, stack, CBLR_BANK)
    assert tile(page, "CET1 ratio") == "Not reported"
    assert "Income is not available for Q2 2022 and Q2 2023" in notes(page)
    check(page, "community-bank")
