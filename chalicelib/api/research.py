"""What the page shows of a bank: its profile and which finished research exists."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from chalicelib.jobs.model import JobType, PublicationSource

# The two reads of an overview go to different tables: made side by side, the profile
# costs the slower of them rather than both (threads start only when first used).
_side_reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="overview")


class Profiles(Protocol):
    def profile(self, idrssd: str) -> dict[str, Any]: ...


def bank_overview(
    profiles: Profiles, publications: PublicationSource, idrssd: str
) -> dict[str, Any]:
    """The bank's profile plus ``research``: whether a published report and podcast exist.

    The page asks for the latest report or podcast only when there is one, so that a bank
    without them costs no failed request. The profile is one ``GetItem`` of the Banks
    table; the publications one ``BatchGetItem`` of the Jobs table, read at the same time.
    """
    latest = _side_reads.submit(publications.latest_of_each, idrssd)
    try:
        overview = profiles.profile(idrssd)
    except BaseException:
        latest.cancel()
        raise
    found = latest.result()
    overview["research"] = {str(job_type): job_type in found for job_type in JobType}
    return overview
