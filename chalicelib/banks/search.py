"""Bank search over the index, kept in memory and reloaded only when an import changed it.

A warm process answers searches from memory: no AWS call. At most every
``check_seconds`` it reads the index's version number (one small ``GetItem``) and reloads
the shards (one ``BatchGetItem``) only when an import has moved it. Matching is a linear
pass over pre-normalised strings, a few milliseconds for thousands of banks.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
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


def summary(entry: IndexEntry) -> dict[str, Any]:
    """One search result as the API shows it."""
    return {
        "idrssd": entry.idrssd,
        "name": entry.name,
        "city": entry.city,
        "state": entry.state,
        "synthetic": entry.synthetic,
        "data": "loaded" if entry.has_data else "none",
        "hasData": entry.has_data,
        "latestQuarter": entry.quarter,
        "totalAssets": entry.assets,
    }


@dataclass(frozen=True)
class _Loaded:
    version: IndexVersion | None
    ranked: tuple[tuple[str, str, dict[str, Any]], ...]  # (id, haystack, result)


def _rank(entries: dict[str, IndexEntry], version: IndexVersion | None) -> _Loaded:
    """Banks with figures first, then by name: the order results are shown in."""
    keyed = sorted(
        ((not entry.has_data, normalise(entry.name), entry.idrssd), entry)
        for entry in entries.values()
    )
    return _Loaded(
        version,
        tuple(
            (entry.idrssd, normalise(f"{entry.name} {entry.city} {entry.state}"), summary(entry))
            for _, entry in keyed
        ),
    )


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

    def search(self, q: str) -> list[dict[str, Any]]:
        """Banks whose name, city or state contains every word of ``q``, or whose RSSD id
        starts with ``q`` (digits); case- and accent-insensitive; banks with figures first,
        then by name; at most 50. An empty ``q`` lists the first 50. Every character is
        literal text."""
        text = validate_query(q)
        terms = normalise(text).split()
        digits = text.isascii() and text.isdigit()  # an RSSD id: ASCII digits
        results: list[dict[str, Any]] = []
        for idrssd, haystack, result in self._current().ranked:
            if terms and not (
                (digits and idrssd.startswith(text)) or all(term in haystack for term in terms)
            ):
                continue
            results.append(dict(result))
            if len(results) == MAX_RESULTS:
                break
        return results

    def _current(self) -> _Loaded:
        with self._lock:
            now = self._clock()
            loaded = self._loaded
            if loaded is None or now - self._checked_at >= self._check_seconds:
                self._checked_at = now
                version = self._banks.index_version()
                if loaded is None or version != loaded.version:
                    loaded = self._loaded = self._load(version, loaded)
            return loaded

    def _load(self, version: IndexVersion | None, previous: _Loaded | None) -> _Loaded:
        if version is None:
            return _rank({}, None)
        entries = self._banks.index_entries(version)
        if entries is None:  # an import replaced this version meanwhile: next check reloads
            return previous or _rank({}, None)
        return _rank(entries, version)
