"""What a podcast needs before it may start: a published report of the bank."""

from __future__ import annotations

from typing import Protocol

from chalicelib.podcasts.errors import ReportRequired


class PublishedReports(Protocol):
    def exists(self, idrssd: str) -> bool: ...


class ReportFirst:
    """The podcast start's prerequisite: a podcast is made from the bank's latest report, so
    a bank without one is refused at start (409 ``report_required``), in one ``GetItem``."""

    def __init__(self, reports: PublishedReports) -> None:
        self._reports = reports

    def __call__(self, idrssd: str) -> None:
        if not self._reports.exists(idrssd):
            raise ReportRequired(idrssd)
