"""Failures read as one sentence on stderr, with exit 2 when there is no usable API."""

from __future__ import annotations

from typing import Any

import pytest

from bank_research_cli.transport import Unreachable
from tests.cli.support import FakeTransport, Sent, answer, run

SEARCH = "GET /api/banks?q=x"


def one_sentence(text: str) -> bool:
    return text.count("\n") == 1 and text.endswith(".\n") and "Traceback" not in text


def unreachable(request: Sent) -> Any:
    raise Unreachable("the connection was refused")


def test_an_unreachable_server_is_one_sentence_and_exit_2() -> None:
    result = run(["banks", "x"], FakeTransport({SEARCH: unreachable}))
    assert result.code == 2 and result.stdout == ""
    assert one_sentence(result.stderr)
    assert result.stderr.startswith(
        "Could not reach the Bank Research API at http://api.test: the connection was refused;"
    )


def test_a_path_the_gateway_does_not_have_means_a_wrong_base_url() -> None:
    gateway = answer(
        403, {"message": "Missing Authentication Token"}, x_amzn_errortype="UnauthorizedException"
    )
    result = run(["banks", "x"], FakeTransport({SEARCH: gateway}))
    assert result.code == 2 and one_sentence(result.stderr)
    assert "answered, but not as the Bank Research API does (HTTP 403" in result.stderr
    assert "--base-url" in result.stderr


@pytest.mark.parametrize(
    "wrong",
    [
        answer(404, b"<html>Not found</html>", content_type="text/html"),
        answer(200, b"<html>Welcome to nginx</html>", content_type="text/html"),
        answer(404, b"<Error><Code>NoSuchBucket</Code></Error>", content_type="application/xml"),
        answer(200, {"something": "else"}),
    ],
    ids=["html-404", "html-200", "storage-xml", "other-json"],
)
def test_a_server_that_is_not_this_api_is_one_sentence_and_exit_2(wrong: Any) -> None:
    result = run(["banks", "x"], FakeTransport({SEARCH: wrong}))
    assert result.code == 2 and one_sentence(result.stderr) and "--base-url" in result.stderr


@pytest.mark.parametrize(
    ("argv", "status", "expected"),
    [
        ([], 403, "needs credentials; pass --api-key"),
        (["--api-key", "wrong"], 403, "refused the API key; check --api-key"),
        (["--token", "expired"], 401, "refused the token; sign in again"),
    ],
)
def test_refused_credentials_are_one_sentence_and_exit_2(
    argv: list[str], status: int, expected: str
) -> None:
    gateway = answer(status, {"message": "Forbidden" if status == 403 else "Unauthorized"})
    result = run(["banks", "x", *argv], FakeTransport({SEARCH: gateway}))
    assert result.code == 2 and one_sentence(result.stderr)
    assert expected in result.stderr and "wrong" not in result.stderr  # never echo a secret


def test_a_refusal_in_the_apis_own_words_keeps_them_and_exits_2() -> None:
    refusal = answer(403, {"error": "This API key is not valid for this API.", "code": "forbidden"})
    result = run(["banks", "x", "--api-key", "k", "--json"], FakeTransport({SEARCH: refusal}))
    assert result.code == 2
    assert result.stderr == "This API key is not valid for this API.\n"
    assert result.json() == {
        "error": "This API key is not valid for this API.",
        "code": "forbidden",
        "status": 403,
    }


def test_a_forbidden_cancel_of_someone_elses_job_is_the_apis_sentence_and_exit_1() -> None:
    refusal = answer(
        403,
        {"error": "Only the person who started this job may cancel it.", "code": "not_your_job"},
    )
    transport = FakeTransport({"DELETE /api/research/9900001/job?type=report": refusal})
    result = run(["cancel", "9900001", "--type", "report"], transport)
    assert (result.code, result.stderr) == (
        1,
        "Only the person who started this job may cancel it.\n",
    )


def test_an_api_error_prints_its_sentence_and_exits_1() -> None:
    no_data = {
        "error": "No financial data is loaded for JPMorgan Chase Bank, National Association.",
        "code": "no_data",
    }
    transport = FakeTransport(
        {"POST /api/research/852218/generate-background": answer(409, no_data)}
    )
    result = run(["report", "852218", "--wait"], transport)
    assert (result.code, result.stdout, result.stderr) == (1, "", no_data["error"] + "\n")
    as_json = run(["report", "852218", "--json"], transport)
    assert as_json.json() == {**no_data, "status": 409}


def test_a_busy_answer_to_one_command_is_retried_after_its_retry_after() -> None:
    busy = answer(503, {"error": "The service is busy.", "code": "busy"}, retry_after="3")
    transport = FakeTransport({SEARCH: [busy, answer(200, {"banks": [], "count": 0})]})
    result = run(["banks", "x"], transport)
    assert result.code == 0 and result.sleeps == [3.0] and len(transport.sent) == 2


def test_a_busy_service_is_given_up_on_after_three_tries() -> None:
    busy = answer(
        503, {"error": "The service is busy; try again shortly.", "code": "busy"}, retry_after="1"
    )
    transport = FakeTransport({SEARCH: busy})
    result = run(["banks", "x"], transport)
    assert result.code == 1 and result.sleeps == [1.0, 1.0] and len(transport.sent) == 3
    assert result.stderr == "The service is busy; try again shortly.\n"


def test_a_long_retry_after_is_reported_not_slept_through() -> None:
    limited = answer(
        429,
        {"error": "Too many new jobs; try again in a minute.", "code": "rate_limited"},
        retry_after="60",
    )
    transport = FakeTransport({"POST /api/research/9900001/generate-background": limited})
    result = run(["report", "9900001"], transport)
    assert result.code == 1 and result.sleeps == []
    assert result.stderr == "Too many new jobs; try again in a minute.\n"


def test_a_gateway_fault_without_the_api_shape_is_a_sentence_and_exit_1() -> None:
    fault = answer(502, {"message": "Internal server error"})
    result = run(["banks", "x"], FakeTransport({SEARCH: fault}))
    assert result.code == 1 and one_sentence(result.stderr) and "HTTP 502" in result.stderr
