"""Which bank data the local stack serves (``BANK_DATA``), and the cache that makes the
real data quick to load again.

``BANK_DATA=real`` (the default) imports the eight real FFIEC quarters shipped in
``data/ffiec/``; ``sample`` the synthetic 25 banks of ``data/sample/ffiec/`` and the
reference list of real banks known by name only (demos of the synthetic flag, tests);
``none`` leaves the Banks table empty, for importing one's own files.

The real import takes about a minute; its result is kept in a cache outside the project
(``chalice local`` watches the project), under a key made of the checksums of the data files,
of the code that turns them into items, and of the emulator's version: when any of them
changes the key does, so a stale cache is never served. A warm start puts the cached items
straight into the emulator, which runs in this process: seconds, not a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "ffiec"
SAMPLE = ROOT / "data" / "sample" / "ffiec"
CHOICES = ("real", "sample", "none")
# The code whose output the cache holds: a change to any of it is a new key.
_CODE = ("ingest", "chalicelib/banks")
_FORMAT = 1  # of the cache file itself


class BankDataError(ValueError):
    """A ``BANK_DATA`` value the stack cannot use; the message says what to set instead."""


def choice(environ: Mapping[str, str]) -> str:
    """The data ``BANK_DATA`` asks for (``real`` when unset)."""
    value = environ.get("BANK_DATA", "").strip().lower() or "real"
    if value not in CHOICES:
        raise BankDataError(
            f"BANK_DATA={environ['BANK_DATA']!r} is not a choice of bank data: use "
            "BANK_DATA=real (the FFIEC call reports, the default), BANK_DATA=sample (25 "
            "synthetic banks) or BANK_DATA=none (an empty table, to import your own files)."
        )
    return value


def cache_dir(environ: Mapping[str, str]) -> Path:
    """``BANK_DATA_CACHE``, else the user's cache folder (``XDG_CACHE_HOME`` or ~/.cache)."""
    if environ.get("BANK_DATA_CACHE"):
        return Path(environ["BANK_DATA_CACHE"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bank-research"


def _digest(paths: Iterable[Path], root: Path) -> Iterator[str]:
    for path in sorted(paths):
        yield f"{path.relative_to(root)} {hashlib.sha256(path.read_bytes()).hexdigest()}"


def cache_key(data: Path = REAL, root: Path = ROOT) -> str:
    """What the cached items were made from: the data files, the code, moto's version."""
    lines = [f"format {_FORMAT}", f"moto {metadata.version('moto')}"]
    lines += _digest((p for p in data.iterdir() if p.is_file()), root)
    lines += _digest((p for folder in _CODE for p in (root / folder).rglob("*.py")), root)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Loaded:
    """What the stack says once the data is in: a sentence, and where it came from."""

    sentence: str
    cached: bool = False


class ItemCache:
    """The Banks table's items as DynamoDB JSON, compressed, in one file per key."""

    def __init__(self, folder: Path, key: str) -> None:
        self.path = folder / f"banks-{key}.json.z"

    def read(self) -> list[dict[str, Any]] | None:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            document = json.loads(zlib.decompress(blob))
        except (zlib.error, ValueError):
            return None  # a damaged file is a miss; the import writes it again
        return list(document["items"]) if document.get("format") == _FORMAT else None

    def write(self, items: Iterable[dict[str, Any]]) -> None:
        """Written beside and renamed: a reader never sees half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"format": _FORMAT, "items": list(items)}, separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(zlib.compress(data.encode(), 1))
        os.replace(temporary, self.path)
        for old in self.path.parent.glob("banks-*.json.z"):
            if old != self.path:
                old.unlink(missing_ok=True)  # only the current data's cache is kept


def load(
    data: str, table: Any, emulated: EmulatedTable, environ: Mapping[str, str],
    say: Callable[[str], None],
) -> Loaded:  # fmt: skip
    """Fill the empty Banks ``table`` (a boto3 Table on the emulator) with ``data``."""
    from ingest.importer import BankImporter  # the importer only when data is loaded

    if data == "none":
        return Loaded("No bank data loaded (BANK_DATA=none): import your own files.")
    if data == "sample":
        importer = BankImporter(table)
        summary = importer.import_path(SAMPLE)
        references = importer.load_reference_banks()
        return Loaded(f"{summary.sentence()} Also {references} real banks by identifier only.")
    cache = ItemCache(cache_dir(environ), cache_key())
    items = cache.read()
    if items is not None:
        emulated.put_all(items)
        return Loaded(f"Loaded {_banks(items)} real banks from the cache ({cache.path}).", True)
    say("Importing eight quarters of FFIEC call reports (about a minute, once)…")
    summary = BankImporter(table).import_path(REAL)
    cache.write(emulated.items())
    return Loaded(summary.sentence())


def _banks(items: list[dict[str, Any]]) -> int:
    return sum(1 for item in items if item.get("sk", {}).get("S") == "PROFILE")


class EmulatedTable:
    """One table of the in-process emulator, reached directly: its items as DynamoDB JSON
    out, and back in without a request each.

    Items going in were taken out of the same emulator version (the cache key holds moto's
    version), so moto's checks on a write are skipped: that is most of their cost. A test
    holds a restored table equal to the imported one.
    """

    def __init__(self, name: str, account: str = "123456789012", region: str = "us-east-1"):
        from moto.dynamodb.models import dynamodb_backends

        self._backend = dynamodb_backends[account][region]
        self._name = name

    def items(self) -> Iterator[dict[str, Any]]:
        table = self._backend.get_table(self._name)
        for item in table.all_items():
            yield item.to_json()["Attributes"]

    def put_all(self, items: Iterable[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

        from devstack.emulator import write_lock

        table = self._backend.get_table(self._name)
        hash_name, range_name = table.hash_key_attr, str(table.range_key_attr)
        with write_lock():
            for attrs in items:
                item: Any = Item.__new__(Item)  # moto types __new__ as its base model's
                item.hash_key = DynamoType(attrs[hash_name])
                item.range_key = DynamoType(attrs[range_name])
                item.attrs = LimitedSizeDict()
                dict.update(item.attrs, {name: DynamoType(value) for name, value in attrs.items()})
                table.items[item.hash_key][item.range_key] = item
