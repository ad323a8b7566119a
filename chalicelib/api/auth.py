"""Who may call the API: chosen by configuration, enforced by API Gateway.

Chalice reads a route's protection when ``app.py`` is imported (its decorators run then),
and ``chalice package`` writes it into the API definition. So the mode must be known at
import: the ``API_AUTH`` environment variable, set in the packaging shell or in the
stage's ``environment_variables`` (which Chalice applies before importing the app).
``make package`` also writes the mode it packaged into the API function's environment, so
that the deployed function imports the app as it was packaged (docs/DEPLOY.md).

- ``cognito`` (the default: people sign in): API Gateway requires an ID token of the user
  pool in ``Authorization``: the stack's own pool (``UserPool`` in ``infra/auth.json``), or
  the one ``COGNITO_USER_POOL_ARN`` names. Programs do not sign in: they call the same
  function through a second API that takes API keys, one key and usage plan per program
  (``deploy/package.py`` derives it from this one; docs/DEPLOY.md).
- ``api_key``: programs only; API Gateway requires the ``x-api-key`` header.
- ``none``: open. Only when asked for by name (``make package`` warns); the ``local``
  stage sets it unless ``make run API_AUTH=cognito`` asks for sign-in.

Every ``/api/...`` route takes ``**route_auth()`` but the public ones (``PUBLIC_ROUTES``):
the OpenAPI document, the health check, the expert panel and the sign-in settings, so
that a client can learn the API and how to sign in before it has credentials.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

from chalice import CognitoUserPoolAuthorizer

from chalicelib.config import ADMIN_GROUP, Settings
from chalicelib.errors import ConfigError
from chalicelib.jobs.model import Caller

MODES = ("cognito", "api_key", "none")
DEFAULT_MODE = "cognito"
API_KEY_HEADER = "x-api-key"
TOKEN_HEADER = "Authorization"
AUTHORIZER_NAME = "CognitoUsers"
PUBLIC_ROUTES = frozenset(
    {"/api/openapi.json", "/api/health", "/api/podcast/experts", "/api/auth/config"}
)
# The stack's own user pool (infra/auth.json), as CloudFormation resolves it in the API
# definition when COGNITO_USER_POOL_ARN names none.
STACK_USER_POOL: dict[str, Any] = {"Fn::GetAtt": ["UserPool", "Arn"]}

_USER_POOL_ARN = re.compile(r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[\w-]+_\w+$")


def auth_mode(env: Mapping[str, str] | None = None) -> str:
    """The configured mode, checked: ``cognito`` (also when unset or empty), ``api_key`` or
    ``none``."""
    env = os.environ if env is None else env
    mode = env.get("API_AUTH", "").strip().lower() or DEFAULT_MODE
    if mode not in MODES:
        raise ConfigError(
            f"API_AUTH must be one of {', '.join(MODES)}, not '{env.get('API_AUTH')}'."
        )
    return mode


def route_auth(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``@app.route(...)`` that protect a route in the configured mode."""
    env = os.environ if env is None else env
    mode = auth_mode(env)
    if mode == "api_key":
        return {"api_key_required": True}
    if mode == "cognito":
        return {"authorizer": _cognito_authorizer(user_pool_arn(env))}
    return {}


def user_pool_arn(env: Mapping[str, str]) -> str:
    """The pool ``COGNITO_USER_POOL_ARN`` names, checked; ``""``: the stack's own."""
    arn = env.get("COGNITO_USER_POOL_ARN", "").strip()
    if arn and not _USER_POOL_ARN.match(arn):
        raise ConfigError(
            f"COGNITO_USER_POOL_ARN '{arn}' is not a Cognito user pool ARN; it looks like "
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123."
        )
    return arn


@cache
def _cognito_authorizer(pool_arn: str) -> CognitoUserPoolAuthorizer:
    # One object for every route, so the API definition declares the authorizer once.
    provider: Any = pool_arn or STACK_USER_POOL
    return CognitoUserPoolAuthorizer(AUTHORIZER_NAME, provider_arns=[provider], header=TOKEN_HEADER)


def auth_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``GET /api/auth/config`` tells the page and clients: the mode, how people sign
    in (the user pool, its app client, the endpoint to send ``InitiateAuth`` to) and where
    programs' keys are issued (the API that takes them). All of it is public: a sign-in
    form needs it before anyone has signed in."""
    env = os.environ if env is None else env
    mode = auth_mode(env)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    config: dict[str, Any] = {"mode": mode}
    if mode == "cognito":
        config["signIn"] = {
            "region": region,
            "userPoolId": env.get("COGNITO_USER_POOL_ID", ""),
            "clientId": env.get("COGNITO_CLIENT_ID", ""),
            "endpoint": cognito_endpoint(env),
            "adminGroup": env.get("ADMIN_GROUP", "").strip() or ADMIN_GROUP,
        }
    if mode != "none":
        programs: dict[str, Any] = {
            "header": API_KEY_HEADER,
            "restApiId": env.get("PROGRAMS_API_ID", ""),
            "stage": env.get("PROGRAMS_API_STAGE", "") or "api",
            "region": region,
        }
        if env.get("AWS_ENDPOINT_URL"):  # the local stack's emulator, never set in AWS
            programs["awsEndpoint"] = env["AWS_ENDPOINT_URL"]
        config["programs"] = programs
    return config


def cognito_endpoint(env: Mapping[str, str]) -> str:
    """Where a browser sends Cognito's ``InitiateAuth``: the region's endpoint, or the one
    ``COGNITO_ENDPOINT`` names (the local stack's emulator)."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    given = env.get("COGNITO_ENDPOINT", "").strip()
    return given.rstrip("/") + "/" if given else f"https://cognito-idp.{region}.amazonaws.com/"


# Who is calling ---------------------------------------------------------------------------

LOCAL_IDENTITY = "local"


def short_hash(text: str) -> str:
    """A stable short form of an identity: enough to tell callers apart, not to name them."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def caller_from_context(
    context: Mapping[str, Any],
    admin_api_key_ids: frozenset[str] = frozenset(),
    admin_group: str = ADMIN_GROUP,
) -> Caller:
    """The caller API Gateway vouched for: its API key id, or its Cognito token's subject.

    Locally (no gateway) every caller is the same, ``local``. The request id correlates
    the request with the job it starts; a local request has none, so one is made up.
    """
    identity = context.get("identity") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    key_id = str(identity.get("apiKeyId") or "")
    subject = str(claims.get("sub") or "")
    if subject:
        who, admin = f"cognito:{subject}", admin_group in _groups(claims.get("cognito:groups"))
    elif key_id:
        who, admin = f"apikey:{key_id}", key_id in admin_api_key_ids
    else:
        who, admin = LOCAL_IDENTITY, False
    request_id = str(context.get("requestId") or uuid.uuid4())
    return Caller(identity=short_hash(who), admin=admin, correlation_id=request_id)


def request_caller(request_context: Mapping[str, Any], settings: Settings) -> Caller:
    """Who sent this request, by what API Gateway vouched for and the settings' admins."""
    return caller_from_context(request_context, settings.admin_api_key_ids, settings.admin_group)


def _groups(raw: Any) -> set[str]:
    """Cognito's groups claim: a list, or (through API Gateway) "a,b" or "[a b]"."""
    if isinstance(raw, list):
        return {str(group) for group in raw}
    text = str(raw or "").strip("[]")
    return {part for part in re.split(r"[,\s]+", text) if part}
