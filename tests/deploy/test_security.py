"""Secure by default, in the packaged template: every /api route needs a key unless the
deployer chooses otherwise, every answer API Gateway gives by itself is the API's error
shape, and CORS exists only when configured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bank_research_cli.api import NO_ROUTE_CODES
from devstack import package
from tests.deploy.conftest import Packaged, build_template, packaging_env
from tests.test_error_words import OPERATOR_TEXT

POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
ORIGIN = "https://research.example.com"
OPEN_PATHS = {"/", "/assets/{name}", "/api/openapi.json", "/api/health"}
PROJECT = Path(__file__).resolve().parents[2]
# Every gateway response the API defines, with the status it answers (None: the status
# API Gateway chose) and its code.
GATEWAY_RESPONSES = {
    "DEFAULT_4XX": (None, "request_refused"),
    "DEFAULT_5XX": (None, "gateway_error"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "unknown_route"),
    "RESOURCE_NOT_FOUND": ("404", "unknown_route"),
    "UNAUTHORIZED": ("401", "unauthorized"),
    "ACCESS_DENIED": ("403", "access_denied"),
    "INVALID_API_KEY": ("403", "invalid_api_key"),
    "THROTTLED": ("429", "throttled"),
    "QUOTA_EXCEEDED": ("429", "quota_exceeded"),
    "BAD_REQUEST_BODY": ("400", "invalid_body"),
    "BAD_REQUEST_PARAMETERS": ("400", "invalid_parameters"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type"),
    "REQUEST_TOO_LARGE": ("413", "request_too_large"),
    "INTEGRATION_TIMEOUT": ("504", "timeout"),
}


def _definition(packaged: Packaged) -> dict[str, Any]:
    body: dict[str, Any] = packaged.properties("RestAPI")["DefinitionBody"]
    return body


def _methods(packaged: Packaged) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, operations in _definition(packaged)["paths"].items()
        for method, operation in operations.items()
    }


@pytest.fixture(scope="module")
def cognito_with_cors(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("cognito") / "out"
    return build_template(out, API_AUTH="cognito", COGNITO_USER_POOL_ARN=POOL, CORS_ORIGINS=ORIGIN)


def test_with_no_options_every_api_method_needs_an_api_key(packaged: Packaged) -> None:
    methods = _methods(packaged)
    assert ("/api/research/{idrssd}/job-status", "get") in methods
    for (path, method), operation in methods.items():
        if path in OPEN_PATHS or not path.startswith("/api/"):
            assert "security" not in operation, f"{method} {path} should stay open"
        else:
            assert operation["security"] == [{"api_key": []}], f"{method} {path}"
    scheme = _definition(packaged)["securityDefinitions"]["api_key"]
    assert scheme == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    variables = packaged.properties("APIHandler")["Environment"]["Variables"]
    assert variables["API_AUTH"] == "api_key"  # the function imports the app as packaged


def test_with_cognito_every_api_method_has_the_authorizer(cognito_with_cors: Packaged) -> None:
    for (path, method), operation in _methods(cognito_with_cors).items():
        if method == "options":
            assert "security" not in operation  # a CORS preflight carries no credentials
        elif path in OPEN_PATHS or not path.startswith("/api/"):
            assert "security" not in operation, f"{method} {path} should stay open"
        else:
            assert operation["security"] == [{"CognitoUsers": []}], f"{method} {path}"
    scheme = _definition(cognito_with_cors)["securityDefinitions"]["CognitoUsers"]
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [POOL]
    variables = cognito_with_cors.properties("APIHandler")["Environment"]["Variables"]
    assert variables["API_AUTH"] == "cognito" and variables["COGNITO_USER_POOL_ARN"] == POOL


def test_no_cors_unless_configured(packaged: Packaged) -> None:
    assert [key for key in _methods(packaged) if key[1] == "options"] == []
    assert "Access-Control" not in json.dumps(_definition(packaged))
    assert "CORS_ORIGINS" not in packaged.properties("APIHandler")["Environment"]["Variables"]


def test_a_configured_origin_gets_cors_on_every_route(cognito_with_cors: Packaged) -> None:
    methods = _methods(cognito_with_cors)
    paths = {path for path, _ in methods}
    preflights = {path for path, method in methods if method == "options"}
    assert preflights == paths
    answer = methods[("/api/banks", "options")]["x-amazon-apigateway-integration"]["responses"]
    headers = answer["default"]["responseParameters"]
    origin = headers["method.response.header.Access-Control-Allow-Origin"]
    assert origin == f"'{ORIGIN}'"
    assert "X-Api-Key" in headers["method.response.header.Access-Control-Allow-Headers"]
    variables = cognito_with_cors.properties("APIHandler")["Environment"]["Variables"]
    assert variables["CORS_ORIGINS"] == ORIGIN  # so that its answers carry the same headers


def test_packaging_an_open_api_says_so_in_a_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devstack.package", str(tmp_path / "out")],
        cwd=PROJECT,
        env=packaging_env(API_AUTH="none"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert package.OPEN_API_WARNING in result.stderr
    template = json.loads((tmp_path / "out" / "sam.json").read_text(encoding="utf-8"))
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert all("security" not in op for ops in paths.values() for op in ops.values())


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"API_AUTH": "basic"}, "API_AUTH must be one of"),
        ({"API_AUTH": "cognito"}, "set COGNITO_USER_POOL_ARN"),
        ({"CORS_ORIGINS": "*"}, "is not an origin"),
        ({"CORS_ORIGINS": f"{ORIGIN},https://b.example.com"}, "one origin only"),
    ],
)
def test_a_bad_setting_stops_packaging_with_a_sentence(
    env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    for name, value in packaging_env(**env).items():
        monkeypatch.setenv(name, value)
    assert package.main([str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert says in error and error.strip().endswith(".")
    assert not (tmp_path / "out").exists()  # stopped before packaging


@pytest.mark.parametrize("response_type", sorted(GATEWAY_RESPONSES))
def test_every_gateway_response_answers_the_error_shape(
    packaged: Packaged, response_type: str
) -> None:
    responses = _definition(packaged)["x-amazon-apigateway-gateway-responses"]
    response = responses[response_type]
    status, code = GATEWAY_RESPONSES[response_type]
    assert response.get("statusCode") == status
    (media_type,) = response["responseTemplates"]
    assert media_type == "application/json"
    body = json.loads(response["responseTemplates"][media_type])  # no template variables
    assert set(body) - {"detail"} == {"error", "code"} and body["code"] == code
    # The sentence is for people (the page may show it); what a client can do is detail.
    assert body["error"].endswith(".") and 15 < len(body["error"]) < 120
    assert not OPERATOR_TEXT.search(body["error"]), body["error"]
    assert "header" not in body["error"] and "/api" not in body["error"]
    assert body.get("detail", ".").endswith(".")
    assert response["responseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == (
        "'nosniff'"
    )


def test_only_the_listed_gateway_responses_exist(packaged: Packaged) -> None:
    assert set(_definition(packaged)["x-amazon-apigateway-gateway-responses"]) == set(
        GATEWAY_RESPONSES
    )


def test_an_unknown_route_reads_as_a_wrong_address_to_the_cli() -> None:
    assert GATEWAY_RESPONSES["MISSING_AUTHENTICATION_TOKEN"] == ("404", "unknown_route")
    assert "unknown_route" in NO_ROUTE_CODES


def test_throttled_clients_are_told_when_to_come_back(packaged: Packaged) -> None:
    throttled = _definition(packaged)["x-amazon-apigateway-gateway-responses"]["THROTTLED"]
    assert throttled["responseParameters"]["gatewayresponse.header.Retry-After"] == "'2'"
