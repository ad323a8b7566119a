"""The OpenAPI document: data that follows the routes, the job's field table and the
protection the app was imported with. (That every route is documented and every
documented path is a route: tests/api/test_jobs.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import documents
from chalicelib.api import openapi
from chalicelib.jobs.model import API_FIELDS, Job, JobType, Status
from chalicelib.podcasts.document import PodcastDocument
from chalicelib.reports.document import ReportDocument
from tests.fakes import T0
from tests.fresh_app import printed_by_app

OPEN_PATHS = {
    "/",
    "/assets/{name}",
    "/api/openapi.json",
    "/api/podcast/experts",
    "/api/auth/config",
    "/api/health",
}
DOCUMENT = openapi.openapi_document()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_is_json_and_every_reference_resolves() -> None:
    json.dumps(DOCUMENT)
    for ref in _refs(DOCUMENT):
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in DOCUMENT["components"][kind], ref


def test_the_job_schema_is_the_field_table() -> None:
    schema = DOCUMENT["components"]["schemas"]["Job"]
    assert list(schema["properties"]) == [spec.api for spec in API_FIELDS]
    assert schema["required"] == list(schema["properties"])
    for spec in API_FIELDS:
        field = schema["properties"][spec.api]
        assert field["description"] == spec.description
        assert ("null" in field["type"]) is spec.nullable, spec.api
        if spec.enum:
            assert field["enum"] == [str(value) for value in spec.enum]
    assert schema["properties"]["status"]["enum"] == [str(status) for status in Status]
    assert schema["properties"]["progress"]["maximum"] == 100


def test_the_report_and_podcast_schemas_are_their_documents_keys() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    for name, document, served in (
        ("Report", ReportDocument, []),
        ("Podcast", PodcastDocument, ["audioUrl", "audioSrc", "downloadSrc"]),
    ):
        described = documents.keys(document)
        assert list(schemas[name]["properties"]) == [key.api for _, key in described] + served
        for _, key in described:
            assert schemas[name]["properties"][key.api] == key.schema
            assert (key.api in schemas[name]["required"]) is key.required, key.api


def test_a_document_is_stored_under_its_api_names() -> None:
    report = ReportDocument(
        "9900001", {}, "20241231", "2025-01-01T00:00:00Z", "j", "template", None, True,
        [], {}, {}, {}, [], [],
    )  # fmt: skip
    stored = documents.to_api(report)
    assert list(stored) == list(DOCUMENT["components"]["schemas"]["Report"]["properties"])
    assert stored["asOf"] == "20241231" and stored["model"] is None


def test_a_job_as_the_api_shows_it_has_exactly_the_schemas_fields() -> None:
    job = Job("j", "9900001", JobType.REPORT, Status.RUNNING, 5, "load", "m", 1, T0, T0, 0)
    assert set(job.to_api()) == set(DOCUMENT["components"]["schemas"]["Job"]["properties"])


def test_every_api_operation_documents_refused_credentials_limits_and_busy() -> None:
    for path, method, operation in _operations():
        responses = operation["responses"]
        if path in OPEN_PATHS:
            assert operation["security"] == [], f"{method} {path} is open"
            continue
        assert "security" not in operation, f"{method} {path} follows the document's"
        for status in ("401", "403", "429", "503"):
            assert status in responses, f"{method} {path} lacks {status}"
        for status, response in responses.items():
            if status >= "400":
                target = response.get("$ref", "")
                shape = (
                    response
                    if not target
                    else DOCUMENT["components"]["responses"][target.rsplit("/", 1)[1]]
                )
                schema = shape["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_cancel_documents_not_your_job_and_starts_their_limit() -> None:
    cancel = DOCUMENT["paths"]["/api/research/{idrssd}/job"]["delete"]["responses"]
    assert "not_your_job" in cancel["403"]["description"]
    limits = DOCUMENT["components"]["responses"]["TooManyRequests"]
    assert "rate_limited" in limits["description"] and "Retry-After" in limits["headers"]
    assert "Retry-After" in DOCUMENT["components"]["responses"]["Busy"]["headers"]


@pytest.mark.parametrize(
    ("env", "security"),
    [
        # people sign in (a token), programs send their own key (at the programs' API)
        ({}, [{"cognito": []}, {"apiKey": []}]),
        ({"API_AUTH": "api_key"}, [{"apiKey": []}]),
        (
            {
                "API_AUTH": "cognito",
                "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:us-east-1:123456789012:"
                "userpool/us-east-1_AbCdEf123",
            },
            [{"cognito": []}, {"apiKey": []}],
        ),
        ({"API_AUTH": "none"}, []),
    ],
)
def test_the_documents_security_is_the_mode_the_app_was_imported_with(
    env: dict[str, str], security: list[dict[str, list[str]]]
) -> None:
    script = "import json, app; print(json.dumps(app.openapi_document()['security']))"
    assert printed_by_app(script, env) == security
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert (
        schemes["apiKey"]["name"] == "x-api-key" and schemes["cognito"]["name"] == "Authorization"
    )
