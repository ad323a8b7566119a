"""What API Gateway checks before a protected route runs, done by the local server.

``chalice local`` lets every request through a Cognito authorizer (it decodes a token's
claims without checking them) and never looks at API keys. With ``make run API_AUTH=cognito``
(or ``api_key``) the local server checks them as API Gateway does once deployed:

- **A person's ID token** (``Authorization``, the raw token or ``Bearer <token>``): signed
  with RS256 by a key of the user pool's JWKS (the emulator serves it at
  ``/{pool}/.well-known/jwks.json``), issued by the pool
  (``https://cognito-idp.{region}.amazonaws.com/{pool}``), for one of the pool's app clients
  (``aud``), not expired, ``token_use`` ``id``. The route then sees its claims, as behind
  API Gateway's authorizer. Missing or refused: 401 ``unauthorized``.
- **A program's API key** (``x-api-key``): a key of the emulator's API Gateway, enabled, in
  a usage plan of the programs' API (``PROGRAMS_API_ID``). The route then sees its id as
  ``identity.apiKeyId``. Refused: 403 ``invalid_api_key``. Deployed, keys go to the programs'
  own API (``deploy/package.py``); locally one server takes both.

The answers are the deployed API's gateway responses, read from ``infra/resources.json``.
This module is never packaged: tokens are checked by API Gateway in AWS.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
from chalice.app import Chalice, CognitoUserPoolAuthorizer, RouteEntry
from chalice.local import ForbiddenError, LocalGatewayAuthorizer, NotAuthorizedError

from chalicelib.api.auth import API_KEY_HEADER, PUBLIC_ROUTES, auth_mode
from devstack.resources import load_template

CACHE_SECONDS = 2.0  # how long a key or client list is trusted: a revoked key stops soon


def gateway_response(name: str) -> tuple[int, dict[str, str]]:
    """The status and body of one of the deployed API's gateway responses."""
    api = load_template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    response = api["x-amazon-apigateway-gateway-responses"][name]
    return int(response["statusCode"]), json.loads(
        response["responseTemplates"]["application/json"]
    )


class Unauthorized(NotAuthorizedError):
    """No usable token: API Gateway's UNAUTHORIZED response."""

    def __init__(self) -> None:
        super().__init__({}, b"")


class InvalidApiKey(ForbiddenError):
    """No usable key: API Gateway's INVALID_API_KEY response."""

    def __init__(self) -> None:
        super().__init__({}, b"")


class _Cached:
    """A value fetched at most every ``CACHE_SECONDS`` (or again at once on ``refresh``)."""

    def __init__(self, fetch: Callable[[], Any]) -> None:
        self._fetch, self._lock = fetch, threading.Lock()
        self._value: Any = None
        self._at = -CACHE_SECONDS

    def get(self, refresh: bool = False) -> Any:
        with self._lock:
            now = time.monotonic()
            if refresh or now - self._at >= CACHE_SECONDS:
                self._value, self._at = self._fetch(), now
            return self._value


@dataclass
class GatewayAuth:
    """The checks, against the emulator at ``endpoint``."""

    mode: str
    endpoint: str
    region: str
    user_pool_id: str
    programs_api_id: str

    def __post_init__(self) -> None:
        session = boto3.session.Session(region_name=self.region)
        endpoint = self.endpoint or None  # none: AWS itself
        self._cognito = session.client("cognito-idp", endpoint_url=endpoint)
        self._apigateway = session.client("apigateway", endpoint_url=endpoint)
        jwks = f"{self.endpoint.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"
        self._jwks = jwt.PyJWKClient(jwks, cache_keys=True) if self.user_pool_id else None
        self._clients = _Cached(self._client_ids)
        self._keys = _Cached(self._usable_keys)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayAuth | None:
        """The checks the local stage's settings ask for; ``None`` when the API is open."""
        env = os.environ if env is None else env
        mode = auth_mode(env)
        if mode == "none":
            return None
        return cls(
            mode=mode,
            endpoint=env.get("AWS_ENDPOINT_URL", ""),
            region=env.get("AWS_DEFAULT_REGION") or "us-east-1",
            user_pool_id=env.get("COGNITO_USER_POOL_ID", ""),
            programs_api_id=env.get("PROGRAMS_API_ID", ""),
        )

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    # A person ----------------------------------------------------------------------------

    def claims(self, header: str) -> dict[str, Any]:
        """The verified claims of the ID token in an ``Authorization`` header."""
        token = header.removeprefix("Bearer ").strip()
        if self._jwks is None or not token:
            raise Unauthorized
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "token_use"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError):
            raise Unauthorized from None
        audience = claims["aud"]
        if claims["token_use"] != "id" or not isinstance(audience, str):
            raise Unauthorized
        if audience not in self._clients.get() and audience not in self._clients.get(refresh=True):
            raise Unauthorized  # a token for another pool's client, or a forged one
        return claims

    def _client_ids(self) -> frozenset[str]:
        found = self._cognito.list_user_pool_clients(UserPoolId=self.user_pool_id, MaxResults=60)
        return frozenset(client["ClientId"] for client in found["UserPoolClients"])

    # A program ---------------------------------------------------------------------------

    def api_key_id(self, value: str) -> str:
        """The id of the usable key whose value was sent."""
        key_id = self._keys.get().get(value) or self._keys.get(refresh=True).get(value)
        if key_id is None:
            raise InvalidApiKey
        return str(key_id)

    def _usable_keys(self) -> dict[str, str]:
        """Enabled keys in a usage plan of the programs' API: their ids by value."""
        plans = self._apigateway.get_usage_plans(limit=500)["items"]
        planned: set[str] = set()
        for plan in plans:
            if any(
                stage.get("apiId") == self.programs_api_id for stage in plan.get("apiStages", [])
            ):
                keys = self._apigateway.get_usage_plan_keys(usagePlanId=plan["id"], limit=500)
                planned.update(key["id"] for key in keys["items"])
        keys = self._apigateway.get_api_keys(includeValues=True, limit=500)["items"]
        return {
            key["value"]: key["id"] for key in keys if key.get("enabled") and key["id"] in planned
        }

    # The request -------------------------------------------------------------------------

    def vouch(self, route: RouteEntry, path: str, event: dict[str, Any]) -> None:
        """Check the request's credentials for ``route``; put what API Gateway would vouch
        for into ``event`` (claims, or the key's id), or raise its refusal."""
        if path in PUBLIC_ROUTES or not path.startswith("/api/"):
            return
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        context = event["requestContext"]
        token, key = headers.get("authorization"), headers.get(API_KEY_HEADER)
        if self.mode == "cognito" and isinstance(route.authorizer, CognitoUserPoolAuthorizer):
            if token is not None or key is None:
                claims = self.claims(token or "")
                context["authorizer"] = {"claims": claims, "principalId": claims["sub"]}
                return
        elif not route.api_key_required:
            return
        context.setdefault("identity", {})["apiKeyId"] = self.api_key_id(key or "")


class VerifyingAuthorizer(LocalGatewayAuthorizer):
    """Chalice's local authorizer, with the checks above instead of its pass-through."""

    def __init__(self, app: Chalice, checks: GatewayAuth) -> None:
        super().__init__(app)
        self._checks = checks

    def authorize(self, raw_path: str, lambda_event: Any, lambda_context: Any) -> Any:
        route = self._route_for_event(lambda_event)
        if route is not None:
            path = lambda_event["requestContext"].get("resourcePath", "")
            self._checks.vouch(route, path, lambda_event)
        return lambda_event, lambda_context
