"""Finding banks and reading one bank's profile.

No Chalice here: the routes call :class:`BankCatalog` and turn its domain errors into HTTP
answers. Values returned are JSON-ready. A profile is one ``GetItem``: the importer stores
on the ``PROFILE`` item everything the profile shows (see :mod:`chalicelib.banks.table`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.banks.context import figures_in_context, series_with_medians, shown_peers
from chalicelib.banks.errors import NO_DATA_MESSAGE, BankNotFound
from chalicelib.banks.records import Link, Profile
from chalicelib.banks.search import Search, SearchIndex
from chalicelib.banks.table import BanksTable

SYNTHETIC_MESSAGE = (
    "Synthetic data: this bank and its figures are invented for demonstration and describe "
    "no real institution."
)
# A profile written by an importer older than the stored view (docs/ARCHITECTURE.md):
# said for people, like NO_DATA_MESSAGE; README tells the operator to import again.
REIMPORT_MESSAGE = (
    "This bank's figures were loaded by an earlier version of this service and cannot be "
    "shown until they are loaded again. Choose another bank, or ask whoever runs this "
    "service to load this bank's call reports again."
)


class BankCatalog:
    """Search and profiles over the Banks table."""

    def __init__(self, banks: BanksTable, index: SearchIndex | None = None) -> None:
        self._banks = banks
        self._index = index or SearchIndex(banks)

    def search(self, search: Search | str) -> dict[str, Any]:
        """See :meth:`SearchIndex.search`."""
        return self._index.search(search)

    def profile(self, idrssd: str) -> dict[str, Any]:
        """One bank: who it is (and the names and RSSD IDs it filed under before), its
        latest figures and metrics, the quarterly series of its metrics, its peer group in
        its latest quarter (medians, its percentiles), each latest figure in context
        (:func:`figures_in_context`: changes on the quarter and year, percentile), where
        the figures come from, and
        whether it still files (``reporting``: a bank that stopped keeps its history).

        ``idrssd`` is a validated RSSD ID (``chalicelib.api.validation.parse_idrssd``).
        """
        profile = self._banks.profile(idrssd)
        if profile is None:
            raise BankNotFound(idrssd)
        base: dict[str, Any] = {
            "idrssd": idrssd,
            "name": profile.name,
            "city": profile.city,
            "state": profile.state,
            "fdicCert": profile.fdic_cert or None,
            "filingType": profile.filing_type or None,
            "synthetic": profile.synthetic,
            "formerNames": list(profile.former_names),
            "successor": _link(profile.successor) if profile.successor else None,
            "predecessors": [_link(link) for link in profile.predecessors],
        }
        view = profile.loaded
        if view is None:
            return {**base, **_without_figures(profile)}
        result = {
            **base,
            "data": "loaded",
            "latestQuarter": profile.latest_quarter,
            "figures": view.figures,
            "metrics": view.metrics,
            "series": series_with_medians(view.series, profile.peers),
            "peers": shown_peers(profile.peers),
            "context": figures_in_context(str(profile.latest_quarter), view.series, profile.peers),
            "notes": view.notes,
            "incomeUnknown": view.income_unknown,
            "source": view.source,
            "reporting": self._reporting(profile),
        }
        if profile.synthetic:
            result["message"] = SYNTHETIC_MESSAGE
        return result

    def _reporting(self, profile: Profile) -> dict[str, Any]:
        """Whether the bank still files: its first and last quarter held, and the newest
        quarter held of banks of its kind (when its own is older, it stopped filing)."""
        newest = self._index.newest().get("synthetic" if profile.synthetic else "real")
        last = profile.latest_quarter
        stopped = bool(newest and last and last < newest)
        return {
            "status": "stopped" if stopped else "current",
            "firstQuarter": profile.first_quarter,
            "lastQuarter": last,
            "newestQuarter": newest or last,
        }


def _link(link: Link) -> dict[str, str]:
    return {"idrssd": link.idrssd, "name": link.name, "lastQuarter": link.quarter}


def _without_figures(profile: Profile) -> dict[str, Any]:
    return {
        "data": "none",
        "message": REIMPORT_MESSAGE if profile.latest_quarter else NO_DATA_MESSAGE,
        "latestQuarter": None,
        "figures": None,
        "metrics": None,
        "series": [],
        "peers": None,
        "context": {},
        "source": None,
        "reporting": None,
    }
