"""The Bedrock script writer against botocore's Stubber (moto has no Converse)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.bedrock import THROTTLE_PATIENCE_SECONDS, Converse
from chalicelib.experts import expert_by_id
from chalicelib.podcasts.bedrock_writer import BedrockScriptWriter
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.errors import ScriptError
from tests.fakes import converse_answer, stubbed_bedrock
from tests.podcasts.test_template_script import report_from

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
EXPERTS = [e for e in (expert_by_id("credit"), expert_by_id("capital")) if e is not None]
SENTENCE = "The bank's return on assets is 0.95 percent, above its peers this quarter. " * 6


def script(*speakers: str, text: str = SENTENCE) -> str:
    return json.dumps({"lines": [{"speaker": s, "text": text} for s in speakers]})


GOOD = script("host", "credit", "capital", "credit", "capital", "host", "credit", "host")


@pytest.fixture
def brief(strong: Any) -> PodcastBrief:
    return PodcastBrief.from_report(report_from(strong))


@pytest.fixture
def bedrock() -> Any:
    with stubbed_bedrock() as stubbed:
        yield stubbed


def writer_for(client: Any, sleeps: list[float] | None = None) -> BedrockScriptWriter:
    record = sleeps if sleeps is not None else []
    return BedrockScriptWriter(Converse(lambda: client, MODEL, sleep=record.append))


def test_a_good_answer_becomes_the_script(bedrock: Any, brief: PodcastBrief) -> None:
    client, stubber = bedrock
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.bedrock-runtime.Converse", lambda params, **_: sent.append(params)
    )
    stubber.add_response("converse", converse_answer("Here it is:\n```json\n" + GOOD + "\n```"))
    result = writer_for(client).write(brief, EXPERTS)
    assert [line.speaker for line in result.lines][:3] == ["host", "credit", "capital"]
    assert result.writer == "bedrock" and result.model == MODEL
    prompt = sent[0]["messages"][0]["content"][0]["text"]
    data = json.loads(prompt.split("Data:\n", 1)[1])
    assert data["metrics_percent"]["roa"] == brief.facts.metric("roa")
    assert [e["id"] for e in data["experts"]] == ["credit", "capital"]
    assert data["synthetic"] is True and "synthetic" in prompt.split("Data:")[0]
    assert "executive_summary" in data["report_sections"]


def test_throttling_is_retried_with_backoff(bedrock: Any, brief: PodcastBrief) -> None:
    client, stubber = bedrock
    stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    stubber.add_client_error("converse", "ServiceUnavailableException", http_status_code=503)
    stubber.add_response("converse", converse_answer(GOOD))
    sleeps: list[float] = []
    assert len(writer_for(client, sleeps).write(brief, EXPERTS).lines) == 8
    assert sleeps == [2.0, 4.0]


def test_throttling_that_never_ends_fails_with_a_sentence(
    bedrock: Any, brief: PodcastBrief
) -> None:
    client, stubber = bedrock
    # Throttles are waited out for THROTTLE_PATIENCE_SECONDS, then tried MAX_ATTEMPTS times.
    for _ in range(50):
        stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    sleeps: list[float] = []
    with pytest.raises(ScriptError, match="busy"):
        writer_for(client, sleeps).write(brief, EXPERTS)
    assert sum(sleeps) >= THROTTLE_PATIENCE_SECONDS


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("I cannot help with that.", "expected form"),
        ('{"lines": "nope"}', "expected form"),
        ('{"lines": [{"speaker": "host"}]}', "expected form"),
        (script("host", "credit", "markets", "capital", "host"), "not on the panel"),
        (script("host", "credit", "host"), "Raj Mehta never speaks"),
        (script("credit", "capital", "host"), "host does not open"),
        (script("host", "credit", "capital", "host", text="Hi."), "words long"),
        (json.dumps({"lines": [{"speaker": "host", "text": SENTENCE}, {"speaker": "credit",
          "text": "  "}, {"speaker": "capital", "text": SENTENCE}, {"speaker": "host",
          "text": SENTENCE}]}), "empty"),
    ],
)  # fmt: skip
def test_unusable_scripts_fail_with_a_sentence(
    bedrock: Any, brief: PodcastBrief, text: str, needle: str
) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", converse_answer(text))
    with pytest.raises(ScriptError, match=needle) as failure:
        writer_for(client).write(brief, EXPERTS)
    assert failure.value.message.endswith(".")


def test_a_cut_off_answer_is_refused(bedrock: Any, brief: PodcastBrief) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", converse_answer(GOOD, stop="max_tokens"))
    with pytest.raises(ScriptError, match="cut off"):
        writer_for(client).write(brief, EXPERTS)


def test_access_denied_says_what_to_do(bedrock: Any, brief: PodcastBrief) -> None:
    client, stubber = bedrock
    stubber.add_client_error("converse", "AccessDeniedException", http_status_code=403)
    with pytest.raises(ScriptError, match="not allowed to use its AI model") as failure:
        writer_for(client).write(brief, EXPERTS)
    assert "enable model access in Amazon Bedrock" in (failure.value.detail or "")
