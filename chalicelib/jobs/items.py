"""The Jobs table's item layout: keys and the translation of jobs and publications to items.

One partition per bank (``pk = BANK#{idrssd}``) holds, per job type:

- ``JOB#{type}``: the current job (TTL ``expiresAt``), read by every poll with one ``GetItem``;
- ``LATEST#{type}``: what the API serves as the latest artifact (no TTL);
- ``HISTORY#{type}#{jobId}``: every published artifact, listed with one ``Query`` (job ids
  are time-ordered), kept for ``ARTIFACT_RETENTION_DAYS``.

and one partition per caller (``pk = CALLER#{identity}``) its start counters,
``STARTS#{window}``, one per minute, expiring soon after.

Current job items alone carry ``feed``/``feedAt``, the keys of the sparse ``RecentJobs``
index: one partition (``JOBS``), sorted active first (by creation), then finished (by the
finish), so that the overview lists across banks, newest first, with one ``Query``.

See docs/ARCHITECTURE.md, "Data model".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.clock import iso
from chalicelib.jobs.model import FIELDS, Job, JobType, Publication, Status

ARTIFACT_RETENTION_DAYS = 365
"""Published artifacts stay listed this long; the bucket's lifecycle rule deletes the
objects a day later (``infra/resources.json``), so a listed artifact is always readable."""

_deserializer = TypeDeserializer()
_NUMERIC_TIMES = {"expires_at"}  # the TTL attribute must be a Number of epoch seconds
_TIMING_FIELDS = ("max_attempts", "heartbeat_seconds", "lease_seconds")


def bank_pk(idrssd: str) -> str:
    return f"BANK#{idrssd}"


JOB_PREFIX = "JOB#"


def job_key(idrssd: str, job_type: JobType) -> dict[str, str]:
    return {"pk": bank_pk(idrssd), "sk": f"{JOB_PREFIX}{job_type}"}


def latest_key(idrssd: str, job_type: JobType) -> dict[str, str]:
    return {"pk": bank_pk(idrssd), "sk": f"LATEST#{job_type}"}


def history_prefix(job_type: JobType) -> str:
    return f"HISTORY#{job_type}#"


def history_key(idrssd: str, job_type: JobType, job_id: str) -> dict[str, str]:
    return {"pk": bank_pk(idrssd), "sk": history_prefix(job_type) + job_id}


def start_counter_key(identity: str, window: int) -> dict[str, str]:
    """A caller's count of starts in one minute (``CALLER#`` partitions hold no jobs)."""
    return {"pk": f"CALLER#{identity}", "sk": f"STARTS#{window}"}


# Jobs ----------------------------------------------------------------------------------------


FEED = "JOBS"
RECENT_INDEX = "RecentJobs"
ACTIVE_RANK_MS = 10**13
"""Added to an active job's ``feedAt`` (its creation, epoch ms, about 1.8e12 today), so that
in the index's one partition every active job sorts above every finished one (their
``feedAt`` is the finish): a newest-first ``Query`` lists work in progress first."""


def feed_of(job: Job) -> dict[str, Any]:
    if job.active or job.finished_at is None:
        return {"feed": FEED, "feedAt": ACTIVE_RANK_MS + _ms(job.created_at)}
    return {"feed": FEED, "feedAt": _ms(job.finished_at)}


def job_to_item(job: Job) -> dict[str, Any]:
    item: dict[str, Any] = dict(job_key(job.idrssd, job.type)) | feed_of(job)
    for spec in FIELDS:
        value = getattr(job, spec.attr)
        if value is None:
            continue
        if spec.kind == "time" and spec.attr not in _NUMERIC_TIMES:
            value = iso(value)
        elif spec.kind == "enum":
            value = str(value)
        item[spec.item] = storable(value)
    return item


def job_from_item(item: dict[str, Any]) -> Job:
    values: dict[str, Any] = {}
    for spec in FIELDS:
        raw = item.get(spec.item)
        values[spec.attr] = None if raw is None else _field_value(spec.attr, spec.kind, raw)
    values["params"] = values["params"] or {}
    for required_text in ("stage", "message"):
        values[required_text] = values[required_text] or ""
    values["attempt"] = values["attempt"] or 0
    for timing in _TIMING_FIELDS:  # items from before the job kept its timing: the defaults
        if values[timing] is None:
            del values[timing]
    return Job(**values)


def _field_value(attr: str, kind: str, raw: Any) -> Any:
    if kind == "time":
        return int(raw) if attr in _NUMERIC_TIMES else _epoch(str(raw))
    if kind == "integer":
        return int(raw)
    if kind == "object":
        return plain(raw)
    if attr == "type":
        return JobType(raw)
    if attr == "status":
        return Status(raw)
    return str(raw)


def job_from_low_level(item: dict[str, Any]) -> Job:
    """A job from the typed item a failed condition returns (``{"S": ...}`` values)."""
    return job_from_item(from_low_level(item))


# Publications --------------------------------------------------------------------------------


def publication_to_item(publication: Publication, key: dict[str, str]) -> dict[str, Any]:
    return {
        **key,
        "jobId": publication.job_id,
        "idrssd": publication.idrssd,
        "type": str(publication.type),
        "jobCreatedAt": _ms(publication.job_created_at),
        "keys": publication.keys,
        "summary": storable(publication.summary),
    }


def history_item(publication: Publication, now: float) -> dict[str, Any]:
    key = history_key(publication.idrssd, publication.type, publication.job_id)
    retention = ARTIFACT_RETENTION_DAYS * 24 * 60 * 60
    return {**publication_to_item(publication, key), "expiresAt": int(now) + retention}


def latest_item(publication: Publication) -> dict[str, Any]:
    return publication_to_item(publication, latest_key(publication.idrssd, publication.type))


def publication_from_item(item: dict[str, Any]) -> Publication:
    return Publication(
        idrssd=str(item["idrssd"]),
        type=JobType(item["type"]),
        job_id=str(item["jobId"]),
        job_created_at=int(item["jobCreatedAt"]) / 1000,
        keys={str(name): str(value) for name, value in item["keys"].items()},
        summary=plain(item.get("summary") or {}),
    )


def history_item_is_live(item: dict[str, Any], now: float) -> bool:
    """TTL deletes within days: a history item past its ``expiresAt`` is absent already."""
    expires = item.get("expiresAt")
    return expires is None or int(expires) >= now


# Values --------------------------------------------------------------------------------------


def from_low_level(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def storable(value: Any) -> Any:
    """The boto3 resource refuses floats: store them as ``Decimal`` (read back by ``plain``)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: storable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [storable(inner) for inner in value]
    return value


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as ``Decimal``; JSON and callers want ints and floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def _ms(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()
