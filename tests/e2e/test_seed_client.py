"""The seed's React client, its job logic run as it is (tests/e2e/seed/client.html), against
the real local stack in Chromium: start and follow a report, survive a reload, keep polling
through a busy service, and stop on a cancellation made by someone else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import chromium
from tests.e2e.local_stack import Stack, local_stack

pytestmark = pytest.mark.e2e
HARNESS = (Path(__file__).resolve().parent / "seed" / "client.html").read_text(encoding="utf-8")
SETTINGS = {"REPORT_PACE_SECONDS": "6"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("seed-stack"), env=SETTINGS) as running:
        yield running


@pytest.fixture
def seed_page(stack: Stack) -> Iterator[Any]:
    """The harness served from the stack's own origin, so that its requests are relative."""
    with chromium() as browser:
        page = browser.new_page()
        page.route(
            "**/seed-client*",
            lambda route: route.fulfill(status=200, content_type="text/html", body=HARNESS),
        )
        yield page


def open_seed(page: Any, stack: Stack, bank: str) -> None:
    page.goto(f"{stack.url}/seed-client?bank={bank}")
    page.wait_for_function("window.seed !== undefined")


def seed(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("JSON.parse(JSON.stringify(window.seed))"))


def test_the_seed_client_starts_follows_and_shows_a_report(stack: Stack, seed_page: Any) -> None:
    open_seed(seed_page, stack, "9900021")
    seed_page.evaluate("generateReport()")
    seed_page.wait_for_function("window.seed.progress > 0 && window.seed.loading", timeout=20_000)
    seed_page.wait_for_function("window.seed.report !== null", timeout=40_000)
    state = seed(seed_page)
    assert state["loading"] is False and state["error"] is None and state["progress"] == 100
    assert state["report"]["idrssd"] == "9900021"


def test_the_seed_client_resumes_after_a_reload(stack: Stack, seed_page: Any) -> None:
    open_seed(seed_page, stack, "9900022")
    seed_page.evaluate("generateReport()")
    seed_page.wait_for_function("window.seed.polls > 0")
    seed_page.reload()
    seed_page.wait_for_function("window.seed.loading === true", timeout=10_000)  # resumed
    seed_page.wait_for_function("window.seed.report !== null", timeout=40_000)


def test_the_seed_client_keeps_polling_through_a_busy_service(stack: Stack, seed_page: Any) -> None:
    busy = {"left": 3}

    def sometimes_busy(route: Any) -> None:
        if busy["left"] > 0:
            busy["left"] -= 1
            body = {"error": "The service is busy right now.", "code": "busy"}
            route.fulfill(status=503, headers={"Retry-After": "2"}, body=json.dumps(body))
        else:
            route.continue_()

    open_seed(seed_page, stack, "9900023")
    seed_page.evaluate("generateReport()")
    seed_page.route("**/job-status?type=report", sometimes_busy)
    seed_page.wait_for_function("window.seed.report !== null", timeout=45_000)
    state = seed(seed_page)
    assert state["pollErrors"] == 3 and state["error"] is None


def test_the_seed_client_stops_on_a_cancellation_by_someone_else(
    stack: Stack, seed_page: Any
) -> None:
    open_seed(seed_page, stack, "9900024")
    seed_page.evaluate("generateReport()")
    seed_page.wait_for_function("window.seed.polls > 0")
    status, _, body = stack.request("DELETE", "/api/research/9900024/job?type=report")
    assert status == 200, body
    # The seed's client stops only on completed or failed: a cancellation is failed.
    seed_page.wait_for_function("window.seed.loading === false", timeout=10_000)
    state = seed(seed_page)
    assert state["error"] == "Cancelled by the person who started it."
    polls = state["polls"]
    seed_page.wait_for_timeout(4_500)  # two more poll periods: it really stopped
    assert seed(seed_page)["polls"] == polls
