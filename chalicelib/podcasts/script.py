"""The dialogue: who says what, its length in speech, and the writer interface behind it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.experts import HOST, Expert, expert_by_id
from chalicelib.podcasts.brief import PodcastBrief

WORDS_PER_MINUTE = 155
MIN_MINUTES, MAX_MINUTES = 3.0, 8.0
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


@dataclass(frozen=True)
class Line:
    speaker: str  # "host" or an expert id
    text: str

    def to_api(self) -> dict[str, str]:
        speaker = speaker_by_id(self.speaker)
        return {"speaker": self.speaker, "name": speaker.name, "text": self.text}


@dataclass(frozen=True)
class Script:
    lines: tuple[Line, ...]
    writer: str
    model: str | None = None

    @property
    def words(self) -> int:
        return sum(word_count(line.text) for line in self.lines)

    @property
    def estimated_minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE

    def to_api(self) -> list[dict[str, str]]:
        return [line.to_api() for line in self.lines]


class ScriptWriter(Protocol):
    """Turns a report into a dialogue between the host and the chosen experts."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    def write(self, brief: PodcastBrief, experts: Sequence[Expert]) -> Script: ...


def speaker_by_id(speaker_id: str) -> Expert:
    if speaker_id == HOST.id:
        return HOST
    expert = expert_by_id(speaker_id)
    if expert is None:
        raise KeyError(speaker_id)
    return expert


def word_count(text: str) -> int:
    return len(text.split())


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def split_at_sentences(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_chars``, at sentence ends where possible.

    A single sentence longer than the limit is cut at the last space before it (and, for a
    run without spaces, at the limit itself): an engine refuses longer input outright.
    """
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        for part in _hard_split(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _hard_split(sentence: str, max_chars: int) -> list[str]:
    parts: list[str] = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        parts.append(sentence)
    return parts


def check_panel(lines: Sequence[Line], experts: Sequence[Expert]) -> list[str]:
    """What is wrong with a script for this panel (empty when it is usable)."""
    allowed = {HOST.id, *(expert.id for expert in experts)}
    problems: list[str] = []
    if not lines:
        return ["it has no lines"]
    strangers = sorted({line.speaker for line in lines} - allowed)
    if strangers:
        problems.append(f"it gives lines to speakers not on the panel ({', '.join(strangers)})")
    if any(not line.text.strip() for line in lines):
        problems.append("some lines are empty")
    if lines[0].speaker != HOST.id or lines[-1].speaker != HOST.id:
        problems.append("the host does not open and close it")
    silent = [expert.name for expert in experts if expert.id not in {ln.speaker for ln in lines}]
    if silent:
        problems.append(f"{', '.join(silent)} never speaks")
    return problems


def script_document(script: Script) -> dict[str, Any]:
    return {"writer": script.writer, "model": script.model, "words": script.words}
