"""The Bedrock script writer: one Converse call returns the whole dialogue as JSON.

Same conventions as the report's Bedrock writer: the figures go in as JSON, throttling and
transient errors are retried here with backoff (injectable sleep), and the answer is
checked before use — valid JSON of lines, every speaker on the chosen panel, no empty
line, the host first and last, every expert heard, a length that fits the show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.bedrock import RETRYABLE, Converse
from chalicelib.experts import HOST, Expert
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.errors import ScriptError
from chalicelib.podcasts.script import (
    MAX_MINUTES,
    MIN_MINUTES,
    WORDS_PER_MINUTE,
    Line,
    Script,
    check_panel,
)
from chalicelib.podcasts.template_writer import spoken_name
from chalicelib.reports.bedrock_writer import BLANKS_RULE
from chalicelib.reports.template_writer import data_notes

MAX_TOKENS = 4096
SECTION_CHARS = 1500  # of each report section's prose, to keep the prompt bounded
# A model's count drifts; refuse only scripts far outside the 3-8 minute aim.
MIN_WORDS = round(MIN_MINUTES * WORDS_PER_MINUTE * 0.7)
MAX_WORDS = round(MAX_MINUTES * WORDS_PER_MINUTE * 1.25)

SYSTEM_PROMPT = (
    "You write scripts for a podcast about U.S. banks, spoken aloud by text-to-speech. "
    "Use only the figures and facts given in the JSON; never invent numbers, names or "
    "events. Percent values are already in percent; money is in thousands of dollars — say "
    "it in words a listener follows (for example '$9.9 billion'). Write plain spoken "
    "sentences: no markdown, no lists, no stage directions, no sound effects. The findings "
    "hold the report's verdict on the bank's condition, its strengths, concerns and risks: "
    "the speakers state them as given and never contradict them. "
    + BLANKS_RULE
    + " Say the bank's name as bank.spokenName gives it (never in capitals) and the "
    "state's name, not its code. Answer with "
    'JSON only, in the form {"lines": [{"speaker": "<id>", "text": "..."}]}.'
)


class BedrockScriptWriter:
    name = "bedrock"

    def __init__(self, converse: Converse) -> None:
        self._converse_call = converse

    @property
    def model(self) -> str:
        return self._converse_call.model_id

    def write(self, brief: PodcastBrief, experts: Sequence[Expert]) -> Script:
        response = self._converse(brief, experts)
        lines = checked_lines(response, experts)
        return Script(tuple(lines), writer=self.name, model=self.model)

    def _converse(self, brief: PodcastBrief, experts: Sequence[Expert]) -> dict[str, Any]:
        return self._converse_call(
            SYSTEM_PROMPT,
            prompt(brief, experts),
            max_tokens=MAX_TOKENS,
            temperature=0.5,
            refused=lambda code: _refusal(code),
            unreachable=lambda: ScriptError(
                "The AI model did not answer in time while writing the podcast script. "
                "Please try again later."
            ),
        )


def target_words(experts: Sequence[Expert]) -> int:
    """About 3.5 minutes for one guest, up to about 7 for four."""
    return 550 + 130 * (len(experts) - 1)


def prompt(brief: PodcastBrief, experts: Sequence[Expert]) -> str:
    facts = brief.facts
    data = {
        "bank": {
            "name": facts.name,
            "spokenName": spoken_name(facts),
            "city": facts.city,
            "state": facts.state,
            "filingType": facts.filing_type or None,
            "noLoans": facts.no_loans,
            "noDeposits": facts.no_deposits,
            "communityBankLeverageRatioFramework": facts.community_leverage,
        },
        "quarter": facts.quarter,
        "synthetic": facts.synthetic,
        "figures_thousands_usd": facts.figures,
        "metrics_percent": facts.metrics,
        "peers": {
            "label": facts.peer_label,
            "banks": facts.peer_count,
            "medians_percent": facts.peer_medians,
        },
        "findings": facts.findings.as_data(),
        "blanks": facts.blanks(),
        "dataNotes": data_notes(facts),
        "series_last_4_quarters": facts.series[-4:],
        "report_sections": {key: text[:SECTION_CHARS] for key, text in brief.sections.items()},
        "host": {"id": HOST.id, "name": HOST.name},
        "experts": [
            {"id": e.id, "name": e.name, "title": e.title, "focus": e.focus} for e in experts
        ],
    }
    ids = ", ".join(f'"{e.id}"' for e in experts)
    words = target_words(experts)
    synthetic = (
        " The data is synthetic: the host must say so once, early." if facts.synthetic else ""
    )
    return (
        f"Write the script of a podcast episode about {facts.name}, built from its research "
        f'report. Speakers: the host ("{HOST.id}") and the experts ({ids}), each by id. The '
        "host opens, introducing the bank and each expert by name and title, and closes with a "
        "short summary that states the findings' condition, and thanks. Each expert speaks "
        "to their focus with the report's figures; the experts answer each other by name at "
        "least once. Aim for about "
        f"{words} words in total ({MIN_MINUTES:.0f} to {MAX_MINUTES:.0f} minutes spoken); "
        f"keep each line under 150 words.{synthetic}\n\nData:\n"
        + json.dumps(data, separators=(",", ":"), default=str)
    )


def checked_lines(response: dict[str, Any], experts: Sequence[Expert]) -> list[Line]:
    """The script in the model's answer, or ``ScriptError`` saying why it is unusable."""
    if response.get("stopReason") == "max_tokens":
        raise ScriptError(
            "The AI model's podcast script was cut off before the end, so no podcast was made. "
            "Please try again."
        )
    try:
        blocks = response["output"]["message"]["content"]
        text = "".join(block.get("text", "") for block in blocks).strip()
    except (KeyError, TypeError):
        text = ""
    lines = _parse(text)
    problems = check_panel(lines, experts)
    words = sum(len(line.text.split()) for line in lines)
    if not problems and not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(f"it is {words} words long")
    if problems:
        raise ScriptError(
            f"The AI model's podcast script could not be used ({problems[0]}), so no podcast "
            "was made. Please try again."
        )
    return lines


