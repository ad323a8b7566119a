"""Every sentence the API and the jobs show people is written for them: no command, route,
backtick, setting or internal name. What an operator or an API client can do instead goes
to the error's ``detail`` (the error body, a failed job's log line), which the page never
shows (issue: the research desk, "Words for people")."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator

import pytest

import chalicelib
from chalicelib import http
from chalicelib.errors import DomainError
from chalicelib.experts import PANEL
from chalicelib.jobs import pipelines, rules, service, worker
from chalicelib.podcasts import bedrock_writer as podcast_bedrock
from chalicelib.podcasts import errors as podcast_errors
from chalicelib.podcasts import pipeline as podcast_pipeline
from chalicelib.podcasts import polly
from chalicelib.reports import bedrock_writer as report_bedrock
from chalicelib.reports.sections import SECTIONS
from tests.api_support import Api, api_under_test
from tests.fakes import put_bank
from tests.moto_account import Aws

# A command (`make …`), a route or an HTTP verb with a path, Markdown code, a setting's
# name (VOICE_ENGINE, BEDROCK_MODEL_ID=…), the machinery's names.
OPERATOR_TEXT = re.compile(
    r"`|\bmake |/api/|\b(?:POST|GET|DELETE|PUT) |\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"
    r"|\bworkers?\b|\bLambda\b|\bDynamoDB\b|\bS3\b|\bpip\b|apt-get|Traceback",
)
BANK, NO_DATA, UNKNOWN = "9900001", "9900002", "9900099"
JOB_ID = "01a0c450-6c00-7000-8000-000000000000"
ARGUMENTS = {"idrssd": BANK, "name": "Test Bank (SYNTHETIC)", "job_id": JOB_ID, "batch_id": JOB_ID}


def for_people(sentence: str) -> bool:
    return (
        bool(sentence.strip())
        and sentence.rstrip().endswith(".")
        and (OPERATOR_TEXT.search(sentence) is None)
    )


def domain_errors() -> Iterator[type[DomainError]]:
    """Every ``DomainError`` class the service defines (every chalicelib module imported)."""
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    seen: set[type[DomainError]] = set()
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen and sub.__module__.startswith("chalicelib."):
                seen.add(sub)
                pending.append(sub)
    yield from sorted(seen, key=lambda cls: cls.__qualname__)


def own_sentences(cls: type[DomainError]) -> list[DomainError]:
    """The errors a class words itself (its ``__init__`` takes no message), each variant."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    names = [parameter.name for parameter in parameters]
    if "message" in names:
        return []  # worded where raised: the constants and routes below cover those
    required = {p.name: ARGUMENTS[p.name] for p in parameters if p.default is p.empty}
    variants = [cls(**required)]
    optional = [p.name for p in parameters if p.default is not p.empty and p.name in ARGUMENTS]
    if optional:
        variants.append(cls(**required, **{name: ARGUMENTS[name] for name in optional}))
    return variants


@pytest.mark.parametrize("cls", list(domain_errors()), ids=lambda cls: cls.__name__)
def test_errors_that_word_themselves_speak_to_people(cls: type[DomainError]) -> None:
    for error in own_sentences(cls):
        assert for_people(error.message), error.message
        assert error.detail is None or error.detail != error.message


def job_sentences() -> list[str]:
    """What a failed, cancelled or running job can say, as the job modules word it."""
    by_type = [rules.NOT_STARTED, rules.WORKER_LOST, rules.RETRIES_EXHAUSTED, rules.BUSY]
    sentences = [sentence for table in by_type for sentence in table.values()]
    sentences += [*worker.UNEXPECTED.values(), *pipelines.NOT_AVAILABLE.values()]
    sentences += [*rules.CANCELLED.values(), service.COULD_NOT_START, podcast_pipeline.REPORT_GONE]
    sentences += [
        value
        for name, value in vars(podcast_errors).items()
        if name.startswith("VOICE") and isinstance(value, str)
    ]
    return sentences


@pytest.mark.parametrize("sentence", job_sentences())
def test_job_sentences_speak_to_people(sentence: str) -> None:
    assert for_people(sentence), sentence


