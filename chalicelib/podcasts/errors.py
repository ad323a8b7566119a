"""Errors of the podcast part, each with a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError
from chalicelib.jobs.errors import JobFailed


class ReportRequired(DomainError):
    """A podcast is built from the bank's latest report, and there is none yet."""

    code = "report_required"

    def __init__(self, idrssd: str) -> None:
        super().__init__(
            "This bank has no finished research report yet, and the podcast is built from it. "
            "Generate the report first, then start the podcast."
        )
        self.idrssd = idrssd


class NoPodcast(DomainError):
    code = "no_podcast"

    def __init__(self, idrssd: str) -> None:
        super().__init__(
            f"There is no finished podcast for bank {idrssd} yet. Start one with POST "
            f"/api/research/{idrssd}/podcast/generate-background and poll its job status."
        )


class ScriptError(JobFailed):
    """The script writer could not produce a usable dialogue."""

    code = "script_failed"


class SpeechError(JobFailed):
    """The voice engine failed or is missing; the job fails with this sentence."""

    code = "speech_failed"
