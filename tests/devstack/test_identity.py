"""Sign-in for the local stack (``make run API_AUTH=cognito``): the people the settings name,
in a user pool made from the deployed definition, and sentences for settings that cannot be
used."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devstack.identity import (
    AUTH_TEMPLATE,
    IdentityError,
    access_sentence,
    create_identity,
    parse_admins,
    parse_users,
)
from devstack.resources import load_template

USERS = "alice:Alice-pass-1,bob:Bob-pass-22:with-a-colon"


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


def test_users_and_admins_are_read_from_their_settings() -> None:
    users = parse_users(USERS)
    assert users == [("alice", "Alice-pass-1"), ("bob", "Bob-pass-22:with-a-colon")]
    assert parse_admins("ALICE", users) == ["alice"]
    assert parse_users(" , ") == []


@pytest.mark.parametrize(
    ("users", "admins", "says"),
    [
        ("alice", "", "should be name:password"),
        ("al ice:Pass-word-1", "", "should be name:password"),
        ("alice:", "", "should be name:password"),
        ("alice:A-pass-word-1,Alice:B-pass-word-2", "", "twice"),
        ("alice:Alice-pass-1", "carol", "not in LOCAL_USERS"),
    ],
)
def test_unusable_settings_are_a_sentence(users: str, admins: str, says: str) -> None:
    with pytest.raises(IdentityError, match=says) as raised:
        parse_admins(admins, parse_users(users))
    assert str(raised.value).endswith(".")


def test_the_pool_follows_the_deployed_definition(session: boto3.session.Session) -> None:
    env = {"API_AUTH": "cognito", "LOCAL_USERS": USERS, "LOCAL_ADMINS": "alice"}
    identity = create_identity("", env, session)
    assert identity is not None and identity.users == ("alice", "bob")
    cognito = session.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=identity.user_pool_id)["UserPool"]
    deployed = load_template(AUTH_TEMPLATE)["Resources"]
    policy = deployed["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == policy["MinimumLength"]
    client = cognito.describe_user_pool_client(
        UserPoolId=identity.user_pool_id, ClientId=identity.client_id
    )["UserPoolClient"]
    assert set(client["ExplicitAuthFlows"]) == set(
        deployed["UserPoolClient"]["Properties"]["ExplicitAuthFlows"]
    )
    admins = cognito.list_users_in_group(UserPoolId=identity.user_pool_id, GroupName="admins")
    assert [user["Username"] for user in admins["Users"]] == ["alice"]
    signed_in = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=identity.client_id,
        AuthParameters={"USERNAME": "bob", "PASSWORD": "Bob-pass-22:with-a-colon"},
    )
    assert signed_in["AuthenticationResult"]["IdToken"]
    env_for_app = identity.env("http://127.0.0.1:5000")
    assert env_for_app["COGNITO_ENDPOINT"] == "http://127.0.0.1:5000"
    assert env_for_app["PROGRAMS_API_ID"] == identity.programs_api_id
    sentence = access_sentence(identity)
    assert "alice, bob; admins: alice" in sentence


def test_a_password_the_pool_refuses_is_a_sentence(session: boto3.session.Session) -> None:
    env = {"API_AUTH": "cognito", "LOCAL_USERS": "alice:short"}
    with pytest.raises(IdentityError, match="alice's password is refused"):
        create_identity("", env, session)


def test_an_open_stage_makes_nothing_and_says_so(session: boto3.session.Session) -> None:
    assert create_identity("", {"API_AUTH": "none"}, session) is None
    assert access_sentence(None).startswith("The API is open here")
    keys_only = create_identity("", {"API_AUTH": "api_key"}, session)
    assert keys_only is not None and keys_only.user_pool_id == ""
    assert "programs' keys only" in access_sentence(keys_only)
