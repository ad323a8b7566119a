"""Reports in S3: one object per job, and a ``latest`` pointer moved only once it is whole.

A failed or cancelled run leaves the pointer — and so the previous report — untouched.
"""

from __future__ import annotations

from typing import Any

from chalicelib.artifacts import MISSING as MISSING
from chalicelib.artifacts import LatestArchive
from chalicelib.reports.errors import NoReport

PREFIX = "reports"


def report_key(idrssd: str, job_id: str) -> str:
    return f"{PREFIX}/{idrssd}/{job_id}.json"


def latest_key(idrssd: str) -> str:
    return f"{PREFIX}/{idrssd}/latest.json"


class ReportArchive(LatestArchive):
    prefix = PREFIX

    def save(self, report: dict[str, Any]) -> str:
        """Store the report, then point ``latest`` at it; returns the report's key."""
        return self._publish(report["idrssd"], report["jobId"], report)

    def latest(self, idrssd: str) -> dict[str, Any]:
        """The bank's latest finished report; ``NoReport`` if it has none."""
        report = self._latest_document(idrssd)
        if report is None:
            raise NoReport(idrssd)
        return report
