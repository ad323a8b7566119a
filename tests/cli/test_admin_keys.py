"""``bank-research admin key``: one API key and one usage plan per program, on the stage of the
API that takes keys, against moto's API Gateway."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bank_research_cli.admin import KeyAdmin, Limits, key_admin
from bank_research_cli.errors import ApiError, UsageError


@pytest.fixture
def gateway() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("apigateway", region_name="us-east-1")


@pytest.fixture
def keys(gateway: Any) -> KeyAdmin:
    api = gateway.create_rest_api(name="programs")["id"]
    return KeyAdmin(gateway, api, "api")


def test_each_program_gets_a_key_and_a_plan_of_its_own(gateway: Any, keys: KeyAdmin) -> None:
    ci = keys.create("ci")
    nightly = keys.create("nightly-export", Limits(rate=2, burst=4, per_day=500))
    assert ci["id"] != nightly["id"] and ci["usagePlanId"] != nightly["usagePlanId"]
    assert ci["value"] and ci["value"] != nightly["value"]
    for created in (ci, nightly):
        (plan,) = gateway.get_usage_plans(keyId=created["id"])["items"]
        assert plan["id"] == created["usagePlanId"]  # its own plan, holding it alone
        assert plan["apiStages"] == [{"apiId": keys.rest_api_id, "stage": "api"}]
        members = gateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
        assert [member["id"] for member in members] == [created["id"]]
    plan = gateway.get_usage_plan(usagePlanId=nightly["usagePlanId"])
    assert plan["throttle"] == {"rateLimit": 2.0, "burstLimit": 4}
    assert (plan["quota"]["limit"], plan["quota"]["period"]) == (500, "DAY")
    assert [entry["name"] for entry in keys.list()] == ["ci", "nightly-export"]


def test_a_name_is_used_once_and_revoking_removes_key_and_plan(
    gateway: Any, keys: KeyAdmin
) -> None:
    created = keys.create("ci")
    with pytest.raises(ApiError, match="exists already"):
        keys.create("ci")
    assert keys.revoke("ci") == {"name": "ci", "id": created["id"], "revoked": True}
    assert gateway.get_api_keys()["items"] == []
    assert gateway.get_usage_plans()["items"] == []
    with pytest.raises(ApiError, match="no key named 'ci'"):
        keys.revoke("ci")
    assert keys.create("ci")["id"] != created["id"]  # the name is free again


def test_keys_of_another_api_are_not_this_ones(gateway: Any, keys: KeyAdmin) -> None:
    other = KeyAdmin(gateway, gateway.create_rest_api(name="other")["id"], "api")
    other.create("ci")
    assert keys.list() == []
    keys.create("ci")  # the same program name on another stack's API is another key
    assert len(gateway.get_api_keys()["items"]) == 2


@pytest.mark.parametrize("name", ["", "Bad Name", "-x", "a" * 41, "ci/../x", "é"])
def test_a_name_that_cannot_name_a_key_is_a_sentence(keys: KeyAdmin, name: str) -> None:
    with pytest.raises(UsageError, match="cannot name a program's key") as raised:
        keys.create(name)
    assert raised.value.sentence.endswith(".")


def test_an_open_service_takes_no_keys() -> None:
    with pytest.raises(UsageError, match="open to everyone"):
        key_admin({"mode": "none"})
