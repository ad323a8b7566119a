"""Turning raw request parts into domain values, or ``InvalidInput`` with a sentence.

Every message says what was wrong and what to send instead; none echoes more than a short
excerpt of what it was given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chalicelib.errors import InvalidInput, excerpt, json_kind
from chalicelib.ids import parse_uuid
from chalicelib.jobs.cursor import Cursor
from chalicelib.jobs.cursor import decode as decode_cursor
from chalicelib.jobs.model import JobType
from chalicelib.jobs.overview import STATE_FILTERS, Filters
from chalicelib.numbers import whole_number

MAX_RSSD_DIGITS = 10
MAX_BODY_BYTES = 4096
MAX_JSON_DEPTH = 32
_RSSD = re.compile(r"[1-9][0-9]{0,9}")
_JOB_TYPES = ", ".join(f"'{kind}'" for kind in JobType)


def parse_idrssd(raw: str | None) -> str:
    """A Federal Reserve RSSD ID: 1 to 10 decimal digits, no leading zero."""
    if raw is None or raw == "":
        raise InvalidInput("The bank's RSSD ID is missing from the URL.", "invalid_idrssd")
    if not _RSSD.fullmatch(raw):
        raise InvalidInput(
            f"'{excerpt(raw)}' is not an RSSD ID: use the bank's Federal Reserve RSSD ID, "
            f"1 to {MAX_RSSD_DIGITS} digits with no leading zero (for example 852218).",
            "invalid_idrssd",
        )
    return raw


MAX_PAGE = 200  # the overview reads its window of the latest jobs in one page
DEFAULT_PAGE = 20


def parse_job_id(raw: str | None) -> str:
    """A job's id as the API gives it out: a lower-case UUID."""
    return parse_uuid(raw, "job", "jobId", "invalid_job_id")


def parse_limit(raw: str | None) -> int:
    """How many items a page holds: 1 to ``MAX_PAGE``, ``DEFAULT_PAGE`` when not given (an
    empty ``limit=`` is not a number, as the OpenAPI document says)."""
    if raw is None:
        return DEFAULT_PAGE
    size = whole_number(raw, max_digits=len(str(MAX_PAGE)))
    if size is None or not 1 <= size <= MAX_PAGE:
        raise InvalidInput(
            f"'{excerpt(raw)}' is not a page size: use a whole number from 1 to {MAX_PAGE}.",
            "invalid_limit",
        )
    return size


def parse_cursor(raw: str | None) -> Cursor | None:
    """Where a page begins: absent for the first page, else a ``nextCursor`` given out."""
    return None if raw is None or raw == "" else decode_cursor(raw)


_STATES = ", ".join(f"'{state}'" for state in STATE_FILTERS)
_YES, _NO = ("true", "1", "yes"), ("false", "0", "no", "")


def parse_overview_filters(query: Mapping[str, str] | None) -> Filters:
    """The overview's filters: ``status`` (a state, ``cancelled`` or ``active``), ``type``,
    ``bank`` (an RSSD ID) and ``mine`` (true or false), each optional."""
    query = query or {}
    state = query.get("status") or None
    if state is not None and state not in STATE_FILTERS:
        raise InvalidInput(
            f"'{excerpt(state)}' is not a status to filter by: use one of {_STATES}.",
            "invalid_status",
        )
    kind = query.get("type") or None
    bank = query.get("bank") or None
    mine = (query.get("mine") or "").lower()
    if mine not in _YES + _NO:
        raise InvalidInput(
            f"'{excerpt(mine)}' is not a yes or no: send mine=true or mine=false.", "invalid_mine"
        )
    return Filters(
        state=state,
        type=None if kind is None else parse_job_type(kind),
        idrssd=None if bank is None else parse_idrssd(bank),
        mine=mine in _YES,
    )


def parse_job_type(raw: str | None) -> JobType:
    if raw is None or raw == "":
        raise InvalidInput(
            f"Say which job you mean: add ?type= with one of {_JOB_TYPES}.", "invalid_type"
        )
    if raw not in {str(kind) for kind in JobType}:
        raise InvalidInput(
            f"'{excerpt(raw)}' is not a job type: use one of {_JOB_TYPES} (lower case).",
            "invalid_type",
        )
    return JobType(raw)


def parse_json_object(raw_body: bytes | None) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` whatever its content type.

    The seed's client posts a report start with no body, which axios labels as form data.
    """
    if raw_body is None:
        return {}
    if len(raw_body) > MAX_BODY_BYTES:
        raise InvalidInput(
            f"The request body is too large: send at most {MAX_BODY_BYTES} bytes of JSON.",
            "body_too_large",
        )
    if not raw_body.strip():
        return {}
    if json_depth(raw_body) > MAX_JSON_DEPTH:
        raise InvalidInput(
            f"The request body is nested too deeply: send JSON at most {MAX_JSON_DEPTH} "
            'levels deep, such as {} or {"experts": ["credit"]}.',
            "invalid_json",
        )
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(
            "The request body is not valid JSON: send a JSON object such as {} or leave it empty.",
            "invalid_json",
        ) from exc
    if not isinstance(body, dict):
        raise InvalidInput(
            f"The request body must be a JSON object (in braces), not {json_kind(body)}.",
            "invalid_body",
        )
    return body


def json_depth(raw: bytes) -> int:
    """How deeply brackets nest in ``raw``, outside strings; checked before parsing, since
    the parser itself recurses (a few thousand brackets exhaust its stack)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
            continue
        if byte == 0x22:  # "
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest
