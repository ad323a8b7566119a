"""What the page shows of a bank: its profile and which finished research exists."""

from __future__ import annotations

from typing import Any, Protocol


class Profiles(Protocol):
    def profile(self, idrssd: str) -> dict[str, Any]: ...


class Archive(Protocol):
    def exists(self, idrssd: str) -> bool: ...


def bank_overview(
    profiles: Profiles, reports: Archive, podcasts: Archive, idrssd: str
) -> dict[str, Any]:
    """The bank's profile plus ``research``: whether a finished report and podcast exist.

    The page asks for the latest report or podcast only when there is one, so that a bank
    without them costs no failed request.
    """
    overview = profiles.profile(idrssd)
    overview["research"] = {"report": reports.exists(idrssd), "podcast": podcasts.exists(idrssd)}
    return overview
