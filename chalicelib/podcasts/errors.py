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
    """No finished podcast for the bank, or no such version (``job_id``) of it."""

    code = "no_podcast"

    def __init__(self, idrssd: str, job_id: str | None = None) -> None:
        if job_id is None:
            super().__init__(
                "There is no finished podcast for this bank yet. Generate one from the bank's "
                "research report.",
                detail=f"Start one with POST /api/research/{idrssd}/podcast/generate-background "
                f"and follow GET /api/research/{idrssd}/job-status?type=podcast.",
            )
        else:
            super().__init__(
                "That version of the bank's podcast is not available: it may be older than "
                "the podcasts we keep. Choose another version from the bank's list.",
                detail=f"GET /api/research/{idrssd}/podcasts lists the versions kept.",
            )
        self.idrssd = idrssd
        self.job_id = job_id


class ScriptError(JobFailed):
    """The script writer could not produce a usable dialogue."""

    code = "script_failed"


class SpeechError(JobFailed):
    """The voice engine failed or is missing; the job fails with this sentence.

    The sentence is for the people waiting for the podcast; which engine failed and how to
    set it up is the ``detail``, which the failed job's log line carries."""

    code = "speech_failed"


# What people read when the voices fail (the detail says what an operator can do).
VOICES_MISSING = (
    "Podcasts cannot be recorded right now because the voices are not set up. Please try "
    "again later, or tell whoever runs this service."
)
VOICE_MISSING = (
    "One of the podcast's voices is not available, so no podcast was made. Please try again "
    "later, or tell whoever runs this service."
)
LINE_UNREAD = "A line of the podcast could not be recorded. Please try again."
VOICES_SILENT = (
    "The recording came out as silence, so no podcast was saved. Please try again later."
)
VOICES_UNUSABLE = (
    "The recording could not be used, so no podcast was saved. Please try again later."
)
VOICES_BUSY = (
    "The voice service is busy and kept refusing to record the podcast. Please try again in "
    "a few minutes."
)
VOICES_UNREACHABLE = (
    "The voice service could not be reached while recording the podcast. Please try again in "
    "a few minutes."
)
VOICES_REFUSED = (
    "The service is not allowed to record podcasts right now. Please tell whoever runs it."
)
