"""The Bedrock writer: one Converse call per section, the figures sent as JSON.

The answer is checked before it is used (non-empty markdown of a sane length). Throttling
and transient errors are retried here, with backoff, rather than by botocore, so that the
policy is explicit and testable.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.bedrock import RETRYABLE, Converse
from chalicelib.reports import rules
from chalicelib.reports.errors import WriterError
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.sections import Section
from chalicelib.reports.template_writer import data_notes

MIN_SECTION_CHARS = 40
MAX_SECTION_CHARS = 6000
MAX_TOKENS = 1200

# How a model must speak of a blank figure, as the template writer does (also the podcast's).
BLANKS_RULE = (
    "A null figure is blank for the reason `blanks` gives, and must be called exactly that: "
    "'not reported' (the bank filed the quarter but left the item out), 'not available' "
    "(a quarter it needs is not in the data, or its income cannot be derived because call "
    "reports give income year to date and the quarter before is missing: see dataNotes), "
    "'not applicable' (the ratio has nothing to divide by: no loans, no deposits). Never "
    "call history that is missing from the data 'not reported', never compute a change "
    "across a missing quarter, and never write 0% of loans for a bank with no loans."
)

SYSTEM_PROMPT = (
    "You are a senior U.S. bank analyst writing one section of a research report for "
    "informed readers. Use only the figures given in the JSON; never invent numbers, "
    "names or events. Percent values are already in percent. Money is in thousands of "
    "dollars. Write concise markdown: short paragraphs, at most one small table, no "
    "headings (the section title is added for you), no HTML. Judge figures with the "
    "thresholds given. The findings hold the report's verdict on the bank's condition, its "
    "strengths, concerns and risks: state them as given and never contradict them. If the "
    "data is synthetic, say so once. " + BLANKS_RULE + " Call the bank by bank.name, as "
    "written there (never in capitals); say the state's name, not its code."
)


class BedrockWriter:
    """Writes sections with Amazon Bedrock's Converse API."""

    name = "bedrock"

    def __init__(self, converse: Converse) -> None:
        self._converse_call = converse

    @property
    def model(self) -> str:
        return self._converse_call.model_id

    def write(self, section: Section, facts: ReportFacts) -> str:
        response = self._converse(section, facts)
        return _checked_text(response, section)

    def _converse(self, section: Section, facts: ReportFacts) -> dict[str, Any]:
        return self._converse_call(
            SYSTEM_PROMPT,
            prompt(section, facts),
            max_tokens=MAX_TOKENS,
            temperature=0.2,
            refused=lambda code: _refusal(code, section),
            unreachable=lambda: WriterError(
                f"The AI model did not answer in time while writing the "
                f"{section.title.lower()} section. Please try again later."
            ),
        )


def prompt(section: Section, facts: ReportFacts) -> str:
    """The section's instructions, with the figures and the report's rules as JSON."""
    data = {
        "bank": {
            "name": facts.name,
            "legalName": facts.legal_name or facts.name,
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
        "series": facts.series,
        "peers": {
            "label": facts.peer_label,
            "banks": facts.peer_count,
            "medians_percent": facts.peer_medians,
        },
        "thresholds": {
            name: {
                "strong": rule.strong,
                "weak": rule.weak,
                "higherIsBetter": rule.higher_is_better,
            }
            for name, rule in rules.RULES.items()
        },
        "well_capitalized_minimums": {
            metric: facts.capital_minimum(metric) for metric in rules.WELL_CAPITALIZED
        },
        "findings": facts.findings.as_data(),
        "blanks": facts.blanks(),
        "quartersMissingFromTheData": facts.coverage.gaps(),
        "dataNotes": data_notes(facts),
    }
    return (
        f"Write the section '{section.title}' of a research report on {facts.name}: "
        f"{section.brief}. Aim for 120 to 300 words.\n\nData:\n"
        + json.dumps(data, separators=(",", ":"), default=str)
    )


def _checked_text(response: dict[str, Any], section: Section) -> str:
    try:
        blocks = response["output"]["message"]["content"]
        text = "".join(block.get("text", "") for block in blocks).strip()
    except (KeyError, TypeError):
        text = ""
    if len(text) < MIN_SECTION_CHARS:
        raise WriterError(
            f"The AI model returned an empty answer for the {section.title.lower()} section, "
            "so no report was saved. Please try again."
        )
    if len(text) > MAX_SECTION_CHARS or response.get("stopReason") == "max_tokens":
        raise WriterError(
            f"The AI model's answer for the {section.title.lower()} section was too long to "
            "use, so no report was saved. Please try again."
        )
    return text + "\n"


def _refusal(code: str, section: Section) -> WriterError:
    """The job's sentence for Bedrock's error ``code``; what an operator can do is its
    ``detail`` (the failed job's log line)."""
    name = section.title.lower()
    if code in RETRYABLE:
        return WriterError(
            f"The AI model is busy and kept refusing the {name} section. "
            "Please try again in a few minutes.",
            detail=f"Amazon Bedrock kept answering {code} to Converse.",
        )
    if code == "AccessDeniedException":
        return WriterError(
            "The service is not allowed to use its AI model right now, so no report was "
            "written. Please tell whoever runs it.",
            detail=f"Amazon Bedrock answered {code}: enable model access in Amazon Bedrock for "
            "BEDROCK_MODEL_ID, or choose another model.",
        )
    if code in {"ValidationException", "ResourceNotFoundException"}:
        return WriterError(
            "The service's AI model cannot be used right now, so no report was written. "
            "Please tell whoever runs it.",
            detail=f"Amazon Bedrock answered {code}: check BEDROCK_MODEL_ID.",
        )
    return WriterError(
        f"The AI model failed while writing the {name} section. Please try again.",
        detail=f"Amazon Bedrock answered {code} to Converse.",
    )
