"""Errors of the report part, each with a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError
from chalicelib.jobs.errors import JobFailed


class WriterError(JobFailed):
    """A writer could not produce a usable section; the job fails with this sentence."""

    code = "writer_failed"


class NoReport(DomainError):
    """No finished report for the bank, or no such version (``job_id``) of it."""

    code = "no_report"

    def __init__(self, idrssd: str, job_id: str | None = None) -> None:
        if job_id is None:
            super().__init__(
                "There is no finished research report for this bank yet. Generate one first.",
                detail=f"Start one with POST /api/research/{idrssd}/generate-background and "
                f"follow GET /api/research/{idrssd}/job-status?type=report.",
            )
        else:
            super().__init__(
                "That version of the bank's report is not available: it may be older than "
                "the reports we keep. Choose another version from the bank's list.",
                detail=f"GET /api/research/{idrssd}/reports lists the versions kept.",
            )
        self.idrssd = idrssd
        self.job_id = job_id
