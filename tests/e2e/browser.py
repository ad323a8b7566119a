"""Headless Chromium from Debian, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


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
    """Collects console errors and uncaught exceptions of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self._expected: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def expect(self, fragment: str) -> None:
        """A console error the test provokes on purpose (a refused request)."""
        self._expected.append(fragment)

    def expected(self, error: str) -> bool:
        return any(fragment in error for fragment in self._expected)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context whose test helpers may evaluate script despite the page's CSP.

    The page forbids ``eval`` (Content-Security-Policy); Playwright's ``wait_for_function``
    evaluates its predicate as a string, so the tests bypass the policy, not the page.
    """
    return browser.new_context(bypass_csp=True, **options)
