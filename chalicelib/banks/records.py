"""The bank data as plain values: what the Banks table holds, in the shapes code uses.

:mod:`chalicelib.banks.table` maps them to and from items; nothing here knows DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BankStatus:
    """What a job start needs to know of a bank: its name, and ``Profile.has_data`` as the
    profile item stores it (its ``data`` attribute, read without the figures)."""

    name: str
    has_data: bool


@dataclass(frozen=True)
class ProfileView:
    """What a bank's profile shows of its figures, computed by the importer.

    ``source`` says where the latest quarter's figures come from: ``kind`` (``ffiec_cdr``
    or ``synthetic``), ``title``, ``quarter`` and ``producedAt`` (when FFIEC's CDR
    produced the bulk file, if its readme says). The file names are on the quarter's item.
    """

    figures: dict[str, Any]
    metrics: dict[str, float | None]
    series: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    source: dict[str, Any] | None = None
    income_unknown: list[str] = field(default_factory=list)  # quarters shown whose income
    # could not be derived (the quarter before it is not held: income is year-to-date)


@dataclass(frozen=True)
class Link:
    """Another RSSD ID under which the same institution (its FDIC certificate) filed."""

    idrssd: str
    name: str
    quarter: str  # the successor's first quarter with the certificate, or the predecessor's last


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
    first_quarter: str | None = None
    former_names: tuple[str, ...] = ()
    successor: Link | None = None
    predecessors: tuple[Link, ...] = ()

    @property
    def has_data(self) -> bool:
        """The one decision whether a bank has data: figures in the current layout for a
        latest quarter (a bank known by name only, or stored before the layout changed,
        has none)."""
        return self.view is not None and self.latest_quarter is not None

    @property
    def loaded(self) -> ProfileView | None:
        """Its figures when it has data (``has_data``), else None."""
        return self.view if self.has_data else None

    @property
    def total_assets(self) -> Any:
        return None if self.view is None else self.view.figures.get("totalAssets")


@dataclass(frozen=True)
class IndexEntry:
    """One bank in the search index: what a search shows and filters on, and what the
    importer needs to know of a bank it does not touch (its latest quarter, certificate
    and successor)."""

    idrssd: str
    name: str
    city: str = ""
    state: str = ""
    synthetic: bool = False
    has_data: bool = False
    quarter: str | None = None
    assets: int | float | None = None
    fdic_cert: str = ""
    former_names: tuple[str, ...] = ()
    first_quarter: str | None = None
    successor: str | None = None


@dataclass(frozen=True)
class IndexVersion:
    """The index's version, its shard count and the newest quarter held of each kind of
    bank (``real``, ``synthetic``): a bank whose latest quarter is older stopped filing."""

    number: int
    shards: int
    newest: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class QuarterRecord:
    """A ``Q#`` item: one bank's figures for one quarter.

    ``produced_at`` is when FFIEC's CDR produced the bulk file (its readme says so), when
    known.
    """

    idrssd: str
    quarter: str
    figures: dict[str, Any]
    ytd: dict[str, Any] = field(default_factory=dict)
    filing_type: str = ""
    synthetic: bool = False
    source_files: list[str] = field(default_factory=list)
    confidential: tuple[str, ...] = ()
    note: str | None = None
    produced_at: str | None = None


@dataclass(frozen=True)
class Held:
    """One quarter of a bank as a profile is computed from it."""

    figures: dict[str, Any]
    ytd: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    produced_at: str | None = None


@dataclass(frozen=True)
class Recent:
    """A ``RECENT`` item: what the next import needs of a bank without reading its quarters
    back: the quarters it holds among the last :data:`WINDOW` quarter-ends up to its latest,
    the names it has filed under (name, first quarter, last quarter), oldest first, and the
    metric rows its profile shows."""

    quarters: dict[str, Held]
    names: tuple[tuple[str, str, str], ...] = ()
    # The series rows its profile shows, for reuse while their quarters do not change, and
    # the version of the formulas they were computed with.
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows_version: int = 0


# Quarter-ends a profile is computed from: the 8 it shows and the 4 before the oldest of
# them (its year-on-year growth).
WINDOW = 12


@dataclass(frozen=True)
class ImportMarker:
    """An ``IMPORT`` item: the ids (a JSON list) a quarter's last import wrote."""

    quarter: str
    status: str
    source: str
    ids: str
