"""Amazon Bedrock's Converse API, called the one way the project's writers call it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib import telemetry
from chalicelib.aws.policy import TRANSIENT_CODES
from chalicelib.aws.retries import with_retries
from chalicelib.quota import priority
from chalicelib.quota.table import ModelQuota

# Converse errors worth another try: the transient ones of every AWS call, and the model's
# own passing states (not ready yet, timed out on this request).
RETRYABLE = TRANSIENT_CODES | {"ModelNotReadyException", "ModelTimeoutException"}
MAX_ATTEMPTS = 4
# How long a throttled call waits for the model before its job fails: well inside a
# worker's 15 minutes, and heartbeats keep the job's claim meanwhile.
THROTTLE_PATIENCE_SECONDS = 300.0


class Converse:
    """One system prompt and one user message to a model, with the project's retries."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        model_id: str,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        quota: ModelQuota | None = None,
    ) -> None:
        """``quota``: the bucket shared by every worker calling this model (none: Bedrock's
        own throttling alone bounds the calls)."""
        self._client_factory = client_factory
        self.model_id = model_id
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._quota = quota

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
        reservation = None
        if self._quota is not None:
            size = len(system) + len(prompt)
            reservation = self._quota.reserve(size, max_tokens, priority.current())
        used = reservation.amount if reservation else 0  # kept whole if the call fails
        try:
            response: dict[str, Any] = with_retries(
                lambda: telemetry.timed_call(
                    telemetry.BEDROCK, lambda: self._client_factory().converse(**request)
                ),
                retryable=RETRYABLE,
                attempts=self._max_attempts,
                sleep=self._sleep,
                refused=refused,
                unreachable=unreachable,
                patience_seconds=THROTTLE_PATIENCE_SECONDS,
            )
            used = _tokens_used(response, used)
        finally:
            if self._quota is not None and reservation is not None:
                self._quota.settle(reservation, used)
        return response


def _tokens_used(response: dict[str, Any], otherwise: int) -> int:
    """What the call counted against the quota, as Bedrock reports it."""
    usage = response.get("usage") or {}
    given, written = usage.get("inputTokens"), usage.get("outputTokens")
    if isinstance(given, int) and isinstance(written, int):
        return given + written
    return otherwise
