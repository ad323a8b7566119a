"""One person, one identity, on the real local stack with sign-in on
(``make run API_AUTH=cognito LOCAL_USERS=… LOCAL_ADMINS=alice``): tokens are checked as API
Gateway checks them, jobs belong to whoever started them, start limits are per person, and
programs' keys from the admin command are callers of their own."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.api.auth import short_hash
from tests.e2e.local_stack import ROOT, Stack, local_stack
from tests.e2e.sign_in_support import (
    SIGN_IN_ENV,
    call,
    claims_of,
    cognito,
    forged,
    id_token,
    shaped,
    sign_in,
    sign_in_config,
    wait_out_minute_end,
)

pytestmark = pytest.mark.e2e
START = "/api/research/{}/generate-background"
CANCEL = "/api/research/{}/job?type=report"
STARTS_PER_MINUTE = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        **SIGN_IN_ENV,
        "STARTS_PER_MINUTE": str(STARTS_PER_MINUTE),
        "REPORT_PACE_SECONDS": "120",  # jobs stay active while the tests cancel them
    }
    with local_stack(tmp_path_factory.mktemp("stack"), env=env) as running:
        yield running


def start(stack: Stack, bank: str, token: str | None = None, key: str | None = None) -> Any:
    return call(stack, "POST", START.format(bank), token=token, key=key, body={})


def test_the_stack_says_who_may_sign_in(stack: Stack) -> None:
    assert "People sign in here (API_AUTH=cognito): alice, bob, carol, dave; admins: alice." in (
        stack.log()
    )


def test_the_public_routes_need_no_sign_in(stack: Stack) -> None:
    for path in ("/api/openapi.json", "/api/podcast/experts", "/api/auth/config"):
        assert stack.request("GET", path)[0] == 200, path
    with urllib.request.urlopen(stack.url + "/", timeout=10) as page:
        assert page.status == 200  # the page, which then asks people to sign in
    config = sign_in_config(stack)
    assert config["endpoint"] == stack.emulator + "/" and config["adminGroup"] == "admins"
    assert config["userPoolId"].startswith("us-east-1_") and config["clientId"]


def test_every_other_route_wants_a_signed_in_person(stack: Stack) -> None:
    for path in ("/api/banks?q=granite", "/api/banks/9900001", "/api/research/recent"):
        body = shaped(call(stack, "GET", path), 401, "unauthorized")
        assert "sign in" in body["error"]
    assert call(stack, "GET", "/api/banks?q=granite", id_token(stack, "bob"))[0] == 200


@pytest.mark.parametrize(
    ("why", "changes", "moto_signed"),
    [
        ("expired", {"exp": int(time.time()) - 60}, True),
        ("wrongly signed", {}, False),
        ("for another audience", {"aud": "another-apps-client"}, True),
        ("from another pool", {"iss": "https://cognito-idp.us-east-1.amazonaws.com/x_y"}, True),
        ("an access token", {"token_use": "access"}, True),
    ],
)
def test_a_token_api_gateway_would_refuse_is_401_with_error_and_code(
    stack: Stack, why: str, changes: dict[str, Any], moto_signed: bool
) -> None:
    real = claims_of(id_token(stack, "bob"))
    token = forged(real, changes, moto_signed)
    shaped(call(stack, "GET", "/api/banks?q=granite", token), 401, "unauthorized")
    for mangled in (token[:-4], "Bearer " + token, "not a token"):
        got = call(stack, "GET", "/api/banks?q=granite", mangled)
        assert got[0] == 401, (why, mangled[:20])
    # the same claims, signed as the emulator signs: accepted (the check is the change)
    assert call(stack, "GET", "/api/banks?q=granite", forged(real, {}))[0] == 200


def test_bob_cannot_cancel_alices_job_and_an_admin_can_cancel_bobs(stack: Stack) -> None:
    alice, bob = id_token(stack, "alice"), id_token(stack, "bob")
    status, _, started = start(stack, "9900011", alice)
    assert status == 202
    assert started["job"]["startedBy"] == short_hash("cognito:" + claims_of(alice)["sub"])
    refused = shaped(call(stack, "DELETE", CANCEL.format("9900011"), bob), 403, "not_your_job")
    assert "someone else" in refused["error"]
    _, _, current = call(stack, "GET", "/api/research/9900011/job-status?type=report", bob)
    assert current["job"]["status"] in ("pending", "running")  # untouched
    assert start(stack, "9900012", bob)[0] == 202
    status, _, cancelled = call(stack, "DELETE", CANCEL.format("9900012"), alice)  # an admin
    assert status == 200 and cancelled["job"]["errorCode"] == "cancelled"
    assert call(stack, "DELETE", CANCEL.format("9900011"), alice)[0] == 200  # her own


def test_each_persons_start_limit_is_theirs_alone(stack: Stack) -> None:
    carol, dave = id_token(stack, "carol"), id_token(stack, "dave")  # neither started yet
    wait_out_minute_end()
    for bank in ("9900013", "9900014"):
        assert start(stack, bank, carol)[0] == 202
    limited = shaped(start(stack, "9900015", carol), 429, "rate_limited")
    assert limited["error"].endswith(".")
    assert start(stack, "9900015", dave)[0] == 202  # carol's starts are not dave's
    assert start(stack, "9900016", dave)[0] == 202
    assert start(stack, "9900017", dave)[0] == 429


def test_a_refreshed_token_is_the_same_person(stack: Stack) -> None:
    tokens = sign_in(stack, "carol")
    refreshed = cognito(
        stack,
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": sign_in_config(stack)["clientId"],
            "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]},
        },
    )["AuthenticationResult"]
    assert claims_of(refreshed["IdToken"])["sub"] == claims_of(tokens["IdToken"])["sub"]
    assert call(stack, "GET", "/api/research/recent", refreshed["IdToken"])[0] == 200


def admin(stack: Stack, *arguments: str) -> Any:
    """The installed ``bank-research admin …`` against the stack, as an operator runs it."""
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "bank-research"), "--base-url", stack.url, "--json",
         "admin", "key", *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_each_program_has_its_own_key_and_is_its_own_caller(stack: Stack) -> None:
    ci, nightly = admin(stack, "create", "ci"), admin(stack, "create", "nightly")
    assert ci["id"] != nightly["id"] and ci["usagePlanId"] != nightly["usagePlanId"]
    assert {entry["name"] for entry in admin(stack, "list")["keys"]} >= {"ci", "nightly"}
    status, _, started = start(stack, "9900018", key=ci["value"])
    assert status == 202 and started["job"]["startedBy"] == short_hash(f"apikey:{ci['id']}")
    shaped(
        call(stack, "DELETE", CANCEL.format("9900018"), key=nightly["value"]), 403, "not_your_job"
    )
    assert call(stack, "DELETE", CANCEL.format("9900018"), key=ci["value"])[0] == 200
    shaped(call(stack, "GET", "/api/banks?q=a", key="not-a-key"), 403, "invalid_api_key")
    assert admin(stack, "revoke", "ci")["revoked"] is True
    time.sleep(2.5)  # the local server trusts what it read of the keys for 2 s
    shaped(call(stack, "GET", "/api/banks?q=a", key=ci["value"]), 403, "invalid_api_key")
    assert call(stack, "GET", "/api/banks?q=a", key=nightly["value"])[0] == 200
