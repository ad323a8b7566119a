"""The bank data as plain values: what the Banks table holds, in the shapes code uses.

:mod:`chalicelib.banks.table` maps them to and from items; nothing here knows DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BankStatus:
    """What a job start needs to know of a bank."""

    name: str
    has_data: bool


@dataclass(frozen=True)
class ProfileView:
    """What a bank's profile shows of its figures, computed by the importer."""

    figures: dict[str, Any]
    metrics: dict[str, float | None]
    series: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """A ``PROFILE`` item. ``view`` is None for a bank known by name only."""

    idrssd: str
    name: str
    city: str = ""
    state: str = ""
    fdic_cert: str = ""
    filing_type: str = ""
    synthetic: bool = False
    reference: bool = False
    latest_quarter: str | None = None
    view: ProfileView | None = None
    peers: dict[str, Any] | None = None

    @property
    def has_data(self) -> bool:
        return self.view is not None and self.latest_quarter is not None

    @property
    def total_assets(self) -> Any:
        return None if self.view is None else self.view.figures.get("totalAssets")


@dataclass(frozen=True)
class IndexEntry:
    """One bank in the search index; ``metrics`` are its latest peer metrics."""

    idrssd: str
    name: str
    city: str = ""
    state: str = ""
    synthetic: bool = False
    has_data: bool = False
    quarter: str | None = None
    assets: int | float | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexVersion:
    number: int
    shards: int


@dataclass(frozen=True)
class QuarterRecord:
    """A ``Q#`` item: one bank's figures for one quarter."""

    idrssd: str
    quarter: str
    figures: dict[str, Any]
    ytd: dict[str, Any] = field(default_factory=dict)
    filing_type: str = ""
    synthetic: bool = False
    source_files: list[str] = field(default_factory=list)
    confidential: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class ImportMarker:
    """An ``IMPORT`` item: the ids (a JSON list) a quarter's last import wrote."""

    quarter: str
    status: str
    source: str
    ids: str
