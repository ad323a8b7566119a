"""A fake Bedrock with a tokens-per-minute quota, as Bedrock keeps one: a call counts its
input and ``maxTokens`` when it starts, what it used when it ends, and is throttled if the
calls of the last minute would pass the quota. Answers through a real botocore client
(``before-call`` hook), so the project's own client code and retries run."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from tests.fakes import converse_answer

MINUTE = 60.0
CHARS_PER_TOKEN = 4  # what the fake counts of the input (the service counts real tokens)


class QuotaBedrock:
    def __init__(
        self, tokens_per_minute: int, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.quota = tokens_per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.ledger: list[list[float]] = []  # [started, tokens counted]
        self.throttled = 0
        self.answered = 0
        self.most_in_a_minute = 0.0
        self._random = random.Random(7)

    def client(self) -> Any:
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        client.meta.events.register("before-parameter-build.bedrock-runtime.Converse", _keep)
        client.meta.events.register("before-call.bedrock-runtime.Converse", self._answer)
        return client

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context["converse"]
        text = params["system"][0]["text"] + params["messages"][0]["content"][0]["text"]
        given = len(text) // CHARS_PER_TOKEN
        asked = params["inferenceConfig"]["maxTokens"]
        entry = self._start(given + asked)
        if entry is None:
            return _throttle()
        self._sleep(2.0)  # the model writes
        written = self._random.randint(asked // 5, asked)
        with self._lock:
            entry[1] = given + written
            self.answered += 1
        answer = converse_answer("Fine.")
        answer["usage"] = {"inputTokens": given, "outputTokens": written,
                           "totalTokens": given + written}  # fmt: skip
        return AWSResponse("https://bedrock.invalid", 200, {}, None), answer

    def _start(self, counted: int) -> list[float] | None:
        with self._lock:
            now = self._clock()
            in_window = sum(t for started, t in self.ledger if started > now - MINUTE)
            if in_window + counted > self.quota:
                self.throttled += 1
                return None
            entry = [now, float(counted)]
            self.ledger.append(entry)
            self.most_in_a_minute = max(self.most_in_a_minute, in_window + counted)
            return entry


def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["converse"] = params


def _throttle() -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": "ThrottlingException", "Message": "Too many tokens, please wait."},
        "ResponseMetadata": {"HTTPStatusCode": 429, "HTTPHeaders": {}},
    }
    return AWSResponse("https://bedrock.invalid", 429, {}, None), parsed
