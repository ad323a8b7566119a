"""Who may call the API: chosen by configuration, enforced by API Gateway.

Chalice reads a route's protection when ``app.py`` is imported (its decorators run then),
and ``chalice package`` writes it into the API definition. So the mode must be known at
import: the ``API_AUTH`` environment variable, set in the packaging shell or in the
stage's ``environment_variables`` (which Chalice applies before importing the app).
``make package`` also writes the mode it packaged into the API function's environment, so
that the deployed function imports the app as it was packaged (docs/DEPLOY.md).

- ``api_key`` (the default: secure unless told otherwise): API Gateway requires the
  ``x-api-key`` header; the keys and their usage plans come from ``infra/resources.json``.
- ``cognito``: API Gateway requires a Cognito user pool token in ``Authorization``, from
  the pool ``COGNITO_USER_POOL_ARN`` names.
- ``none``: open. Only when asked for by name (``make package`` warns); the ``local``
  stage sets it, since the local server checks no keys anyway.

Every ``/api/...`` route takes ``**route_auth()``; ``GET /api/openapi.json``, the page and
``GET /api/health`` stay open, so that a client can learn the API (and the header to send)
before it has a key, and a load balancer can ask whether the service is ready.
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

from chalicelib.errors import ConfigError
from chalicelib.jobs.model import Caller

MODES = ("api_key", "cognito", "none")
DEFAULT_MODE = "api_key"
API_KEY_HEADER = "x-api-key"
TOKEN_HEADER = "Authorization"
AUTHORIZER_NAME = "CognitoUsers"

_USER_POOL_ARN = re.compile(r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[\w-]+_\w+$")


def auth_mode(env: Mapping[str, str] | None = None) -> str:
    """The configured mode, checked: ``api_key`` (also when unset or empty), ``cognito`` or
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
        return {"authorizer": _cognito_authorizer(_user_pool_arn(env))}
    return {}


def _user_pool_arn(env: Mapping[str, str]) -> str:
    arn = env.get("COGNITO_USER_POOL_ARN", "").strip()
    if not arn:
        raise ConfigError(
            "With API_AUTH=cognito, set COGNITO_USER_POOL_ARN to the user pool's ARN "
            "(arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>)."
        )
    if not _USER_POOL_ARN.match(arn):
        raise ConfigError(
            f"COGNITO_USER_POOL_ARN '{arn}' is not a Cognito user pool ARN; it looks like "
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123."
        )
    return arn


@cache
def _cognito_authorizer(user_pool_arn: str) -> CognitoUserPoolAuthorizer:
    # One object for every route, so the API definition declares the authorizer once.
    return CognitoUserPoolAuthorizer(
        AUTHORIZER_NAME, provider_arns=[user_pool_arn], header=TOKEN_HEADER
    )


# Who is calling ---------------------------------------------------------------------------

LOCAL_IDENTITY = "local"


def short_hash(text: str) -> str:
    """A stable short form of an identity: enough to tell callers apart, not to name them."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def caller_from_context(
    context: Mapping[str, Any],
    admin_api_key_ids: frozenset[str] = frozenset(),
    admin_group: str = "admin",
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


def _groups(raw: Any) -> set[str]:
    """Cognito's groups claim: a list, or (through API Gateway) "a,b" or "[a b]"."""
    if isinstance(raw, list):
        return {str(group) for group in raw}
    text = str(raw or "").strip("[]")
    return {part for part in re.split(r"[,\s]+", text) if part}
