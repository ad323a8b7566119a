"""Command-line parsing: options, environment variables, credentials, request shapes."""

from __future__ import annotations

import pytest

from bank_research_cli.transport import Response
from tests.cli.support import BASE, FakeTransport, answer, job, run

START = "POST /api/research/9900001/generate-background"
BANKS = {"banks": [], "count": 0}


def started(kind: str = "report") -> Response:
    return answer(202, {"created": True, "hasJob": True, "job": job("pending", 0, type=kind)})


@pytest.mark.parametrize(
    "argv",
    [
        ["--base-url", "http://other.test:9000/api/", "--json", "banks", "x"],
        ["banks", "x", "--base-url", "http://other.test:9000/api", "--json"],
    ],
)
def test_connection_options_go_before_or_after_the_command(argv: list[str]) -> None:
    transport = FakeTransport({"GET http://other.test:9000/api/api/banks?q=x": answer(200, BANKS)})
    result = run(argv, transport)
    assert result.code == 0 and result.json() == BANKS


def test_the_environment_names_the_service_and_its_credentials() -> None:
    transport = FakeTransport({"GET http://env.test/api/banks?q=x": answer(200, BANKS)})
    env = {
        "BANK_RESEARCH_URL": "http://env.test",
        "BANK_RESEARCH_API_KEY": "key-from-env",
        "BANK_RESEARCH_TOKEN": "token-from-env",
    }
    assert run(["banks", "x"], transport, env=env).code == 0
    (sent,) = transport.sent
    assert sent.header("x-api-key") == "key-from-env"
    assert sent.header("Authorization") == "token-from-env"


def test_options_win_over_the_environment() -> None:
    transport = FakeTransport({"GET http://flag.test/api/banks?q=x": answer(200, BANKS)})
    env = {"BANK_RESEARCH_URL": "http://env.test", "BANK_RESEARCH_API_KEY": "env-key"}
    argv = ["banks", "x", "--base-url", "http://flag.test", "--api-key", "flag-key"]
    assert run(argv, transport, env=env).code == 0
    assert transport.sent[0].header("x-api-key") == "flag-key"


def test_no_credentials_are_sent_when_none_are_given() -> None:
    transport = FakeTransport({"GET /api/banks?q=x": answer(200, BANKS)})
    assert run(["banks", "x"], transport).code == 0
    assert transport.sent[0].header("x-api-key") is None
    assert transport.sent[0].header("Authorization") is None


def test_the_default_address_is_the_local_stack() -> None:
    transport = FakeTransport({"GET http://127.0.0.1:8000/api/banks?q=x": answer(200, BANKS)})
    assert run(["banks", "x"], transport, env={}).code == 0


def test_a_query_of_several_words_is_one_search() -> None:
    transport = FakeTransport({"GET /api/banks?q=first%20national": answer(200, BANKS)})
    assert run(["banks", "first", "national"], transport).code == 0


def test_a_report_start_posts_an_empty_json_object() -> None:
    transport = FakeTransport({START: started()})
    assert run(["report", "9900001"], transport).code == 0
    (sent,) = transport.sent
    assert sent.json() == {} and sent.header("Content-Type") == "application/json"


def test_a_podcast_start_sends_the_experts_as_a_list() -> None:
    path = "POST /api/research/9900001/podcast/generate-background"
    transport = FakeTransport({path: started("podcast")})
    assert run(["podcast", "9900001", "--experts", "credit, capital,"], transport).code == 0
    assert transport.sent[0].json() == {"experts": ["credit", "capital"]}


def test_an_rssd_id_stays_one_path_segment_whatever_is_typed() -> None:
    refusal = answer(400, {"error": "'1/../x' is not an RSSD ID.", "code": "invalid_idrssd"})
    transport = FakeTransport({"GET /api/research/1%2F..%2Fx/report": refusal})
    result = run(["get", "report", "1/../x"], transport)
    assert result.code == 1 and result.stderr == "'1/../x' is not an RSSD ID.\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["podcast", "9900001"],  # --experts is required
        ["cancel", "9900001"],  # --type is required
        ["status", "9900001", "--type", "video"],
        ["get", "video", "9900001"],
        ["report"],
        ["banks", "x", "--timeout", "0"],
        ["banks", "x", "--timeout", "soon"],
        [],
    ],
)
def test_a_bad_command_line_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(argv, FakeTransport())
    assert stopped.value.code == 2
    assert "usage: bank-research" in capsys.readouterr().err


def test_waiting_on_a_status_needs_a_type() -> None:
    transport = FakeTransport()
    result = run(["status", "9900001", "--wait"], transport)
    assert result.code == 2 and transport.sent == []
    assert result.stderr == "Say which job to watch: add --type report or --type podcast.\n"


def test_json_and_a_text_format_need_a_file() -> None:
    result = run(["get", "report", "9900001", "--format", "markdown", "--json"], FakeTransport())
    assert result.code == 2 and "-o FILE" in result.stderr


def test_a_base_url_that_is_not_a_web_address_is_refused_in_a_sentence() -> None:
    transport = FakeTransport()
    result = run(["banks", "x", "--base-url", "127.0.0.1:8000"], transport)
    assert result.code == 2 and transport.sent == []
    assert result.stderr.count("\n") == 1 and "is not a web address" in result.stderr


def test_help_documents_the_json_shapes_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(["--help"], FakeTransport())
    assert stopped.value.code == 0
    text = capsys.readouterr().out
    for needle in ("BANK_RESEARCH_URL", "exit codes:", '"outcome"', "watching_stopped", "130"):
        assert needle in text
    assert BASE not in text
