"""The ids the API gives out (jobs, batches): lower-case UUIDs, checked in one place."""

from __future__ import annotations

import re

from chalicelib.errors import InvalidInput, excerpt

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_uuid(raw: str | None, noun: str, field: str, code: str) -> str:
    """``raw`` if it is an id as the API writes them; otherwise ``InvalidInput`` saying
    where a right one comes from (``noun`` "job", ``field`` "jobId", ``code`` the error's)."""
    if raw is None or not _UUID.fullmatch(raw):
        raise InvalidInput(
            f"'{excerpt(raw or '')}' is not a {noun} id: use the {field} a {noun} or a listing "
            "gave (a UUID such as 0193a1b2-…).",
            code,
        )
    return raw
