"""Amazon Bedrock's Converse API, called the one way the project's writers call it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib import telemetry
from chalicelib.aws.policy import TRANSIENT_CODES
from chalicelib.aws.retries import with_retries

# Converse errors worth another try: the transient ones of every AWS call, and the model's
# own passing states (not ready yet, timed out on this request).
RETRYABLE = TRANSIENT_CODES | {"ModelNotReadyException", "ModelTimeoutException"}
MAX_ATTEMPTS = 4


class Converse:
    """One system prompt and one user message to a model, with the project's retries."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        model_id: str,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._client_factory = client_factory
        self.model_id = model_id
        self._sleep = sleep
        self._max_attempts = max_attempts

    def __call__(
        self,
        system: str,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float,
        refused: Callable[[str], Exception],
        unreachable: Callable[[], Exception],
    ) -> dict[str, Any]:
        """The raw Converse response; the caller's errors when the model cannot answer."""
        request = {
            "modelId": self.model_id,
            "system": [{"text": system}],
            "messages": [{"role": "user", "content": [{"text": prompt}]}],
            "inferenceConfig": {"maxTokens": max_tokens, "temperature": temperature},
        }
        response: dict[str, Any] = with_retries(
            lambda: telemetry.timed_call(
                telemetry.BEDROCK, lambda: self._client_factory().converse(**request)
            ),
            retryable=RETRYABLE,
            attempts=self._max_attempts,
            sleep=self._sleep,
            refused=refused,
            unreachable=unreachable,
        )
        return response
