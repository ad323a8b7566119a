"""Who may call the local stack when it asks (``make run API_AUTH=cognito`` or ``api_key``).

- **People**: a user pool in the emulator, made from the same definition as the deployed
  one (``infra/auth.json``: its password policy, its app client's sign-in flows, the
  ``admins`` group), with the users ``LOCAL_USERS`` names (``alice:Alice-pass-1,bob:...``)
  and the admins ``LOCAL_ADMINS`` names (``alice``). The emulator signs their tokens with
  RS256 and serves the keys (JWKS); the local server checks them (``devstack/gateway_auth.py``).
- **Programs**: a REST API in the emulator standing for the programs' API, on whose stage
  ``bank-research admin key create NAME`` puts each program's key and usage plan.

The app learns the pool, its client, the emulator's address (where the page sends
``InitiateAuth``) and the programs' API through its environment (``GET /api/auth/config``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.api.auth import auth_mode
from chalicelib.aws.policy import error_code
from devstack.resources import load_template

AUTH_TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "auth.json"
POOL_NAME = "bank-research-local-people"
PROGRAMS_API_NAME = "bank-research-local-programs"
STAGE = "api"
_USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


class IdentityError(Exception):
    """A sentence saying why the stack cannot set up sign-in as asked."""


@dataclass(frozen=True)
class LocalIdentity:
    user_pool_id: str
    client_id: str
    programs_api_id: str
    users: tuple[str, ...]
    admins: tuple[str, ...]

    def env(self, endpoint: str) -> dict[str, str]:
        """What the app and its workers are told."""
        return {
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
            "COGNITO_ENDPOINT": endpoint,
            "PROGRAMS_API_ID": self.programs_api_id,
            "PROGRAMS_API_STAGE": STAGE,
        }


def parse_users(raw: str) -> list[tuple[str, str]]:
    """``alice:pw,bob:pw`` as (name, password) pairs; a password may hold ':' but not ','."""
    users: list[tuple[str, str]] = []
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, colon, password = entry.partition(":")
        if not colon or not _USER_NAME.fullmatch(name) or not password:
            raise IdentityError(
                f"LOCAL_USERS: '{name or entry}' should be name:password (a name of letters, "
                "digits and . _ @ + -), for example LOCAL_USERS=alice:Alice-pass-1,bob:Bob-pass-22."
            )
        if name.lower() in {known.lower() for known, _ in users}:
            raise IdentityError(f"LOCAL_USERS names '{name}' twice: name each person once.")
        users.append((name, password))
    return users


def parse_admins(raw: str, users: list[tuple[str, str]]) -> list[str]:
    names = {name.lower(): name for name, _ in users}
    admins = []
    for admin in filter(None, (part.strip() for part in raw.split(","))):
        if admin.lower() not in names:
            raise IdentityError(
                f"LOCAL_ADMINS names '{admin}', who is not in LOCAL_USERS: admins must be users."
            )
        admins.append(names[admin.lower()])
    return admins


def _auth_resources() -> dict[str, Any]:
    resources: dict[str, Any] = load_template(AUTH_TEMPLATE)["Resources"]
    return resources


def _pool_kwargs() -> dict[str, Any]:
    properties = _auth_resources()["UserPool"]["Properties"]
    return {
        "PoolName": POOL_NAME,
        "Policies": properties["Policies"],
        "AdminCreateUserConfig": properties["AdminCreateUserConfig"],
        "UsernameConfiguration": properties["UsernameConfiguration"],
    }


def _client_kwargs(pool_id: str) -> dict[str, Any]:
    properties = _auth_resources()["UserPoolClient"]["Properties"]
    copied = ("GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors")
    return {
        "UserPoolId": pool_id,
        "ClientName": "bank-research-local-page",
        **{name: properties[name] for name in copied},
    }


def _add_user(cognito: Any, pool_id: str, name: str, password: str) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
    try:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=password, Permanent=True
        )
    except ClientError as error:
        if error_code(error) != "InvalidPasswordException":
            raise
        policy = _pool_kwargs()["Policies"]["PasswordPolicy"]
        raise IdentityError(
            f"LOCAL_USERS: {name}'s password is refused by the user pool's policy: use at "
            f"least {policy['MinimumLength']} characters with upper and lower case letters "
            "and a digit."
        ) from None


def create_identity(
    endpoint: str, env: Mapping[str, str], session: boto3.session.Session
) -> LocalIdentity | None:
    """Sign-in and the programs' API in the emulator, as the settings ask; ``None`` when the
    API is open (``API_AUTH=none``, the local stage's default)."""
    mode = auth_mode(env)
    if mode == "none":
        return None
    apigateway = session.client("apigateway", endpoint_url=endpoint or None)
    programs_api = apigateway.create_rest_api(
        name=PROGRAMS_API_NAME, description="Programs' keys (bank-research admin key create)"
    )["id"]
    if mode != "cognito":
        return LocalIdentity("", "", programs_api, (), ())
    users = parse_users(env.get("LOCAL_USERS", ""))
    admins = parse_admins(env.get("LOCAL_ADMINS", ""), users)
    cognito = session.client("cognito-idp", endpoint_url=endpoint or None)
    pool_id = cognito.create_user_pool(**_pool_kwargs())["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(**_client_kwargs(pool_id))["UserPoolClient"][
        "ClientId"
    ]
    group = _auth_resources()["AdminsGroup"]["Properties"]
    cognito.create_group(
        UserPoolId=pool_id, GroupName=group["GroupName"], Description=group["Description"]
    )
    for name, password in users:
        _add_user(cognito, pool_id, name, password)
    for admin in admins:
        cognito.admin_add_user_to_group(
            UserPoolId=pool_id, Username=admin, GroupName=group["GroupName"]
        )
    return LocalIdentity(
        pool_id, client_id, programs_api, tuple(name for name, _ in users), tuple(admins)
    )


def access_sentence(identity: LocalIdentity | None) -> str:
    """What the stack says once at start about who may call its API."""
    if identity is None:
        return (
            "The API is open here (API_AUTH=none in the local stage): no sign-in or key is "
            "needed. `make run API_AUTH=cognito LOCAL_USERS=alice:Alice-pass-1` asks people to "
            "sign in, as a deployment does (docs/DEPLOY.md)."
        )
    keys = "Programs send a key from `bank-research admin key create NAME` (x-api-key)."
    if not identity.user_pool_id:
        return f"The API takes programs' keys only here (API_AUTH=api_key). {keys}"
    people = ", ".join(identity.users) or "nobody yet: set LOCAL_USERS=name:password,…"
    admins = ", ".join(identity.admins) or "none (LOCAL_ADMINS)"
    return f"People sign in here (API_AUTH=cognito): {people}; admins: {admins}. {keys}"
