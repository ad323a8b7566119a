"""Headless Chromium from Debian, driven by Playwright (never a downloaded browser), and the
checks every browser test shares: console errors, CSP violations, operator text, axe-core."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Autoplay without a gesture: the tests start playback from script (muted, which Chromium
# allows anyway; the flag keeps that true whatever its policy of the day).
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--autoplay-policy=no-user-gesture-required",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

# What only an operator should read: a command (`make` and a target or setting; the
# English "make up" is prose), a route, Markdown code, internals.
MAKE_TARGETS = "import|run|test|package|install|bench|lint|format|typecheck|browser|clean"
OPERATOR_TEXT = re.compile(
    rf"`|\bmake (?:{MAKE_TARGETS})\b|\bmake [A-Z_]+=|/api/|\bworkers?\b|Traceback|HTTP \d{{3}}",
    re.IGNORECASE,
)

# Reports every Content-Security-Policy violation as a console error the watch collects.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleWatch:
    """Collects console errors (with the URL they are about) and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self._expected: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def expect(self, fragment: str) -> None:
        """A console error the test provokes on purpose (a refused request), by text or URL."""
        self._expected.append(fragment)

    def expected(self, error: str) -> bool:
        return any(fragment in error for fragment in self._expected)

    def unexpected(self) -> list[str]:
        return [error for error in self.errors if not self.expected(error)]

    def _console(self, message: Any) -> None:
        if message.type == "error":
            url = (message.location or {}).get("url", "")
            self.errors.append(f"{message.text} ({url})" if url else message.text)


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context whose test helpers may evaluate script despite the page's CSP.

    The page forbids ``eval`` (Content-Security-Policy); Playwright's ``wait_for_function``
    evaluates its predicate as a string, so the tests bypass the policy, not the page. The
    CSP test (``test_page_states``) uses a context that enforces it.
    """
    return browser.new_context(bypass_csp=True, **options)


def enforcing_context(browser: Any, **options: Any) -> Any:
    """A context that enforces the page's CSP and reports each violation to the console."""
    context = browser.new_context(**options)
    context.add_init_script(CSP_LISTENER)
    return context


def operator_text(page: Any) -> list[str]:
    """Lines of the page's visible text (dialogs included) that read like operator text."""
    text = page.evaluate("() => document.body.innerText")
    return [line for line in text.splitlines() if OPERATOR_TEXT.search(line)]


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the page as it is now (needs a context
    from ``new_context``: the page's CSP would refuse the injected script)."""
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "the vendored axe-core changed"
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=source.decode("utf-8"))
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
        for v in results
        if v["impact"] in impacts
    ]


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