def test_job_progress_messages_have_no_internal_words() -> None:
    messages = [rules.QUEUED_MESSAGE, rules.STARTING_MESSAGE, rules.RETRYING_MESSAGE]
    messages += list(pipelines.DONE_MESSAGE.values())
    assert [message for message in messages if OPERATOR_TEXT.search(message)] == []


SERVICE_CODES = [
    "ThrottlingException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "ValidationException",
    "ResourceNotFoundException",
    "EngineNotSupportedException",
    "SomethingNew",
]


@pytest.mark.parametrize("code", SERVICE_CODES)
def test_refusals_of_the_voice_and_model_services_keep_their_detail_apart(code: str) -> None:
    errors = [
        polly.refusal(code, PANEL[0].voice),
        report_bedrock._refusal(code, SECTIONS[0]),
        podcast_bedrock._refusal(code),
    ]
    for error in errors:
        assert for_people(error.message), error.message
        assert error.detail and code in error.detail  # the operator learns what was said


# The routes ------------------------------------------------------------------------------


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    put_bank(aws.banks_table, BANK)
    put_bank(aws.banks_table, NO_DATA, "Known By Name Only", quarters=0)
    with api_under_test(aws) as under_test:
        yield under_test


REFUSALS = [
    ("GET", f"/api/banks/{UNKNOWN}", "bank_not_found"),
    ("POST", f"/api/research/{UNKNOWN}/generate-background", "bank_not_found"),
    ("POST", f"/api/research/{NO_DATA}/generate-background", "no_data"),
    ("GET", f"/api/research/{BANK}/report", "no_report"),
    ("GET", f"/api/research/{BANK}/reports/{JOB_ID}", "no_report"),
    ("GET", f"/api/research/{BANK}/podcast", "no_podcast"),
    ("GET", f"/api/research/{BANK}/podcasts/{JOB_ID}", "no_podcast"),
    ("GET", f"/api/research/{BANK}/podcast/audio", "no_podcast"),
    ("POST", f"/api/research/{BANK}/podcast/generate-background", "report_required"),
    ("DELETE", f"/api/research/{BANK}/job?type=report", "no_active_job"),
    ("GET", "/api/research/abc/job-status?type=report", "invalid_idrssd"),
    ("GET", f"/api/research/{BANK}/job-status", "invalid_type"),
    ("GET", f"/api/research/{BANK}/reports/not-a-job", "invalid_job_id"),
    ("GET", "/api/research/recent?limit=0", "invalid_limit"),
    ("GET", "/api/research/recent?cursor=bm90IGpzb24", "invalid_cursor"),
    ("GET", "/api/banks?q=" + "x" * 200, "invalid_query"),
]


@pytest.mark.parametrize(("method", "path", "code"), REFUSALS, ids=[r[2] for r in REFUSALS])
def test_every_refusal_is_a_sentence_for_people(
    api: Api, method: str, path: str, code: str
) -> None:
    body = '{"experts": ["credit"]}' if "podcast/generate" in path else ""
    response = {"GET": api.get, "DELETE": api.delete}.get(method, lambda p: api.post(p, body))(path)
    data = json.loads(response.body)
    assert 400 <= response.status_code < 500 and data["code"] == code
    assert {"error", "code"} <= set(data) <= {"error", "code", "detail"}
    assert for_people(data["error"]), data["error"]


def test_what_an_api_client_can_do_is_the_detail(api: Api) -> None:
    no_report = json.loads(api.get(f"/api/research/{BANK}/report").body)
    assert no_report["detail"] == (
        f"Start one with POST /api/research/{BANK}/generate-background and follow "
        f"GET /api/research/{BANK}/job-status?type=report."
    )
    unknown = json.loads(api.get(f"/api/banks/{UNKNOWN}").body)
    assert "make import FFIEC=" in unknown["detail"]
    assert "detail" not in json.loads(api.get("/api/research/abc/report").body)


def test_the_error_schema_documents_the_detail() -> None:
    from chalicelib.openapi import openapi_document

    schema = openapi_document()["components"]["schemas"]["Error"]
    assert schema["required"] == ["error", "code"] and "detail" in schema["properties"]


def test_the_busy_and_internal_sentences_speak_to_people() -> None:
    import app

    assert for_people(http.BUSY_MESSAGE) and for_people(app.INTERNAL_ERROR)
