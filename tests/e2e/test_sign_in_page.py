"""The page's sign-in in Debian's Chromium, on the real local stack with sign-in on: the form,
a wrong password, signing in, a token refreshed (when the API refuses an expired one and
before it lapses), signing out (which revokes the refresh token), at desktop and phone
widths, under the page's enforced Content-Security-Policy, with axe-core and screenshots."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import (
    ConsoleWatch,
    axe_violations,
    chromium,
    enforcing_context,
    new_context,
    operator_text,
    screenshot,
)
from tests.e2e.local_stack import Stack, local_stack
from tests.e2e.sign_in_support import SIGN_IN_ENV, USERS, cognito, sign_in_config

pytestmark = pytest.mark.e2e
STORE = "bank-research-sign-in"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("stack"), env=SIGN_IN_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def stored(page: Any) -> Any:
    return json.loads(page.evaluate(f"() => sessionStorage.getItem('{STORE}') || 'null'"))


def sign_in(page: Any, user: str, password: str | None = None) -> None:
    page.fill("#sign-in-name", user)
    page.fill("#sign-in-password", password or USERS[user])
    page.click("#sign-in-submit")


def checked(page: Any, name: str) -> None:
    """The state as a person sees it: no operator text, no serious axe finding; a picture."""
    assert operator_text(page) == [], name
    assert axe_violations(page) == [], name
    screenshot(page, name, full_page=False)


def test_signing_in_refreshing_and_signing_out_under_the_enforced_policy(
    stack: Stack, browser: Any
) -> None:
    context = enforcing_context(browser, viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    watch.expect("400")  # the wrong password, as the sign-in service answers it
    watch.expect("401")  # the stale token the test plants, refused by the API
    page.goto(stack.url + "/")
    page.wait_for_selector("#sign-in-name", state="visible")
    assert page.is_hidden("#search") and page.is_hidden("#account")
    assert page.title() == "Sign in · Bank Research"

    sign_in(page, "bob", "not-bobs-password")
    page.wait_for_selector("#sign-in-error", state="visible")
    assert page.inner_text("#sign-in-error") == (
        "That name and password do not match. Check them and try again."
    )
    assert stored(page) is None

    sign_in(page, "alice")
    page.wait_for_selector("#results li", state="visible")  # the API answered her token
    assert page.inner_text("#account-name") == "Signed in as alice"
    session = stored(page)
    assert session["name"] == "alice" and session["idToken"] and session["refreshToken"]

    # The API refuses a token (as when it has expired): the page refreshes it and carries on.
    page.evaluate(
        f"() => {{ const s = JSON.parse(sessionStorage.getItem('{STORE}'));"
        f" s.idToken = 'expired.' + s.idToken.split('.')[1] + '.x';"
        f" sessionStorage.setItem('{STORE}', JSON.stringify(s)); }}"
    )
    page.fill("#q", "granite")
    page.wait_for_function(
        "() => document.querySelector('#search-count').textContent.includes('1 bank')"
    )
    refreshed = stored(page)
    assert (
        refreshed["idToken"] not in (session["idToken"], "")
        and "expired." not in refreshed["idToken"]
    )
    assert refreshed["refreshToken"] == session["refreshToken"]

    page.click("#sign-out")
    page.wait_for_selector("#sign-in-note", state="visible")
    assert page.inner_text("#sign-in-note") == "You are signed out."
    assert stored(page) is None and page.is_hidden("#account") and page.is_hidden("#search")
    with pytest.raises(urllib.error.HTTPError) as revoked:  # sign-out revoked it
        cognito(
            stack,
            "InitiateAuth",
            {
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": sign_in_config(stack)["clientId"],
                "AuthParameters": {"REFRESH_TOKEN": session["refreshToken"]},
            },
        )
    assert revoked.value.code == 400
    assert watch.unexpected() == []  # no CSP violation: Cognito's origin is allowed
    context.close()


def test_the_token_is_refreshed_before_it_lapses(stack: Stack, browser: Any) -> None:
    context = new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    page.clock.install()
    page.goto(stack.url + "/")
    page.wait_for_selector("#sign-in-name", state="visible")
    sign_in(page, "bob")
    page.wait_for_selector("#account", state="visible")
    first = stored(page)
    page.clock.fast_forward("59:10")  # the ID token lasts an hour; refreshed a minute early
    before = json.dumps(first["idToken"])
    page.wait_for_function(
        f"() => JSON.parse(sessionStorage.getItem('{STORE}')).idToken !== {before}"
    )
    assert stored(page)["expiresAt"] > first["expiresAt"]
    context.close()


def test_a_new_tab_signs_in_on_its_own_and_a_reload_keeps_the_tab_signed_in(
    stack: Stack, browser: Any
) -> None:
    context = new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    page.goto(stack.url + "/")
    page.wait_for_selector("#sign-in-name", state="visible")
    sign_in(page, "carol")
    page.wait_for_selector("#account", state="visible")
    page.reload()
    page.wait_for_selector("#results li", state="visible")  # still signed in, in this tab
    other = context.new_page()
    other.goto(stack.url + "/")
    other.wait_for_selector("#sign-in-name", state="visible")  # tokens are per tab
    context.close()


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_what_people_see_at_each_width(
    stack: Stack, browser: Any, width: str, viewport: dict[str, int]
) -> None:
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    page.goto(stack.url + "/")
    page.wait_for_selector("#sign-in-name", state="visible")
    checked(page, f"sign-in-{width}")
    sign_in(page, "dave", "wrong-password-here")
    page.wait_for_selector("#sign-in-error", state="visible")
    checked(page, f"sign-in-refused-{width}")
    sign_in(page, "dave")
    page.wait_for_selector("#results li", state="visible")
    checked(page, f"signed-in-{width}")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in-note", state="visible")
    checked(page, f"signed-out-{width}")
    context.close()