def _parse(text: str) -> list[Line]:
    # Models wrap JSON in code fences or a sentence now and then: take the outer object.
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ScriptError(_NOT_A_SCRIPT)
    try:
        document = json.loads(text[start : end + 1])
    except ValueError as exc:
        raise ScriptError(_NOT_A_SCRIPT) from exc
    items = document.get("lines") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ScriptError(_NOT_A_SCRIPT)
    lines: list[Line] = []
    for item in items:
        if not isinstance(item, dict):
            raise ScriptError(_NOT_A_SCRIPT)
        speaker, spoken = item.get("speaker"), item.get("text")
        if not isinstance(speaker, str) or not isinstance(spoken, str):
            raise ScriptError(_NOT_A_SCRIPT)
        lines.append(Line(speaker.strip(), " ".join(spoken.split())))
    return lines


_NOT_A_SCRIPT = (
    "The AI model did not return a podcast script in the expected form, so no podcast was "
    "made. Please try again."
)


def _refusal(code: str) -> ScriptError:
    """The job's sentence for Bedrock's error ``code``; what an operator can do is its
    ``detail`` (the failed job's log line)."""
    if code in RETRYABLE:
        return ScriptError(
            "The AI model is busy and kept refusing to write the podcast script. "
            "Please try again in a few minutes.",
            detail=f"Amazon Bedrock kept answering {code} to Converse.",
        )
    if code == "AccessDeniedException":
        return ScriptError(
            "The service is not allowed to use its AI model right now, so no podcast was "
            "made. Please tell whoever runs it.",
            detail=f"Amazon Bedrock answered {code}: enable model access in Amazon Bedrock for "
            "BEDROCK_MODEL_ID, or choose another model.",
        )
    if code in {"ValidationException", "ResourceNotFoundException"}:
        return ScriptError(
            "The service's AI model cannot be used right now, so no podcast was made. "
            "Please tell whoever runs it.",
            detail=f"Amazon Bedrock answered {code}: check BEDROCK_MODEL_ID.",
        )
    return ScriptError(
        "The AI model failed while writing the podcast script. Please try again.",
        detail=f"Amazon Bedrock answered {code} to Converse.",
    )
