"""Reports in S3, one immutable object per job; which one is served is the job's publication.

A failed, cancelled or stale run never changes what is served: only a completion publishes
(docs/ARCHITECTURE.md, "Owned publication").
"""

from __future__ import annotations

from typing import Any

from chalicelib.artifacts import ArtifactBucket
from chalicelib.jobs.model import Job, JobType, Publication, PublicationSource
from chalicelib.reports.errors import NoReport

PREFIX = "reports"
SUMMARY_FIELDS = ("generatedAt", "asOf", "writer", "model", "synthetic")


def report_key(idrssd: str, job_id: str) -> str:
    return f"{PREFIX}/{idrssd}/{job_id}.json"


def report_url(idrssd: str, job_id: str | None = None) -> str:
    base = f"/api/research/{idrssd}/report"
    return base if job_id is None else f"/api/research/{idrssd}/reports/{job_id}"


class ReportArchive:
    def __init__(self, bucket: ArtifactBucket, publications: PublicationSource) -> None:
        self._bucket = bucket
        self._publications = publications

    def store(self, job: Job, report: dict[str, Any]) -> Publication:
        """Store the report under the job's own key; its publication is for the completion."""
        key = report_key(job.idrssd, job.job_id)
        size = self._bucket.put_json(key, report)
        summary = {name: report.get(name) for name in SUMMARY_FIELDS}
        summary |= {"bytes": size, "url": report_url(job.idrssd, job.job_id)}
        return Publication(
            job.idrssd, JobType.REPORT, job.job_id, job.created_at, {"document": key}, summary
        )

    def exists(self, idrssd: str) -> bool:
        """Whether the bank has a published report: one ``GetItem``."""
        return self._publications.latest(idrssd, JobType.REPORT) is not None

    def latest(self, idrssd: str) -> dict[str, Any]:
        """The bank's latest published report (one ``GetItem`` + one ``GetObject``)."""
        return self._document(idrssd, self._publications.latest(idrssd, JobType.REPORT))

    def version(self, idrssd: str, job_id: str) -> dict[str, Any]:
        """One past report by its job id (one ``GetItem`` + one ``GetObject``)."""
        publication = self._publications.version(idrssd, JobType.REPORT, job_id)
        return self._document(idrssd, publication, job_id)

    def history(self, idrssd: str) -> list[dict[str, Any]]:
        """What the library lists of the bank's reports, newest first (one ``Query``)."""
        return [p.to_api() for p in self._publications.history(idrssd, JobType.REPORT)]

    def _document(
        self, idrssd: str, publication: Publication | None, job_id: str | None = None
    ) -> dict[str, Any]:
        report = (
            None if publication is None else self._bucket.get_json(publication.keys["document"])
        )
        if report is None:
            raise NoReport(idrssd, job_id)
        return report
