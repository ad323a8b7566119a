"""The overview's page cursor: where the next page of ``GET /api/research/recent`` begins.

Opaque to clients (base64url JSON): which index partitions the listing walks (fixed at its
first page, so a page boundary at midnight loses nothing), which one it is in, and
DynamoDB's ``LastEvaluatedKey`` within it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.jobs.model import JobType

MAX_CURSOR_CHARS = 1_000
_FEED = re.compile(r"ACTIVE|DONE#[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A page of the overview stops at a current job item: only those are in the index.
_ITEM_PK = re.compile(r"BANK#[1-9][0-9]{0,9}")
_ITEM_SK = re.compile("JOB#(" + "|".join(str(kind) for kind in JobType) + ")")
MAX_FEED_AT = 10**13  # epoch milliseconds (the year 2286): DynamoDB refuses far larger
BAD_CURSOR = (
    "The cursor is not one this service gave out: pass the nextCursor of the previous page "
    "as it was, or leave it out to start from the beginning."
)


@dataclass(frozen=True)
class Cursor:
    feeds: tuple[str, ...]
    index: int
    key: dict[str, Any] | None


def encode(cursor: Cursor) -> str:
    document = {"f": list(cursor.feeds), "i": cursor.index, "k": cursor.key}
    raw = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(text: str) -> Cursor:
    """The cursor in ``text``, or ``InvalidInput`` (``invalid_cursor``) with a sentence."""
    if not text or len(text) > MAX_CURSOR_CHARS:
        raise InvalidInput(BAD_CURSOR, "invalid_cursor")
    try:
        padded = text + "=" * (-len(text) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidInput(BAD_CURSOR, "invalid_cursor") from exc
    cursor = _cursor_of(document)
    if cursor is None:
        raise InvalidInput(BAD_CURSOR, "invalid_cursor")
    return cursor


def _cursor_of(document: Any) -> Cursor | None:
    if not isinstance(document, dict) or set(document) != {"f", "i", "k"}:
        return None
    feeds, index, key = document["f"], document["i"], document["k"]
    if not (isinstance(feeds, list) and 0 < len(feeds) <= 5):
        return None
    if not all(isinstance(feed, str) and _FEED.fullmatch(feed) for feed in feeds):
        return None
    if not (isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(feeds)):
        return None
    if key is not None and not _is_key(key, feeds[index]):
        return None
    return Cursor(tuple(feeds), index, key)


def _is_key(key: Any, feed: str) -> bool:
    """Whether ``key`` is where a page of ``feed`` could have stopped: a current job item
    of that very partition, so that a cursor can name no other partition of the table."""
    if not isinstance(key, dict) or set(key) != {"pk", "sk", "feed", "feedAt"}:
        return False
    pk, sk, feed_at = key["pk"], key["sk"], key["feedAt"]
    return (
        isinstance(pk, str)
        and bool(_ITEM_PK.fullmatch(pk))
        and isinstance(sk, str)
        and bool(_ITEM_SK.fullmatch(sk))
        and key["feed"] == feed
        and isinstance(feed_at, int)
        and not isinstance(feed_at, bool)
        and 0 <= feed_at < MAX_FEED_AT
    )
