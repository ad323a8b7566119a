"""A batch request's body and ids, checked field by field: each mistake a sentence."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.batches.service import LATEST, BatchRequest
from chalicelib.errors import InvalidInput, excerpt
from chalicelib.ids import parse_uuid
from chalicelib.job_types import JobType

MAX_NAMED_BANKS = 250  # what fits the API's 4 KB body; a filter chooses more
FIELDS = ("type", "quarter", "banks", "filter")
FILTER_FIELDS = ("state", "minAssets", "maxAssets")
BATCH_KINDS = (JobType.REPORT,)  # a podcast needs a person to choose its experts
_QUARTER = re.compile(r"[0-9]{4}(0331|0630|0930|1231)")
_RSSD = re.compile(r"[1-9][0-9]{0,9}")
_STATE = re.compile(r"[A-Za-z]{2}")
MAX_AMOUNT = 10**13  # thousands of dollars, as the bank search takes them


def parse_batch_id(raw: str | None) -> str:
    return parse_uuid(raw, "batch", "batchId", "invalid_batch_id")


def parse_no_fields(body: dict[str, Any]) -> None:
    """A request that takes no options (a retry): any field is a mistake worth saying."""
    _known(body, (), "the request body")


def parse_batch_request(body: dict[str, Any]) -> BatchRequest:
    """``{"type": "report", "quarter"?, "banks"? | "filter"?}`` as a ``BatchRequest``."""
    _known(body, FIELDS, "the request body")
    if "banks" in body and "filter" in body:
        raise InvalidInput(
            'Name the banks ("banks") or filter them ("filter"), not both.', "invalid_batch"
        )
    chosen = body.get("filter", {})
    if not isinstance(chosen, dict):
        raise InvalidInput('"filter" must be an object such as {"state": "OH"}.', "invalid_filter")
    chosen = chosen or {}
    _known(chosen, FILTER_FIELDS, '"filter"')
    low, high = _amount(chosen, "minAssets"), _amount(chosen, "maxAssets")
    return BatchRequest(
        type=_kind(body.get("type")), quarter=_quarter(body.get("quarter", LATEST)),
        banks=_banks(body.get("banks", ())), state=_state(chosen.get("state")),
        min_assets=low, max_assets=high,
    )  # fmt: skip


def _kind(raw: Any) -> JobType:
    kinds = ", ".join(f"'{kind}'" for kind in BATCH_KINDS)
    if raw is None:
        raise InvalidInput(
            f'Say what to run for every bank: "type" is one of {kinds}.', "invalid_type"
        )
    if raw not in [str(kind) for kind in BATCH_KINDS]:
        raise InvalidInput(
            f"'{excerpt(raw)}' cannot run as a batch: \"type\" is one of {kinds} (a podcast "
            "needs its experts chosen by a person).",
            "invalid_type",
        )
    return JobType(raw)


def _quarter(raw: Any) -> str:
    if raw == LATEST:
        return LATEST
    if not isinstance(raw, str) or not _QUARTER.fullmatch(raw):
        raise InvalidInput(
            f"'{excerpt(raw)}' is not a quarter: use \"latest\" or a quarter's last day as "
            "YYYYMMDD (for example 20250630).",
            "invalid_quarter",
        )
    return raw


def _banks(raw: Any) -> tuple[str, ...]:
    if raw == ():
        return ()  # not given
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(
            '"banks" must be a list of RSSD IDs such as ["852218"] (leave it out for every bank).',
            "invalid_banks",
        )
    if len(raw) > MAX_NAMED_BANKS:
        raise InvalidInput(
            f"Name at most {MAX_NAMED_BANKS} banks ({len(raw)} were sent): for more, use a filter.",
            "invalid_banks",
        )
    for idrssd in raw:
        if not isinstance(idrssd, str) or not _RSSD.fullmatch(idrssd):
            raise InvalidInput(
                f"'{excerpt(idrssd)}' is not an RSSD ID: 1 to 10 digits with no leading zero, "
                'as a string (for example "852218").',
                "invalid_banks",
            )
    return tuple(dict.fromkeys(raw))


def _state(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _STATE.fullmatch(raw):
        raise InvalidInput(
            f"'{excerpt(raw)}' is not a state: use its two-letter code, such as OH.",
            "invalid_filter",
        )
    return raw.upper()


def _amount(chosen: dict[str, Any], name: str) -> int | None:
    raw = chosen.get(name)
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # 250428.0 is a whole number, as JSON Schema's integer has it
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < MAX_AMOUNT:
        raise InvalidInput(
            f"{name} must be a whole number of thousands of dollars, 0 or more (for example "
            f"{name}: 1000000 for $1 billion).",
            "invalid_filter",
        )
    return raw


def _known(body: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        accepted = ", ".join(f'"{name}"' for name in allowed) or "no fields"
        raise InvalidInput(
            f"Unknown field '{excerpt(unknown[0])}' in {where}: it accepts {accepted}.",
            "unknown_field",
        )
