"""Amazon Polly: ``SynthesizeSpeech`` per line, raw PCM at 16 kHz (the simplest to join).

Throttling and transient faults are retried here with backoff (the client is built with
botocore's retries off), as the report's Bedrock writer does, so the policy is explicit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib import telemetry
from chalicelib.experts import Voice
from chalicelib.podcasts.audio import Clip
from chalicelib.podcasts.errors import SpeechError
from chalicelib.retries import with_retries

SAMPLE_RATE = 16000
# Polly bills and caps a request at 3,000 characters of text; stay just under.
MAX_CHARS = 2900
MAX_ATTEMPTS = 4
RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceFailureException",
        "ServiceUnavailableException",
        "InternalFailure",
        "RequestLimitExceeded",
    }
)


class PollyEngine:
    name = "polly"
    max_chars = MAX_CHARS

    def __init__(
        self,
        client_factory: Callable[[], Any],
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._client_factory = client_factory
        self._sleep = sleep
        self._max_attempts = max_attempts

    def synthesize(self, text: str, voice: Voice) -> Clip:
        request = {
            "Text": text,
            "TextType": "text",
            "VoiceId": voice.polly_voice,
            "Engine": voice.polly_engine,
            "OutputFormat": "pcm",
            "SampleRate": str(SAMPLE_RATE),
        }
        response = with_retries(
            lambda: telemetry.timed_call(
                telemetry.POLLY, lambda: self._client_factory().synthesize_speech(**request)
            ),
            retryable=RETRYABLE,
            attempts=self._max_attempts,
            sleep=self._sleep,
            refused=lambda code: SpeechError(_sentence_for(code, voice)),
            unreachable=lambda: SpeechError(
                "Amazon Polly could not be reached while reading the script. "
                "Please try again in a few minutes."
            ),
        )
        return Clip(response["AudioStream"].read(), SAMPLE_RATE)


def _sentence_for(code: str, voice: Voice) -> str:
    if code in RETRYABLE:
        return (
            "Amazon Polly is busy and kept refusing to read the script. "
            "Please try again in a few minutes."
        )
    if code in {"AccessDeniedException", "UnrecognizedClientException"}:
        return (
            "The service may not use Amazon Polly: allow polly:SynthesizeSpeech for the "
            "podcast worker."
        )
    if code in {
        "EngineNotSupportedException",
        "LanguageNotSupportedException",
        "ValidationException",
    }:
        return (
            f"Amazon Polly cannot read with the voice {voice.polly_voice} and the "
            f"{voice.polly_engine} engine in this region. Choose another region or voice."
        )
    return "Amazon Polly failed while reading a line of the script. Please try again."
