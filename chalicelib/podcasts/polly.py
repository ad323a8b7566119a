"""Amazon Polly: ``SynthesizeSpeech`` per line, raw PCM at 16 kHz (the simplest to join).

Throttling and transient faults are retried here with backoff (the client is built with
botocore's retries off), as the report's Bedrock writer does, so the policy is explicit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib import telemetry
from chalicelib.aws.policy import TRANSIENT_CODES
from chalicelib.aws.retries import with_retries
from chalicelib.experts import Voice
from chalicelib.podcasts.audio import Clip
from chalicelib.podcasts.errors import (
    LINE_UNREAD,
    VOICE_MISSING,
    VOICES_BUSY,
    VOICES_REFUSED,
    VOICES_UNREACHABLE,
    SpeechError,
)

SAMPLE_RATE = 16000
# Polly bills and caps a request at 3,000 characters of text; stay just under.
MAX_CHARS = 2900
MAX_ATTEMPTS = 4
# SynthesizeSpeech errors worth another try: the transient ones of every AWS call.
RETRYABLE = TRANSIENT_CODES


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
            refused=lambda code: refusal(code, voice),
            unreachable=lambda: SpeechError(
                VOICES_UNREACHABLE,
                detail="Amazon Polly did not answer SynthesizeSpeech after several tries.",
            ),
        )
        return Clip(response["AudioStream"].read(), SAMPLE_RATE)


def refusal(code: str, voice: Voice) -> SpeechError:
    """The job's sentence for Polly's error ``code``, with what an operator can do."""
    if code in RETRYABLE:
        return SpeechError(
            VOICES_BUSY, detail=f"Amazon Polly kept answering {code} to SynthesizeSpeech."
        )
    if code in {"AccessDeniedException", "UnrecognizedClientException"}:
        return SpeechError(
            VOICES_REFUSED,
            detail=f"Amazon Polly answered {code}: allow polly:SynthesizeSpeech for the "
            "podcast worker's role.",
        )
    if code in {
        "EngineNotSupportedException",
        "LanguageNotSupportedException",
        "ValidationException",
    }:
        return SpeechError(
            VOICE_MISSING,
            detail=f"Amazon Polly cannot read with the voice {voice.polly_voice} and the "
            f"{voice.polly_engine} engine in this region ({code}): choose another region or "
            "voice.",
        )
    return SpeechError(LINE_UNREAD, detail=f"Amazon Polly answered {code} to SynthesizeSpeech.")
