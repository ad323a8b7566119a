"""The overview's page cursor: where the next page of ``GET /api/research/recent`` begins.

Opaque to clients (base64url JSON): DynamoDB's ``LastEvaluatedKey`` in the index's one
partition, checked field by field when it comes back.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput

MAX_CURSOR_CHARS = 1_000
_KEY_FIELDS = {"pk": str, "sk": str, "feed": str, "feedAt": int}
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
    if not isinstance(key, dict) or set(key) != set(_KEY_FIELDS):
        return False
    return all(
        isinstance(key[name], kind) and not isinstance(key[name], bool)
        for name, kind in _KEY_FIELDS.items()
    )
