"""People signing in to the local stack (``make run API_AUTH=cognito``), for the e2e tests:
real sign-ins against the emulator's Cognito, and tokens made to be refused."""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import moto
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.local_stack import Stack

USERS = {
    "alice": "Alice-pass-1",
    "bob": "Bob-pass-22",
    "carol": "Carol-pass-333",
    "dave": "Dave-pass-4444",
}
SIGN_IN_ENV = {
    "API_AUTH": "cognito",
    "LOCAL_USERS": ",".join(f"{name}:{password}" for name, password in USERS.items()),
    "LOCAL_ADMINS": "alice",
    "BANK_DATA": "sample",
}
# The key moto signs its tokens with (kid "dummy"), to make tokens it would have made but
# with claims of the test's choosing: expired, or for another audience.
MOTO_KEY = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"


def sign_in_config(stack: Stack) -> dict[str, Any]:
    status, _, body = stack.request("GET", "/api/auth/config")
    assert status == 200 and body["mode"] == "cognito", body
    return dict(body["signIn"])


def cognito(stack: Stack, target: str, body: dict[str, Any]) -> dict[str, Any]:
    """One call to the emulator's Cognito, as a browser sends it (no AWS signature)."""
    config = sign_in_config(stack)
    request = urllib.request.Request(
        config["endpoint"],
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def sign_in(stack: Stack, user: str) -> dict[str, str]:
    """The tokens of a real sign-in (USER_PASSWORD_AUTH), as the page gets them."""
    config = sign_in_config(stack)
    answer = cognito(
        stack,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": config["clientId"],
            "AuthParameters": {"USERNAME": user, "PASSWORD": USERS[user]},
        },
    )
    return dict(answer["AuthenticationResult"])


def id_token(stack: Stack, user: str) -> str:
    return sign_in(stack, user)["IdToken"]


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def forged(claims: dict[str, Any], changes: dict[str, Any], moto_signed: bool = True) -> str:
    """A token like ``claims`` with ``changes``, signed by moto's key or by a stranger's
    (same key id, so only the signature can tell)."""
    if moto_signed:
        with gzip.open(MOTO_KEY, "rt") as handle:
            key: Any = jwt.algorithms.RSAAlgorithm.from_jwk(handle.read())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {**claims, **changes}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "dummy"})


def call(
    stack: Stack, method: str, path: str, token: str | None = None, key: str | None = None,
    body: Any = None,
) -> tuple[int, dict[str, str], Any]:  # fmt: skip
    headers = {}
    if token is not None:
        headers["Authorization"] = token
    if key is not None:
        headers["x-api-key"] = key
    return stack.request(method, path, body, headers)


def wait_out_minute_end(margin: float = 8.0) -> None:
    """Start limits count per clock minute: begin a sequence of starts well inside one."""
    if 60 - time.time() % 60 < margin:
        time.sleep(60 - time.time() % 60 + 0.5)


def shaped(answer: tuple[int, dict[str, str], Any], status: int, code: str) -> dict[str, Any]:
    got, _, body = answer
    assert got == status, body
    assert isinstance(body, dict) and body["code"] == code and body["error"].endswith("."), body
    return body
