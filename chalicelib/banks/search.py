"""Bank search over the index, kept in memory and reloaded only when an import changed it.

A warm process answers searches from memory: no AWS call. At most every
``check_seconds`` it reads the index's version number (one small ``GetItem``) and reloads
the shards (one ``BatchGetItem``) only when an import has moved it. Matching is a linear
pass over pre-normalised strings and numbers, a few milliseconds for thousands of banks;
both orders (by name, by total assets) are sorted once per load.

A page holds at most 50 banks; when more match, ``nextCursor`` continues the search (the
cursor is an opaque position: given with the same search, the next page).
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.banks.errors import InvalidQuery
from chalicelib.banks.records import IndexEntry, IndexVersion
from chalicelib.banks.table import BanksTable

MAX_QUERY_LENGTH = 100
CONTROL_CATEGORIES = frozenset({"Cc"})
# The same characters as a regular expression (C0 controls, DEL and C1 controls), for the
# OpenAPI document: q must not match it. (A query string cannot carry a lone surrogate: an
# invalid UTF-8 escape arrives as U+FFFD.)
CONTROL_CHARACTER = "[\\u0000-\\u001f\\u007f-\\u009f]"
MAX_RESULTS = 50
CHECK_SECONDS = 5.0
MAX_AMOUNT_DIGITS = 13  # thousands of dollars: up to $10 quadrillion, far above any bank
SORTS = ("name", "assets")
SEARCH_PARAMETERS = ("q", "state", "minAssets", "maxAssets", "hasData", "sort", "cursor")
_STATE = re.compile(r"[A-Za-z]{2}")
_AMOUNT = re.compile(rf"[0-9]{{1,{MAX_AMOUNT_DIGITS}}}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CURSOR_TEXT = re.compile(r"o(?P<offset>[0-9]{1,6})")


def normalise(text: str) -> str:
    """Lower case, accents removed, runs of whitespace made one space."""
    if text.isascii():  # nothing to decompose (most names): a tenth of the cost
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def validate_query(q: Any) -> str:
    """The search text, stripped; raises InvalidQuery with a sentence when unusable."""
    if q is None:
        return ""
    if not isinstance(q, str):
        raise InvalidQuery("The search text must be a string of at most 100 characters.")
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidQuery(
            f"The search text is {len(q)} characters long; use at most {MAX_QUERY_LENGTH} "
            "characters (a bank name, a city, or the start of an RSSD id)."
        )
    for char in q:
        # Control characters (C0, DEL, C1); any other code point, an unassigned one
        # included, is text that simply matches no bank. The OpenAPI
        # document's schema for q says the same (CONTROL_CHARACTER).
        if unicodedata.category(char) in CONTROL_CATEGORIES:
            raise InvalidQuery(
                f"The search text contains a control character (U+{ord(char):04X}); type "
                "plain text such as a bank name, a city, or an RSSD id."
            )
    return q.strip()


@dataclass(frozen=True)
class Search:
    """What a person asked for: text, filters, an order and where the page begins."""

    q: str = ""
    state: str | None = None
    min_assets: int | None = None
    max_assets: int | None = None
    has_data: bool | None = None
    sort: str = "name"
    offset: int = 0


def _amount(raw: str, name: str) -> int:
    if not _AMOUNT.fullmatch(raw):
        raise InvalidQuery(
            f"{name} must be a whole number of thousands of dollars, digits 0-9 only, at most "
            f"{MAX_AMOUNT_DIGITS} of them (for example {name}=1000000 for $1 billion).",
            "invalid_filter",
        )
    return int(raw)


def _has_data(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise InvalidQuery(
            "hasData must be true (banks with figures) or false (banks known by name only).",
            "invalid_filter",
        )
    return raw == "true"


def parse_search(params: Mapping[str, str | None]) -> Search:
    """A search from the query string; raises InvalidQuery with a sentence for a bad part."""

    def given(name: str) -> str | None:
        value = params.get(name)
        return None if value is None or value == "" else value

    state = given("state")
    if state is not None and not _STATE.fullmatch(state):
        raise InvalidQuery(
            "state must be a two-letter U.S. state or territory code, such as NY or PR.",
            "invalid_filter",
        )
    sort = given("sort") or "name"
    if sort not in SORTS:
        raise InvalidQuery("sort must be name or assets (largest first).", "invalid_sort")
    search = Search(
        q=validate_query(params.get("q")),
        state=state.upper() if state else None,
        min_assets=_amount(raw, "minAssets") if (raw := given("minAssets")) else None,
        max_assets=_amount(raw, "maxAssets") if (raw := given("maxAssets")) else None,
        has_data=_has_data(raw) if (raw := given("hasData")) else None,
        sort=sort,
    )
    cursor = given("cursor")
    return search if cursor is None else _continue(search, cursor)


def _continue(search: Search, cursor: str) -> Search:
    """The search at the position ``cursor`` gave."""
    refused = InvalidQuery(
        "This cursor is not one a search gave out: repeat the search without a cursor, "
        "then pass the nextCursor it gives.",
        "invalid_cursor",
    )
    if not _CURSOR.fullmatch(cursor):
        raise refused
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise refused from error
    match = _CURSOR_TEXT.fullmatch(text)
    if match is None:
        raise refused
    offset = int(match["offset"])
    return Search(**{**search.__dict__, "offset": offset})


def encode_cursor(offset: int) -> str:
    """The cursor of a position in a search's matches (what ``nextCursor`` gives out)."""
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def summary(entry: IndexEntry, newest: Mapping[str, str]) -> dict[str, Any]:
    """One search result as the API shows it."""
    kind = "synthetic" if entry.synthetic else "real"
    stopped = bool(entry.has_data and entry.quarter and entry.quarter < newest.get(kind, ""))
    return {
        "idrssd": entry.idrssd,
        "name": entry.name,
        "city": entry.city,
        "state": entry.state,
        "fdicCert": entry.fdic_cert or None,
        "formerNames": list(entry.former_names),
        "synthetic": entry.synthetic,
        "data": "loaded" if entry.has_data else "none",
        "hasData": entry.has_data,
        "latestQuarter": entry.quarter,
        "stoppedFiling": stopped,
        "totalAssets": entry.assets,
    }


