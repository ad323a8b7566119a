"""Secure by default, in the packaged template: people sign in (a Cognito authorizer on
every non-public /api route) and programs send their own key to the programs' API unless
the deployer chooses otherwise, every answer API Gateway gives by itself is the API's
error shape, and CORS exists only when configured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bank_research_cli.api import NO_ROUTE_CODES
from chalicelib.api.auth import PUBLIC_ROUTES
from deploy import package
from tests.deploy.conftest import Packaged, build_template, packaging_env
from tests.test_error_words import OPERATOR_TEXT

POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
ORIGIN = "https://research.example.com"
OPEN_PATHS = {"/", "/assets/{name}", *PUBLIC_ROUTES}
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


def _definition(packaged: Packaged, api: str = "RestAPI") -> dict[str, Any]:
    body: dict[str, Any] = packaged.properties(api)["DefinitionBody"]
    return body


def _methods(packaged: Packaged, api: str = "RestAPI") -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, operations in _definition(packaged, api)["paths"].items()
        for method, operation in operations.items()
    }


def _assert_protected(
    methods: dict[tuple[str, str], dict[str, Any]], security: list[dict[str, list[str]]]
) -> None:
    assert ("/api/research/{idrssd}/job-status", "get") in methods
    for (path, method), operation in methods.items():
        if method == "options":
            assert "security" not in operation  # a CORS preflight carries no credentials
        elif path in OPEN_PATHS or not path.startswith("/api/"):
            assert "security" not in operation, f"{method} {path} should stay open"
        else:
            assert operation["security"] == security, f"{method} {path}"


@pytest.fixture(scope="module")
def cognito_with_cors(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("cognito") / "out"
    return build_template(out, API_AUTH="cognito", COGNITO_USER_POOL_ARN=POOL, CORS_ORIGINS=ORIGIN)


@pytest.fixture(scope="module")
def keys_only(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return build_template(tmp_path_factory.mktemp("keys") / "out", API_AUTH="api_key")


def test_with_no_options_people_sign_in_on_every_non_public_route(packaged: Packaged) -> None:
    _assert_protected(_methods(packaged), [{"CognitoUsers": []}])
    scheme = _definition(packaged)["securityDefinitions"]["CognitoUsers"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer == {
        "type": "cognito_user_pools",
        "providerARNs": [{"Fn::GetAtt": ["UserPool", "Arn"]}],  # the stack's own pool
    }
    assert scheme["name"] == "Authorization"
    assert "api_key" not in _definition(packaged)["securityDefinitions"]
    variables = packaged.properties("APIHandler")["Environment"]["Variables"]
    assert variables["API_AUTH"] == "cognito"  # the function imports the app as packaged
    assert variables["COGNITO_USER_POOL_ID"] == {"Ref": "UserPool"}
    assert variables["COGNITO_CLIENT_ID"] == {"Ref": "UserPoolClient"}


def test_with_no_options_programs_send_their_own_key_to_the_programs_api(
    packaged: Packaged,
) -> None:
    methods = _methods(packaged, "ProgramsAPI")
    _assert_protected(methods, [{"api_key": []}])
    assert {path for path, _ in methods} == {
        path for path, _ in _methods(packaged) if path.startswith("/api/")
    }  # the same routes, the page aside
    assert _definition(packaged, "ProgramsAPI")["securityDefinitions"] == {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
    }
    for (path, method), operation in methods.items():
        people = _methods(packaged)[(path, method)]
        assert (
            operation["x-amazon-apigateway-integration"]
            == (people["x-amazon-apigateway-integration"])
        )  # one function behind both doors
    permission = packaged.properties("ProgramsAPIInvokePermission")
    assert permission["FunctionName"] == {"Ref": "APIHandler"}
    assert permission["SourceArn"]["Fn::Sub"][1] == {"RestAPIId": {"Ref": "ProgramsAPI"}}
    variables = packaged.properties("APIHandler")["Environment"]["Variables"]
    assert variables["PROGRAMS_API_ID"] == {"Ref": "ProgramsAPI"}
    outputs = packaged.template["Outputs"]
    assert outputs["ProgramsRestApiId"]["Value"] == {"Ref": "ProgramsAPI"}
    assert "${ProgramsAPI}" in outputs["ProgramsEndpointURL"]["Value"]["Fn::Sub"]


def test_with_api_key_every_api_method_needs_a_programs_key_and_no_one_signs_in(
    keys_only: Packaged,
) -> None:
    _assert_protected(_methods(keys_only), [{"api_key": []}])
    assert not keys_only.of_type("AWS::Cognito::UserPool")
    assert "ProgramsAPI" not in keys_only.resources
    variables = keys_only.properties("APIHandler")["Environment"]["Variables"]
    assert variables["API_AUTH"] == "api_key"
    assert variables["PROGRAMS_API_ID"] == {"Ref": "RestAPI"}  # keys are for this API


def test_with_cognito_every_api_method_has_the_authorizer(cognito_with_cors: Packaged) -> None:
    _assert_protected(_methods(cognito_with_cors), [{"CognitoUsers": []}])
    scheme = _definition(cognito_with_cors)["securityDefinitions"]["CognitoUsers"]
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [POOL]
    variables = cognito_with_cors.properties("APIHandler")["Environment"]["Variables"]
    assert variables["API_AUTH"] == "cognito" and variables["COGNITO_USER_POOL_ARN"] == POOL


def test_a_named_pool_gets_the_stacks_app_client_and_no_second_pool(
    cognito_with_cors: Packaged,
) -> None:
    assert not cognito_with_cors.of_type("AWS::Cognito::UserPool")
    assert "AdminsGroup" not in cognito_with_cors.resources
    client = cognito_with_cors.properties("UserPoolClient")
    assert client["UserPoolId"] == "us-east-1_AbCdEf123"
    variables = cognito_with_cors.properties("APIHandler")["Environment"]["Variables"]
    assert variables["COGNITO_USER_POOL_ID"] == "us-east-1_AbCdEf123"
    assert package.lint(cognito_with_cors.path, "us-east-1").returncode == 0


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
        [sys.executable, "-m", "deploy.package", str(tmp_path / "out")],
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
        ({"COGNITO_USER_POOL_ARN": "us-east-1_AbC"}, "is not a Cognito user pool ARN"),
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
