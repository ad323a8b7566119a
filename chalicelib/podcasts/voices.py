"""The voice-engine interface: one script line's text in a speaker's voice → PCM."""

from __future__ import annotations

from typing import Protocol

from chalicelib.experts import Voice
from chalicelib.podcasts.audio import Clip


class VoiceEngine(Protocol):
    """Speaks text in a voice. ``max_chars`` is the longest text one call accepts; longer
    lines are split at sentence ends before they reach the engine."""

    @property
    def name(self) -> str: ...

    @property
    def max_chars(self) -> int: ...

    def synthesize(self, text: str, voice: Voice) -> Clip: ...
