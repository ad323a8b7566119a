"""A temporary on-disk SQLite database that one import run stages its rows in.

The bulk files of a quarter have to be joined on IDRSSD (one file per schedule, wide ones
split in parts, the POR panel apart), and the importer needs each bank's previous-quarter
and year-ago figures. Doing that in Python dicts costs memory per bank; doing it in SQLite
costs disk, with memory bounded by the page cache set here. Nothing here is kept: the file
is deleted on :meth:`Staging.close`.

Values are stored pickled. They are ints, Decimals, floats, strings and None that this
process wrote into its own private temp file a moment before, so pickle is safe and keeps
the exact types (JSON would turn Decimals into floats).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any

# SQLite page cache in KiB (a negative cache_size is KiB). It is the only memory the staging
# database takes, whatever the number of banks; the rest lives in the temp file. 32 MiB holds
# the working set of an eight-quarter import of every U.S. bank (a smaller cache spills to
# disk and costs seconds).
CACHE_KIB = 32 * 1024
# Rows fetched from SQLite at a time when a caller pages through a table.
PAGE = 100


def dump(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def load(blob: bytes) -> Any:
    return pickle.loads(blob)  # our own temp file, written by this process: see above


class Staging:
    """One temp SQLite file, opened for one run and deleted afterwards.

    The connection runs in one long transaction with no journal: the data is disposable,
    a crash loses nothing that matters, and SQLite spills dirty pages to the file once the
    bounded cache is full instead of holding them in memory.
    """

    def __init__(self, directory: str | None = None, cache_kib: int = CACHE_KIB) -> None:
        handle, self.path = tempfile.mkstemp(prefix="banks-import-", suffix=".db", dir=directory)
        os.close(handle)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA temp_store = FILE")  # sorts (ORDER BY, GROUP BY) go to disk
        self.db.execute("BEGIN")

    def create(self, schema: str) -> None:
        """Create tables (``CREATE TABLE IF NOT EXISTS …`` statements) inside the run."""
        for statement in schema.split(";"):
            if statement.strip():
                self.db.execute(statement)

    def pages(
        self, sql: str, params: Sequence[Any] = (), size: int = PAGE
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a SELECT in lists of at most ``size``.

        Pages are read with ``fetchmany`` from one cursor, so only a page is in memory;
        callers may write to *other* tables between pages (same connection, same
        transaction), never to the one being read.
        """
        cursor = self.db.execute(sql, tuple(params))
        try:
            while rows := cursor.fetchmany(size):
                yield rows
        finally:
            cursor.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a SELECT one by one, a page at a time (see :meth:`pages`)."""
        for page in self.pages(sql, params):
            yield from page

    def insert(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
