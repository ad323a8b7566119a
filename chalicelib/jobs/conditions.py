"""One conditional write to the Jobs table, translated for DynamoDB: the expression with
the attribute names and values it uses, ``ReturnValuesOnConditionCheckFailure=ALL_OLD``,
and a refused condition turned into ``ConditionFailed`` carrying the old item. The stores
of the Jobs table (jobs, publications, the start limiter) write through it; it is the one
place that looks inside a conditional write's ``ClientError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.policy import error_code
from chalicelib.jobs import items
from chalicelib.jobs.model import FIELDS, Job

NAMES = {f"#{spec.item}": spec.item for spec in FIELDS} | {
    "#pk": "pk",
    "#jobCreatedAt": "jobCreatedAt",
    "#starts": "starts",
    "#feed": "feed",
    "#feedAt": "feedAt",
}
"""Every attribute name an expression may use, by its placeholder."""

_NAME = re.compile(r"#\w+")
_VALUE = re.compile(r":\w+")


@dataclass
class ConditionFailed(Exception):
    """A write's condition did not hold; ``old`` is the job item it met (``None``: none,
    or not a job's), ``reasons`` a cancelled transaction's codes, one per write."""

    old: Job | None
    reasons: tuple[str | None, ...] = ()


def expression(update: str, condition: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The condition's request parameters, naming only what the expressions use (DynamoDB
    rejects unused placeholders)."""
    text = f"{update} {condition}"
    used = set(_VALUE.findall(text))
    sent = {name: value for name, value in values.items() if name in used}
    request: dict[str, Any] = {
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {name: NAMES[name] for name in set(_NAME.findall(text))},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if sent:
        request["ExpressionAttributeValues"] = sent
    return request


def conditional(
    call: Callable[..., dict[str, Any]],
    condition: str,
    values: dict[str, Any],
    update: str = "",
    mapped: bool = True,
) -> dict[str, Any]:
    """Run one conditional write. ``mapped``: the old item is a job's (a counter's is not
    read back)."""
    try:
        return call(**expression(update, condition, values))
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item")
        job = items.job_from_low_level(old) if old and mapped else None
        raise ConditionFailed(job) from exc
