"""What the page shows of a bank: its profile and which finished research exists."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.jobs.model import JobType, PublicationSource


class Profiles(Protocol):
    def profile(self, idrssd: str) -> dict[str, Any]: ...


def bank_overview(
    profiles: Profiles, publications: PublicationSource, idrssd: str
) -> dict[str, Any]:
    """The bank's profile plus ``research``: whether a published report and podcast exist.

    The page asks for the latest report or podcast only when there is one, so that a bank
    without them costs no failed request. Both are read in one ``BatchGetItem``.
    """
    overview = profiles.profile(idrssd)
    latest = publications.latest_of_each(idrssd)
    overview["research"] = {str(job_type): job_type in latest for job_type in JobType}
    return overview
