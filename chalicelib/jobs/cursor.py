"""The overview's page cursor: where the next page of ``GET /api/research/recent`` begins.

Opaque to clients (base64url JSON): DynamoDB's ``LastEvaluatedKey`` in the index's one
partition, checked field by field when it comes back, so that a cursor can name no other
partition or item than one a page of the overview could have stopped at.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.jobs.items import ACTIVE_RANK_MS, FEED
from chalicelib.jobs.model import JobType

MAX_CURSOR_CHARS = 1_000
# A page of the overview stops at a current job item: only those are in the index.
_ITEM_PK = re.compile(r"BANK#[1-9][0-9]{0,9}")
_ITEM_SK = re.compile("JOB#(" + "|".join(str(kind) for kind in JobType) + ")")
# feedAt is epoch milliseconds, plus ACTIVE_RANK_MS for an active job: below twice that
# (the year 2286 twice over); DynamoDB refuses numbers far larger.
MAX_FEED_AT = 2 * ACTIVE_RANK_MS
BAD_CURSOR = (
    "The cursor is not one this service gave out: pass the nextCursor of the previous page "
    "as it was, or leave it out to start from the beginning."
)


@dataclass(frozen=True)
class Cursor:
    key: dict[str, Any]


def encode(cursor: Cursor) -> str:
    raw = json.dumps({"k": cursor.key}, separators=(",", ":")).encode("utf-8")
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
    if not isinstance(document, dict) or set(document) != {"k"} or not _is_key(document["k"]):
        raise InvalidInput(BAD_CURSOR, "invalid_cursor")
    return Cursor(document["k"])


def _is_key(key: Any) -> bool:
    """Whether ``key`` is where a page could have stopped: a current job item of the
    index's one partition, with a ``feedAt`` in range."""
    if not isinstance(key, dict) or set(key) != {"pk", "sk", "feed", "feedAt"}:
        return False
    pk, sk, feed_at = key["pk"], key["sk"], key["feedAt"]
    return (
        isinstance(pk, str)
        and bool(_ITEM_PK.fullmatch(pk))
        and isinstance(sk, str)
        and bool(_ITEM_SK.fullmatch(sk))
        and key["feed"] == FEED
        and isinstance(feed_at, int)
        and not isinstance(feed_at, bool)
        and 0 <= feed_at < MAX_FEED_AT
    )
