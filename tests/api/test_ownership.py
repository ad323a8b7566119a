"""Who may do what: jobs remember who started them; only they (or an admin) cancel; starts
are limited per caller and minute (issue: secure by default)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.api.auth import caller_from_context, short_hash
from chalicelib.jobs.model import Caller
from tests.api_support import Api, api_under_test
from tests.fakes import put_bank
from tests.moto_account import Aws

BANK = "9900001"
START = f"/api/research/{BANK}/generate-background"
CANCEL = f"/api/research/{BANK}/job?type=report"
ALICE = Caller(identity=short_hash("apikey:alice"), correlation_id="req-alice")
BOB = Caller(identity=short_hash("apikey:bob"), correlation_id="req-bob")
ADMIN = Caller(identity=short_hash("apikey:ops"), admin=True, correlation_id="req-ops")


@pytest.fixture
def api(aws: Aws) -> Iterator[tuple[Api, list[Caller]]]:
    for bank in (BANK, "9900002"):
        put_bank(aws.banks_table, bank)
    with api_under_test(aws) as under_test:
        acting = [ALICE]
        # What API Gateway would vouch for, as the test says (chalice's test client sends
        # no gateway identity).
        under_test.act_as(lambda request_context: acting[0])
        yield under_test, acting


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_a_job_records_who_started_it_and_the_request(api: tuple[Api, list[Caller]]) -> None:
    client, _ = api
    job = body(client.post(START))["job"]
    assert job["startedBy"] == ALICE.identity and len(job["startedBy"]) == 12
    assert job["correlationId"] == "req-alice"


def test_only_the_starter_or_an_admin_may_cancel(api: tuple[Api, list[Caller]]) -> None:
    client, acting = api
    client.post(START)
    acting[0] = BOB
    refused = client.delete(CANCEL)
    assert refused.status_code == 403
    assert body(refused)["code"] == "not_your_job" and body(refused)["error"].endswith(".")
    assert client.status(BANK)["status"] == "pending"  # nothing changed
    acting[0] = ALICE
    own = client.delete(CANCEL)
    assert own.status_code == 200
    # Each cancellation says who did it: the starter, or an administrator.
    assert body(own)["job"]["error"] == "Cancelled by the person who started it."
    client.post(START)
    acting[0] = ADMIN
    cancelled = client.delete(CANCEL)
    assert cancelled.status_code == 200 and body(cancelled)["job"]["errorCode"] == "cancelled"
    assert body(cancelled)["job"]["error"] == "Cancelled by an administrator."
    assert client.status(BANK)["error"] == "Cancelled by an administrator."


def test_joining_a_shared_job_stays_open_to_everyone(api: tuple[Api, list[Caller]]) -> None:
    client, acting = api
    first = body(client.post(START))["job"]
    acting[0] = BOB
    joined = client.post(START)
    assert joined.status_code == 200 and body(joined)["job"]["jobId"] == first["jobId"]


def test_starts_are_limited_per_caller_and_minute(aws: Aws) -> None:
    for index in range(5):
        put_bank(aws.banks_table, str(9_900_100 + index))
    with api_under_test(aws, settings={"STARTS_PER_MINUTE": "3"}) as client:
        client.act_as(lambda request_context: ALICE)
        client.clock.advance(60 - client.clock.now() % 60)  # at the start of a minute
        for index in range(3):
            assert (
                client.post(f"/api/research/{9_900_100 + index}/generate-background").status_code
                == 202
            )
        refused = client.post("/api/research/9900103/generate-background")
        assert refused.status_code == 429 and body(refused)["code"] == "rate_limited"
        assert refused.headers["Retry-After"] == "60"
        assert "wait 60 seconds" in body(refused)["error"]
        client.act_as(lambda request_context: BOB)
        assert client.post("/api/research/9900103/generate-background").status_code == 202
        client.act_as(lambda request_context: ALICE)
        client.clock.advance(60)  # the next minute
        assert client.post("/api/research/9900104/generate-background").status_code == 202


def test_polls_are_not_limited(aws: Aws) -> None:
    put_bank(aws.banks_table, BANK)
    with api_under_test(aws, settings={"STARTS_PER_MINUTE": "1"}) as client:
        client.post(START)
        for _ in range(20):
            assert client.get(f"/api/research/{BANK}/job-status?type=report").status_code == 200


def cognito(subject: str, groups: Any = None) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": subject}
    if groups is not None:
        claims["cognito:groups"] = groups
    return {"authorizer": {"claims": claims}}


@pytest.mark.parametrize(
    ("context", "who", "admin"),
    [
        ({"identity": {"apiKeyId": "k1"}}, "apikey:k1", False),
        ({"identity": {"apiKeyId": "ops-key"}}, "apikey:ops-key", True),
        (cognito("u-1"), "cognito:u-1", False),
        (cognito("u-2", "admins,users"), "cognito:u-2", True),
        (cognito("u-3", "[users admins]"), "cognito:u-3", True),
        (cognito("u-5", ["admin"]), "cognito:u-5", False),  # the group is "admins"
        (cognito("u-4", ["users"]), "cognito:u-4", False),
        ({"identity": {"sourceIp": "127.0.0.1"}}, "local", False),
        ({}, "local", False),
    ],
)
def test_the_caller_is_what_api_gateway_vouched_for(
    context: dict[str, Any], who: str, admin: bool
) -> None:
    caller = caller_from_context({**context, "requestId": "r-1"}, frozenset({"ops-key"}))
    assert caller.identity == short_hash(who) and caller.admin is admin
    assert caller.correlation_id == "r-1"
    assert caller_from_context({}).correlation_id  # a local request gets an id too
