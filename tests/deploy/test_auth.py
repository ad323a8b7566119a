"""API protection chosen by configuration: people sign in (Cognito) unless told otherwise;
programs send their own API key (chalicelib/api/auth.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chalice import Chalice, CognitoUserPoolAuthorizer
from chalice.deploy.swagger import CFNSwaggerGenerator

from chalicelib.api.auth import route_auth
from chalicelib.errors import ConfigError
from tests.fresh_app import printed_by_app

POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
PROJECT = Path(__file__).resolve().parents[2]
OPEN_ROUTES = {"/", "/api/openapi.json", "/api/podcast/experts", "/api/auth/config", "/api/health"}


@pytest.mark.parametrize("env", [{}, {"API_AUTH": ""}, {"API_AUTH": " "}, {"API_AUTH": "cognito"}])
def test_people_sign_in_with_the_stacks_own_pool_unless_told_otherwise(
    env: dict[str, str],
) -> None:
    (authorizer,) = route_auth(env).values()
    assert isinstance(authorizer, CognitoUserPoolAuthorizer)
    swagger = authorizer.to_swagger()
    # CloudFormation resolves the stack's own pool (infra/auth.json) in the API definition.
    assert swagger["x-amazon-apigateway-authorizer"]["providerARNs"] == [
        {"Fn::GetAtt": ["UserPool", "Arn"]}
    ]
    assert swagger["name"] == "Authorization"


def test_an_api_key_is_required_when_asked_for() -> None:
    assert route_auth({"API_AUTH": "api_key"}) == {"api_key_required": True}


@pytest.mark.parametrize("env", [{"API_AUTH": "none"}, {"API_AUTH": "None "}])
def test_an_open_api_is_asked_for_by_name(env: dict[str, str]) -> None:
    assert route_auth(env) == {}


def test_cognito_mode_uses_the_configured_pool_on_the_authorization_header() -> None:
    env = {"API_AUTH": "cognito", "COGNITO_USER_POOL_ARN": POOL}
    kwargs = route_auth(env)
    assert set(kwargs) == {"authorizer"}
    authorizer = kwargs["authorizer"]
    assert isinstance(authorizer, CognitoUserPoolAuthorizer)
    assert authorizer.to_swagger()["x-amazon-apigateway-authorizer"]["providerARNs"] == [POOL]
    assert authorizer.to_swagger()["name"] == "Authorization"
    assert route_auth(env)["authorizer"] is authorizer  # one authorizer for every route


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"API_AUTH": "basic"}, "API_AUTH must be one of cognito, api_key, none, not 'basic'."),
        ({"API_AUTH": "cognito", "COGNITO_USER_POOL_ARN": "us-east-1_AbC"}, "is not a Cognito"),
        ({"COGNITO_USER_POOL_ARN": "arn:aws:s3:::bucket"}, "is not a Cognito"),
    ],
)
def test_a_bad_setting_is_a_config_error_with_a_sentence(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        route_auth(env)
    assert says in raised.value.message and raised.value.message.endswith(".")


@pytest.mark.parametrize(
    ("env", "scheme", "definition"),
    [
        ({"API_AUTH": "api_key"}, "api_key", {"type": "apiKey", "name": "x-api-key"}),
        (
            {"API_AUTH": "cognito", "COGNITO_USER_POOL_ARN": POOL},
            "CognitoUsers",
            {"type": "apiKey", "name": "Authorization"},
        ),
    ],
)
def test_the_api_definition_carries_the_protection(
    env: dict[str, str], scheme: str, definition: dict[str, str]
) -> None:
    app = Chalice(app_name="auth-check")

    @app.route("/api/thing", methods=["GET"], **route_auth(env))
    def thing() -> dict[str, Any]:
        return {}

    @app.route("/api/openapi.json", methods=["GET"])
    def described() -> dict[str, Any]:
        return {}

    swagger = CFNSwaggerGenerator().generate_swagger(app)
    assert swagger["paths"]["/api/thing"]["get"]["security"] == [{scheme: []}]
    assert "security" not in swagger["paths"]["/api/openapi.json"]["get"]
    declared = swagger["securityDefinitions"][scheme]
    assert {key: declared[key] for key in definition} == definition


def _routes_of_app(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """How ``app.py`` protects each route, imported afresh in a process with ``env``."""
    script = (
        "import json, app\n"
        "print(json.dumps({f'{m} {p}': {'key': e.api_key_required,"
        " 'authorizer': getattr(e.authorizer, 'name', None)}"
        " for p, ms in app.app.routes.items() for m, e in ms.items()}))\n"
    )
    routes: dict[str, dict[str, Any]] = printed_by_app(script, env)
    return routes


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"key": None, "authorizer": "CognitoUsers"}),
        ({"API_AUTH": "api_key"}, {"key": True, "authorizer": None}),
        ({"API_AUTH": "none"}, {"key": None, "authorizer": None}),
        (
            {"API_AUTH": "cognito", "COGNITO_USER_POOL_ARN": POOL},
            {"key": None, "authorizer": "CognitoUsers"},
        ),
    ],
)
def test_app_protects_every_api_route_but_the_public_ones(
    env: dict[str, str], expected: dict[str, Any]
) -> None:
    if "route_auth" not in (PROJECT / "app.py").read_text(encoding="utf-8"):
        pytest.skip("app.py does not apply chalicelib.api.auth.route_auth() to its routes yet")
    routes = _routes_of_app(env)
    unprotected = {"key": None, "authorizer": None}
    for route, protection in routes.items():
        path = route.split(" ", 1)[1]
        if path in OPEN_ROUTES or not path.startswith("/api/"):
            assert protection == unprotected, route
        else:
            assert protection == expected, route
