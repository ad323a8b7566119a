"""The Bedrock writer against botocore's Stubber (moto has no Converse)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import ANY

from chalicelib.bedrock import THROTTLE_PATIENCE_SECONDS, Converse
from chalicelib.reports.bedrock_writer import MAX_SECTION_CHARS, BedrockWriter
from chalicelib.reports.errors import WriterError
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.sections import SECTIONS
from tests.fakes import converse_answer, stubbed_bedrock

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
GOOD = "The bank earned an annualised return on assets of 0.95%, above its peers. " * 3


@pytest.fixture
def bedrock() -> Any:
    with stubbed_bedrock() as stubbed:
        yield stubbed


def writer_for(client: Any, sleeps: list[float] | None = None) -> BedrockWriter:
    record = sleeps if sleeps is not None else []
    return BedrockWriter(Converse(lambda: client, MODEL, sleep=record.append))


def test_the_request_carries_the_model_and_the_figures(bedrock: Any, strong: ReportFacts) -> None:
    client, stubber = bedrock
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.bedrock-runtime.Converse", lambda params, **_: sent.append(params)
    )
    stubber.add_response("converse", converse_answer(GOOD), {"modelId": MODEL, "system": ANY,
                         "messages": ANY, "inferenceConfig": ANY})  # fmt: skip
    text = writer_for(client).write(SECTIONS[2], strong)
    assert text.strip() == GOOD.strip()
    prompt = sent[0]["messages"][0]["content"][0]["text"]
    assert "Profitability" in prompt
    data = json.loads(prompt.split("Data:\n", 1)[1])
    assert data["metrics_percent"]["roa"] == strong.metric("roa")
    assert data["figures_thousands_usd"]["totalAssets"] == strong.figures["totalAssets"]
    assert data["synthetic"] is True and "thresholds" in data
    stubber.assert_no_pending_responses()


def test_throttling_is_retried_with_backoff(bedrock: Any, strong: ReportFacts) -> None:
    client, stubber = bedrock
    stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    stubber.add_client_error("converse", "ServiceUnavailableException", http_status_code=503)
    stubber.add_response("converse", converse_answer(GOOD))
    sleeps: list[float] = []
    assert writer_for(client, sleeps).write(SECTIONS[0], strong).strip() == GOOD.strip()
    assert sleeps == [2.0, 4.0]


def test_throttling_that_never_ends_fails_with_a_sentence(
    bedrock: Any, strong: ReportFacts
) -> None:
    client, stubber = bedrock
    # Throttles are waited out for THROTTLE_PATIENCE_SECONDS, then tried MAX_ATTEMPTS times.
    for _ in range(50):
        stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    sleeps: list[float] = []
    with pytest.raises(WriterError, match="busy"):
        writer_for(client, sleeps).write(SECTIONS[0], strong)
    assert sum(sleeps) >= THROTTLE_PATIENCE_SECONDS


@pytest.mark.parametrize(
    ("response", "needle"),
    [
        (converse_answer(""), "empty"),
        (converse_answer("   \n "), "empty"),
        (converse_answer("x" * (MAX_SECTION_CHARS + 1)), "too long"),
        (converse_answer(GOOD, stop="max_tokens"), "too long"),
        ({"output": {"message": {"role": "assistant", "content": []}}, "stopReason": "end_turn",
          "usage": {"inputTokens": 1, "outputTokens": 0, "totalTokens": 1},
          "metrics": {"latencyMs": 1}}, "empty"),
    ],
)  # fmt: skip
def test_unusable_answers_fail_with_a_sentence(
    bedrock: Any, strong: ReportFacts, response: dict[str, Any], needle: str
) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", response)
    with pytest.raises(WriterError, match=needle) as failure:
        writer_for(client).write(SECTIONS[1], strong)
    assert failure.value.message.endswith(".")


def test_access_denied_says_what_to_do(bedrock: Any, strong: ReportFacts) -> None:
    client, stubber = bedrock
    stubber.add_client_error("converse", "AccessDeniedException", http_status_code=403)
    with pytest.raises(WriterError, match="not allowed to use its AI model") as failure:
        writer_for(client).write(SECTIONS[0], strong)
    assert "enable model access in Amazon Bedrock" in (failure.value.detail or "")