@dataclass(frozen=True)
class _Bank:
    """One bank as a search meets it: what it matches on and what it shows."""

    idrssd: str
    cert: str
    haystack: str
    state: str
    assets: float | None
    has_data: bool
    result: dict[str, Any]


@dataclass(frozen=True)
class _Loaded:
    version: IndexVersion | None
    by_name: tuple[_Bank, ...] = ()
    by_assets: tuple[_Bank, ...] = ()
    newest: dict[str, str] = field(default_factory=dict)


def _load(entries: dict[str, IndexEntry], version: IndexVersion | None) -> _Loaded:
    """Both orders, sorted once: banks with figures first, then by name; or by total assets,
    largest first (unknown last)."""
    newest = dict(version.newest) if version else {}
    banks = [
        _Bank(
            entry.idrssd,
            entry.fdic_cert,
            normalise(" ".join((entry.name, *entry.former_names, entry.city, entry.state))),
            entry.state.upper(),
            None if entry.assets is None else float(entry.assets),
            entry.has_data,
            summary(entry, newest),
        )
        for entry in entries.values()
    ]
    by_name = sorted(banks, key=lambda b: (not b.has_data, b.result["name"].casefold(), b.idrssd))
    by_assets = sorted(
        banks, key=lambda b: (b.assets is None, -(b.assets or 0), b.result["name"].casefold())
    )
    return _Loaded(version, tuple(by_name), tuple(by_assets), newest)


def _matches(bank: _Bank, search: Search, terms: list[str], digits: bool) -> bool:
    if search.state is not None and bank.state != search.state:
        return False
    if search.has_data is not None and bank.has_data != search.has_data:
        return False
    if search.min_assets is not None and (bank.assets is None or bank.assets < search.min_assets):
        return False
    if search.max_assets is not None and (bank.assets is None or bank.assets > search.max_assets):
        return False
    if not terms:
        return True
    if digits and (bank.idrssd.startswith(search.q) or bank.cert == search.q):
        return True
    return all(term in bank.haystack for term in terms)


class SearchIndex:
    """The bank index of one process; safe to share between threads."""

    def __init__(
        self,
        banks: BanksTable,
        clock: Callable[[], float] = time.monotonic,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._banks = banks
        self._clock = clock
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._checked_at = 0.0
        self._checked = False
        self._seen: IndexVersion | None = None

    def search(self, search: Search | str) -> dict[str, Any]:
        """A page of the banks that match: whose name (or a former name), city or state
        holds every word of ``q``, or whose RSSD ID starts with ``q`` or FDIC certificate is
        ``q`` (digits); case- and accent-insensitive; then the filters. Every character is
        literal text. ``{"banks", "count", "total", "nextCursor"}``."""
        if isinstance(search, str):
            search = Search(q=validate_query(search))
        loaded = self._current()
        ranked = loaded.by_assets if search.sort == "assets" else loaded.by_name
        terms = normalise(search.q).split()
        digits = search.q.isascii() and search.q.isdigit()
        found = [bank for bank in ranked if _matches(bank, search, terms, digits)]
        page = found[search.offset : search.offset + MAX_RESULTS]
        end = search.offset + len(page)
        return {
            "banks": [dict(bank.result) for bank in page],
            "count": len(page),
            "total": len(found),
            "nextCursor": encode_cursor(end) if end < len(found) else None,
        }

    def every_match(self, search: Search) -> list[dict[str, Any]]:
        """Every bank ``search`` admits (its filters; no text, no pages), as a page shows it:
        what a batch chooses its banks from."""
        loaded = self._current()
        return [dict(bank.result) for bank in loaded.by_name if _matches(bank, search, [], False)]

    def newest(self) -> dict[str, str]:
        """The newest quarter held of real and of synthetic banks: the index's version item,
        read at most every ``check_seconds`` (the shards are not loaded for it)."""
        with self._lock:
            version = self._version()
        return dict(version.newest) if version else {}

    def _version(self) -> IndexVersion | None:
        """The index's version, read again when the last read is ``check_seconds`` old
        (the caller holds the lock)."""
        now = self._clock()
        if not self._checked or now - self._checked_at >= self._check_seconds:
            self._checked_at, self._checked = now, True
            self._seen = self._banks.index_version()
        return self._seen

    def _current(self) -> _Loaded:
        with self._lock:
            version = self._version()
            loaded = self._loaded
            if loaded is None or version != loaded.version:
                loaded = self._loaded = self._reload(version, loaded)
            return loaded

    def _reload(self, version: IndexVersion | None, previous: _Loaded | None) -> _Loaded:
        if version is None:
            return _load({}, None)
        entries = self._banks.index_entries(version)
        if entries is None:  # an import replaced this version meanwhile: next check reloads
            return previous or _load({}, None)
        return _load(entries, version)
