"""Real banks on the page, as the call reports give them: a stack with no bank data
(``BANK_DATA=none``) into which a cut of the shipped real quarters is imported as a person
would (``make import``), then read in Chromium at desktop and phone widths.

What an analyst must be able to trust: where the figures come from and of which quarter;
a bank that stopped filing says so and shows its last report; an institution whose RSSD ID
changed links both ways; an item a bank did not report says "Not reported", a figure the
data cannot give says "Not available", never 0. Screenshots go to test-output/.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    OUTPUT,
    ConsoleWatch,
    axe_violations,
    chromium,
    new_context,
    operator_text,
)
from tests.e2e.browser import screenshot as save
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.page_support import finished_report, import_quarter, wait_for_report
from tests.real_files import FLAGSTAR_FSB, FLAGSTAR_NA, JPMORGAN, SILICON_VALLEY, cut

pytestmark = pytest.mark.e2e
CBLR_BANK = "242"  # FFIEC 051 under the community bank leverage framework: no CET1 ratio
# Community banks under $1 billion like it, so that it has peers to rank among.
SMALL_BANKS = ("1351", "4156", "7045")
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("real-page")
    with local_stack(folder, env={"BANK_DATA": "none"}) as running:
        banks = [JPMORGAN, SILICON_VALLEY, FLAGSTAR_FSB, FLAGSTAR_NA, CBLR_BANK, *SMALL_BANKS]
        summary = import_quarter(running, cut(folder / "cut", banks))
        assert "Imported 8 banks over 8 quarters" in summary, summary
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
    link = f"#bank-notes a[href='?bank={FLAGSTAR_NA}']"
    # The palette's accent (#1d5fa8), never the browser's own blue (#0000ee).
    assert page.eval_on_selector(link, "a => getComputedStyle(a).color") == "rgb(29, 95, 168)"
    page.click(link)
    page.wait_for_selector("#bank-name:has-text('FLAGSTAR BANK, NATIONAL ASSOCIATION')")
    # The heading takes focus; a mouse click draws no keyboard ring on it.
    assert page.evaluate("document.activeElement.id") == "bank-name"
    assert page.eval_on_selector("#bank-name", "h => getComputedStyle(h).outlineStyle") == "none"
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


def tile_lines(page: Any, label: str) -> list[str]:
    box = page.locator(f"#key-figures div:has(dt:text-is('{label}'))")
    return [str(line) for line in box.locator(".change, .peer").all_inner_texts()]


def test_tiles_give_the_change_on_the_quarter_and_year_and_the_peer_percentile(
    stack: Stack, page: Any
) -> None:
    """Each tile: the value, QoQ and YoY changes with a word for their direction (a rising
    nonaccrual ratio is worse, a rising margin better), and the percentile among the four
    community banks of the cut. A year before 2024-Q2 the margin is unknown (2023-Q2's
    income needs the missing 2023-03-31): not available, never bridged."""
    _, _, profile = stack.request("GET", f"/api/banks/{CBLR_BANK}")
    context = profile["context"]
    open_real_bank(page, stack, CBLR_BANK)
    tiles = (("Net interest margin", "nim", True), ("Nonaccrual loans", "nonaccrualRatio", False))
    for label, name, higher_is_better in tiles:
        said = context[name]
        qoq, yoy, peer = tile_lines(page, label)
        changes = said["changes"]
        for line, period, value in (qoq, "QoQ", changes["qoq"]), (yoy, "YoY", changes["yoy"]):
            assert line.startswith(period)
            if value is None:  # the margin of 2023-Q2, after the missing 2023-03-31: unknown
                assert (name, period) == ("nim", "YoY") and line == "YoY not available"
                continue
            points = f"{abs(value):.2f} pts"
            if points == "0.00 pts":
                assert line.endswith("flat")
                continue
            assert points in line and ("+" if value > 0 else "\u2212") in line
            assert line.endswith("better" if (value > 0) == higher_is_better else "worse"), line
        assert peer.startswith(f"{ordinal(said['percentile'])} percentile")
        if page.width_name == "desktop":  # a phone leaves the group's median out
            assert f"median {said['peerMedian']:.2f}%" in peer
    assert tile_lines(page, "Total assets")[0].startswith("QoQ")
    assert "among the 4 banks with total assets under $1 billion in Q2 2024" in page.inner_text(
        "#figures-note"
    )
    # The bank's name, its tiles and the primary action in the first screen, phone too.
    for shown in ("#bank-name", "#key-figures", "#generate-report"):
        box = page.locator(shown).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, (shown, box)
    check(page, "tiles-in-context")


def ordinal(number: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{'th' if 11 <= number % 100 <= 13 else suffix}"


def test_a_loss_stands_out(stack: Stack, page: Any) -> None:
    """Flagstar Bank, N.A. lost $300 million in 2024-Q2 (RIAD4340, quarter alone): the value
    is marked, not only coloured, and a change from an earlier loss is not meaningful."""
    open_real_bank(page, stack, FLAGSTAR_NA)
    loss = page.locator("#key-figures div:has(dt:text-is('Net income (quarter)'))")
    assert loss.get_attribute("class") == "tile negative"
    assert tile(page, "Net income (quarter)") == "\u2212$300.0 million"
    assert tile_lines(page, "Net income (quarter)")[0] == "QoQ not meaningful"
    assert tile(page, "Return on assets").startswith("\u2212")
    check(page, "loss")


CHART_AXES = """[...document.querySelectorAll('#charts figure')].map(figure => ({
    title: figure.querySelector('figcaption').textContent,
    ticks: [...figure.querySelectorAll('svg text.tick.end')].map(t => t.textContent),
    lines: figure.querySelectorAll('svg polyline.line').length,
    medians: [...figure.querySelectorAll('svg polyline.median')].map(m => m.dataset.quarters),
    gaps: [...figure.querySelectorAll('svg rect.gap')].map(r => r.dataset.quarter),
}))"""


def tick_value(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").rstrip("%bnm"))


def test_charts_have_round_ticks_with_units_a_peer_median_and_a_gap(
    stack: Stack, page: Any
) -> None:
    """The community bank's report charts: ticks 1, 2 or 5 times a power of ten and evenly
    spaced, with their unit; total assets from zero; a dashed peer median on every ratio
    chart; 2023-03-31 (not in the files) a gap that splits each line in two."""
    finished_report(stack, CBLR_BANK)
    open_real_bank(page, stack, CBLR_BANK)
    wait_for_report(page)
    page.wait_for_function("document.querySelectorAll('#charts svg').length === 4")
    charts = page.evaluate(CHART_AXES)
    for chart in charts:
        values = [tick_value(text) for text in chart["ticks"]]
        assert len(values) >= 3, chart
        steps = {round(after - before, 6) for before, after in itertools.pairwise(values)}
        assert len(steps) == 1, chart  # evenly spaced, bottom up
        step = steps.pop()
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 5), chart
        assert all(round(value / step, 6).is_integer() for value in values), chart
        assert chart["gaps"] == ["20230331"] and chart["lines"] >= 2, chart
        ratio = chart["title"].endswith("(%)")
        assert all(text.endswith("%") for text in chart["ticks"]) == ratio, chart
        assert bool(chart["medians"]) == ratio, chart
        if ratio:  # a ratio's axis spans at least 2 points: noise looks like noise
            assert values[-1] - values[0] >= 2, chart
    # The peer median quarter by quarter, split by the missing quarter as the line is: the
    # NIM's runs are the quarters whose median the data gives (2023-Q2's NIM is unknown).
    _, _, profile = stack.request("GET", f"/api/banks/{CBLR_BANK}")
    known = [r["quarter"] for r in profile["series"] if (r["peerMedians"] or {}).get("nim")]
    nim = next(chart for chart in charts if chart["title"].startswith("Net interest margin"))
    drawn = [quarter for run in nim["medians"] for quarter in run.split()]
    assert drawn == known and len(nim["medians"]) >= 2, (nim, known)
    medians = {r["peerMedians"]["nim"] for r in profile["series"] if r["quarter"] in known}
    assert len(medians) > 1  # each quarter's own median, not the latest one drawn flat
    assets = next(chart for chart in charts if chart["title"].startswith("Total assets"))
    assert tick_value(assets["ticks"][0]) == 0 and assets["ticks"][-1].startswith("$")
    assert "No data for Q1 2023" in page.inner_text("#charts")
    check(page, "charts")
    page.locator("#charts").screenshot(path=str(OUTPUT / f"real-charts-only-{page.width_name}.png"))


def ensure_report(stack: Stack, idrssd: str) -> None:
    status, _, _ = stack.request("GET", f"/api/research/{idrssd}/report")
    if status != 200:
        finished_report(stack, idrssd)


def test_the_report_prints_without_the_page_and_downloads_as_markdown(
    stack: Stack, page: Any
) -> None:
    ensure_report(stack, CBLR_BANK)
    _, _, report = stack.request("GET", f"/api/research/{CBLR_BANK}/report")
    open_real_bank(page, stack, CBLR_BANK)
    wait_for_report(page)
    with page.expect_download() as download:
        page.click("#report-markdown")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "first-community-bank-xenia-flora-q22024-report.md"
    assert text.startswith("# FIRST COMMUNITY BANK XENIA-FLORA: research report\n")
    assert "data as of Q2 2024 (quarter ending 30 June 2024)" in text
    for section in report["sections"]:
        assert f"\n## {section['title']}\n\n{section['markdown'].strip()}" in text
    page.emulate_media(media="print")
    for chrome in ("header.site", "#podcast-panel", "#generate-report", "#report-markdown"):
        assert page.is_hidden(chrome), chrome
    for kept in ("#bank-name", "#bank-place", "#report-sections", "#charts"):
        assert page.is_visible(kept), kept
    save(page, f"real-report-print-{page.width_name}")
    assert axe_violations(page) == []  # the printed page as well as the screen
    if page.width_name == "desktop":  # a PDF as Save as PDF makes it
        pdf = page.pdf(format="Letter")
        (OUTPUT / "real-report.pdf").write_bytes(pdf)
        pages = printed_pages(pdf)
        assert len(pages) >= 2, pages
        for number, text in enumerate(pages, start=1):  # every page, the second included
            assert "FIRST COMMUNITY BANK XENIA-FLORA" in text, (number, text[:300])
            assert "Research report · data as of Q2 2024" in text, (number, text[:300])
            assert f"Page {number} of {len(pages)}" in text, (number, text[-300:])
    page.emulate_media(media="screen")


def printed_pages(pdf: bytes) -> list[str]:
    """Each page's text, as a PDF reader extracts it."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
