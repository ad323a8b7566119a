"""What schemathesis cannot learn from the OpenAPI document alone (``SCHEMATHESIS_HOOKS``).

The overview's cursor is opaque (``format: cursor``): a string of its alphabet is not a
cursor unless this service gave it out. Its positive examples are therefore cursors of the
shape the service gives out, made by the same encoder with random positions; anything else
is negative data, which the API refuses with 400 ``invalid_cursor``. The bank search's
cursor (``format: bank-cursor``) likewise.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from chalicelib.banks.search import encode_cursor
from chalicelib.jobs.cursor import MAX_FEED_AT, Cursor, encode
from chalicelib.jobs.items import FEED
from chalicelib.jobs.model import JobType


@st.composite
def _cursors(draw: st.DrawFn) -> str:
    key = {
        "pk": draw(st.integers(1, 9_999_999_999).map(lambda rssd: f"BANK#{rssd}")),
        "sk": draw(st.sampled_from([f"JOB#{kind}" for kind in JobType])),
        "feed": FEED,
        "feedAt": draw(st.integers(0, MAX_FEED_AT - 1)),
    }
    return encode(Cursor(key))


schemathesis.openapi.format("cursor", _cursors())
# The bank search's cursor: a position in the matches, as the search encodes it.
schemathesis.openapi.format("bank-cursor", st.integers(0, 999_999).map(encode_cursor))
