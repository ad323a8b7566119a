"""The Jobs table: one item per bank and job type, every write conditional.

Each write states its rule in a condition expression built from named parts, always with
``ExpressionAttributeNames``; a failed condition returns the old item
(``ReturnValuesOnConditionCheckFailure=ALL_OLD``) so the caller learns why without a
second read. ``ClientError`` is translated in one place, ``_conditional_write``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib.clock import Clock, iso
from chalicelib.errors import NoActiveJob
from chalicelib.jobs import rules
from chalicelib.jobs.errors import ClaimRejected, JobLost, ProgressWentBackwards
from chalicelib.jobs.model import Job, JobType, Status
from chalicelib.jobs.rules import Timing

NAMES = {
    "#pk": "pk",
    "#jobId": "jobId",
    "#status": "status",
    "#progress": "progress",
    "#stage": "stage",
    "#message": "message",
    "#error": "error",
    "#attempt": "attempt",
    "#result": "result",
    "#updatedAt": "updatedAt",
    "#startedAt": "startedAt",
    "#finishedAt": "finishedAt",
    "#expiresAt": "expiresAt",
    "#leaseUntil": "leaseUntil",
}

# Named parts of the conditions; each write below combines them and states its rule.
NO_ITEM = "attribute_not_exists(#pk)"
IS_ACTIVE = "#status IN (:pending, :running)"
IS_TERMINAL = "NOT " + IS_ACTIVE
IS_EXPIRED = "#expiresAt < :nowSeconds"
IS_LIVE = "#expiresAt >= :nowSeconds"
LEASE_LAPSED = "#leaseUntil < :nowMs"
LEASE_HOLDS = "#leaseUntil >= :nowMs"
IS_MINE = "#jobId = :jobId"
IS_RUNNING = "#status = :running"
IS_PENDING = "#status = :pending"
ATTEMPTS_LEFT = "#attempt < :maxAttempts"
NOT_BACKWARDS = "#progress <= :progress"

# Single flight: a start writes only where no job is active — no item, a finished one, one
# past its TTL, or an active one whose lease or claim deadline ran out.
START_CONDITION = " OR ".join([NO_ITEM, IS_TERMINAL, IS_EXPIRED, LEASE_LAPSED])

# Claim once: only the job this delivery names; pending within its claim deadline, or
# running with a lapsed lease (a redelivery after the worker died) and attempts left.
CLAIM_CONDITION = (
    f"{IS_MINE} AND {IS_LIVE} AND (({IS_PENDING} AND {LEASE_HOLDS})"
    f" OR ({IS_RUNNING} AND {LEASE_LAPSED} AND {ATTEMPTS_LEFT}))"
)

# Ownership and monotonic progress: only the running owner reports, never going back.
PROGRESS_CONDITION = f"{IS_MINE} AND {IS_RUNNING} AND {NOT_BACKWARDS}"

# Ownership: only the running owner completes (after its artifact is stored).
COMPLETE_CONDITION = f"{IS_MINE} AND {IS_RUNNING}"

# Ownership: only the owner fails its job, and only while the job is still active.
FAIL_CONDITION = f"{IS_MINE} AND {IS_ACTIVE}"

# Cancel: only a live active job; one whose lease ran out already reads as failed.
CANCEL_CONDITION = f"{IS_ACTIVE} AND {LEASE_HOLDS} AND {IS_LIVE}"

_deserializer = TypeDeserializer()
_NAME = re.compile(r"#\w+")
_VALUE = re.compile(r":\w+")


class _ConditionFailed(Exception):
    def __init__(self, old: Job | None) -> None:
        super().__init__("condition failed")
        self.old = old


def job_key(idrssd: str, job_type: JobType) -> dict[str, str]:
    return {"pk": f"BANK#{idrssd}", "sk": f"JOB#{job_type}"}


class JobStore:
    """Conditional reads and writes of job records over a boto3 DynamoDB ``Table``."""

    def __init__(self, table: Any, clock: Clock, timing: Timing | None = None) -> None:
        self._table = table
        self._clock = clock
        self.timing = timing or Timing()

    # Reads -----------------------------------------------------------------------------

    def get(self, idrssd: str, job_type: JobType) -> Job | None:
        """The job as a reader should see it: one eventually consistent ``GetItem``."""
        response = self._table.get_item(Key=job_key(idrssd, job_type), ConsistentRead=False)
        item = response.get("Item")
        return rules.as_seen_at(job_from_item(item) if item else None, self._clock.now())

    def get_fresh(self, idrssd: str, job_type: JobType) -> Job | None:
        """A strongly consistent read, for a worker checking that it still owns its job."""
        response = self._table.get_item(Key=job_key(idrssd, job_type), ConsistentRead=True)
        item = response.get("Item")
        return job_from_item(item) if item else None

    # Writes ----------------------------------------------------------------------------

    def start(self, idrssd: str, job_type: JobType, params: dict[str, Any]) -> tuple[Job, bool]:
        """Create a pending job, or return the active one: ``(job, created)``."""
        now = self._clock.now()
        job = rules.new_job(idrssd, job_type, params, now, self.timing)
        try:
            self._conditional_write(
                lambda **kw: self._table.put_item(Item=job_to_item(job), **kw),
                START_CONDITION,
                _names_in(START_CONDITION),
                _values_in(START_CONDITION, self._now_values(now) | _status_values()),
            )
        except _ConditionFailed as failed:
            assert failed.old is not None  # the condition can only fail on an existing item
            return failed.old, False
        return job, True

    def claim(self, job_id: str, idrssd: str, job_type: JobType, remaining_ms: int) -> Job:
        """Take the job for this delivery: ``pending``/lapsed ``running`` → ``running``."""
        now = self._clock.now()
        try:
            return self._update(
                idrssd,
                job_type,
                "SET #status = :running, #attempt = #attempt + :one, #leaseUntil = :lease,"
                " #startedAt = if_not_exists(#startedAt, :nowIso), #updatedAt = :nowIso,"
                " #stage = :stage, #message = :message",
                CLAIM_CONDITION,
                self._now_values(now)
                | _status_values()
                | {
                    ":jobId": job_id,
                    ":one": 1,
                    ":maxAttempts": rules.MAX_ATTEMPTS,
                    ":lease": rules.lease_for(now, remaining_ms, self.timing),
                    ":stage": "starting",
                    ":message": "Worker started",
                },
            )
        except _ConditionFailed as failed:
            raise ClaimRejected(job_id, _why_not_mine(job_id, failed.old)) from failed

    def report_progress(self, job: Job, progress: int, stage: str, message: str) -> None:
        """Write progress, stage and message only: never the whole item."""
        now = self._clock.now()
        try:
            self._update(
                job.idrssd,
                job.type,
                "SET #progress = :progress, #stage = :stage, #message = :message,"
                " #updatedAt = :nowIso",
                PROGRESS_CONDITION,
                self._now_values(now)
                | _status_values()
                | {
                    ":jobId": job.job_id,
                    ":progress": progress,
                    ":stage": stage,
                    ":message": message,
                },
            )
        except _ConditionFailed as failed:
            old = failed.old
            if old is not None and old.job_id == job.job_id and old.status is Status.RUNNING:
                raise ProgressWentBackwards(
                    f"progress {progress} is below the stored {old.progress}"
                ) from failed
            raise JobLost(job.job_id, _why_not_mine(job.job_id, old)) from failed

    def complete(self, job: Job, result: dict[str, Any], message: str) -> Job:
        now = self._clock.now()
        try:
            return self._update(
                job.idrssd,
                job.type,
                "SET #status = :completed, #progress = :hundred, #stage = :done,"
                " #message = :message, #result = :result, #finishedAt = :nowIso,"
                " #updatedAt = :nowIso, #expiresAt = :expiresAt REMOVE #leaseUntil",
                COMPLETE_CONDITION,
                self._now_values(now)
                | _status_values()
                | {
                    ":jobId": job.job_id,
                    ":completed": str(Status.COMPLETED),
                    ":hundred": 100,
                    ":done": "done",
                    ":message": message,
                    ":result": result,
                    ":expiresAt": rules.expiry_after(now, self.timing),
                },
            )
        except _ConditionFailed as failed:
            raise JobLost(job.job_id, _why_not_mine(job.job_id, failed.old)) from failed

    def fail(self, job_id: str, idrssd: str, job_type: JobType, sentence: str) -> Job:
        now = self._clock.now()
        try:
            return self._update(
                idrssd,
                job_type,
                "SET #status = :failed, #error = :error, #message = :error,"
                " #finishedAt = :nowIso, #updatedAt = :nowIso, #expiresAt = :expiresAt"
                " REMOVE #leaseUntil",
                FAIL_CONDITION,
                self._now_values(now)
                | _status_values()
                | {
                    ":jobId": job_id,
                    ":failed": str(Status.FAILED),
                    ":error": sentence,
                    ":expiresAt": rules.expiry_after(now, self.timing),
                },
            )
        except _ConditionFailed as failed:
            raise JobLost(job_id, _why_not_mine(job_id, failed.old)) from failed

    def cancel(self, idrssd: str, job_type: JobType) -> Job:
        """Cancel the active job; its worker notices at its next write."""
        now = self._clock.now()
        try:
            return self._update(
                idrssd,
                job_type,
                "SET #status = :cancelled, #message = :message, #finishedAt = :nowIso,"
                " #updatedAt = :nowIso, #expiresAt = :expiresAt REMOVE #leaseUntil",
                CANCEL_CONDITION,
                self._now_values(now)
                | _status_values()
                | {
                    ":cancelled": str(Status.CANCELLED),
                    ":message": "Cancelled",
                    ":expiresAt": rules.expiry_after(now, self.timing),
                },
            )
        except _ConditionFailed as failed:
            raise NoActiveJob(
                f"There is no active {job_type} job for bank {idrssd} to cancel."
            ) from failed

    # Plumbing --------------------------------------------------------------------------

    def _update(
        self,
        idrssd: str,
        job_type: JobType,
        update_expression: str,
        condition: str,
        values: dict[str, Any],
    ) -> Job:
        response = self._conditional_write(
            lambda **kw: self._table.update_item(
                Key=job_key(idrssd, job_type),
                UpdateExpression=update_expression,
                ReturnValues="ALL_NEW",
                **kw,
            ),
            condition,
            _names_in(update_expression + " " + condition),
            _values_in(update_expression + " " + condition, values),
        )
        return job_from_item(response["Attributes"])

    @staticmethod
    def _conditional_write(
        call: Callable[..., dict[str, Any]],
        condition: str,
        names: set[str],
        values: dict[str, Any],
    ) -> dict[str, Any]:
        """Run one conditional write; the only place that looks inside ``ClientError``."""
        try:
            return call(
                ConditionExpression=condition,
                ExpressionAttributeNames={name: NAMES[name] for name in names},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            raise _ConditionFailed(job_from_low_level(old) if old else None) from exc

    @staticmethod
    def _now_values(now: float) -> dict[str, Any]:
        return {
            ":nowSeconds": int(now),
            ":nowMs": rules.epoch_ms(now),
            ":nowIso": iso(now),
        }


def _status_values() -> dict[str, str]:
    return {":pending": str(Status.PENDING), ":running": str(Status.RUNNING)}


def _names_in(expression: str) -> set[str]:
    return set(_NAME.findall(expression))


def _values_in(expression: str, values: dict[str, Any]) -> dict[str, Any]:
    # DynamoDB rejects unused placeholders, so send only those the expressions use.
    used = set(_VALUE.findall(expression))
    return {key: value for key, value in values.items() if key in used}


def _why_not_mine(job_id: str, old: Job | None) -> str:
    if old is None:
        return "the job record is gone"
    if old.job_id != job_id:
        return "a newer job replaced it"
    return f"it is {old.status}"


# Item mapping ----------------------------------------------------------------------------


def job_to_item(job: Job) -> dict[str, Any]:
    item: dict[str, Any] = {
        **job_key(job.idrssd, job.type),
        "jobId": job.job_id,
        "idrssd": job.idrssd,
        "type": str(job.type),
        "status": str(job.status),
        "progress": job.progress,
        "stage": job.stage,
        "message": job.message,
        "params": job.params,
        "attempt": job.attempt,
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "expiresAt": job.expires_at,
    }
    optional = {
        "error": job.error,
        "result": job.result,
        "leaseUntil": job.lease_until,
        "startedAt": None if job.started_at is None else iso(job.started_at),
        "finishedAt": None if job.finished_at is None else iso(job.finished_at),
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    return item


def job_from_item(item: dict[str, Any]) -> Job:
    lease = item.get("leaseUntil")
    return Job(
        job_id=str(item["jobId"]),
        idrssd=str(item["idrssd"]),
        type=JobType(item["type"]),
        status=Status(item["status"]),
        progress=int(item["progress"]),
        stage=str(item.get("stage", "")),
        message=str(item.get("message", "")),
        attempt=int(item.get("attempt", 0)),
        created_at=_epoch(item["createdAt"]),
        updated_at=_epoch(item["updatedAt"]),
        expires_at=int(item["expiresAt"]),
        params=_plain(item.get("params") or {}),
        error=item.get("error"),
        started_at=_epoch_or_none(item.get("startedAt")),
        finished_at=_epoch_or_none(item.get("finishedAt")),
        lease_until=None if lease is None else int(lease),
        result=_plain(item["result"]) if item.get("result") is not None else None,
    )


def job_from_low_level(item: dict[str, Any]) -> Job:
    """A job from the typed item that ``ClientError`` carries (``{"S": ...}`` values)."""
    return job_from_item({key: _deserializer.deserialize(value) for key, value in item.items()})


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _epoch_or_none(text: str | None) -> float | None:
    return None if text is None else _epoch(text)


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as ``Decimal``; JSON wants ints and floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value
