"""Errors of the report part, each with a sentence a person can act on."""

from __future__ import annotations

from chalicelib.errors import DomainError
from chalicelib.jobs.errors import JobFailed


class WriterError(JobFailed):
    """A writer could not produce a usable section; the job fails with this sentence."""

    code = "writer_failed"


class NoReport(DomainError):
    code = "no_report"

    def __init__(self, idrssd: str) -> None:
        super().__init__(
            f"There is no finished report for bank {idrssd} yet. Start one with POST "
            f"/api/research/{idrssd}/generate-background and poll its job status."
        )
