"""The Jobs table adapter: every write one guarded transition of ``chalicelib/jobs/rules.py``.

Each write sends its rule's condition with ``ExpressionAttributeNames`` and
``ReturnValuesOnConditionCheckFailure=ALL_OLD``. When a condition fails, the returned old
item says why without a second read — and whether the write had in fact already been
applied by this same run (botocore retries a write whose response was lost; its retry
then fails the condition), in which case the write counts as done. ``ClientError`` is
looked inside in ``jobs/conditions.py`` and, for the completion's transaction, in
``_transact``. See docs/ARCHITECTURE.md, "Faults".
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.aws.policy import error_code
from chalicelib.clock import Clock, iso
from chalicelib.jobs import items, rules
from chalicelib.jobs.conditions import ConditionFailed, conditional, expression
from chalicelib.jobs.cursor import Cursor
from chalicelib.jobs.errors import (
    ClaimRejected,
    JobLost,
    NoActiveJob,
    NotYourJob,
    ProgressWentBackwards,
)
from chalicelib.jobs.events import NO_EVENTS, JobEvents
from chalicelib.jobs.model import (
    Caller,
    ErrorCode,
    Job,
    JobType,
    Publication,
    Status,
    WorkerEvent,
)
from chalicelib.jobs.publications import PublicationStore
from chalicelib.jobs.rules import Refusal, Timing

TERMINAL_SET = (
    "SET #status = :failed, #error = :error, #errorCode = :errorCode, #message = :error,"
    " #finishedAt = :nowIso, #updatedAt = :nowIso, #expiresAt = :expiresAt,"
    " #feed = :feed, #feedAt = :nowMs"
)
TERMINAL = TERMINAL_SET + " REMOVE #leaseUntil"


class JobStore:
    """Reads and guarded writes of the jobs in the Jobs table over a boto3 DynamoDB
    ``Table``; the published versions are ``publications``' (``jobs/publications.py``), the
    start counters the limiter's (``jobs/limiter.py``).

    ``events`` hears what readers find (a job nothing can claim any more); the job service
    and the runner report to it too unless given their own.
    """

    def __init__(
        self,
        table: Any,
        clock: Clock,
        timing: Timing | None = None,
        events: JobEvents = NO_EVENTS,
    ) -> None:
        self._table = table
        self._clock = clock
        self.timing = timing or Timing()
        self.events = events
        self.publications = PublicationStore(table, clock)

    # Reads -----------------------------------------------------------------------------

    def get(self, idrssd: str, job_type: JobType) -> Job | None:
        """The job as a reader should see it: one eventually consistent ``GetItem``."""
        item = self._table.get_item(Key=items.job_key(idrssd, job_type)).get("Item")
        job = items.job_from_item(item) if item else None
        shown = rules.as_seen_at(job, self._clock.now(), self.timing)
        if job is not None and shown is not None and rules.stuck(job, shown):
            self.events.stuck(job, shown)
        return shown

    def get_fresh(self, idrssd: str, job_type: JobType) -> Job | None:
        """A strongly consistent read, for a run checking that it still owns its job."""
        key = items.job_key(idrssd, job_type)
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return items.job_from_item(item) if item else None

    def recent(self, limit: int, cursor: Cursor | None = None) -> tuple[list[Job], Cursor | None]:
        """The latest jobs across banks, active first (newest started), then finished ones
        (newest finished): one ``Query`` of the sparse ``RecentJobs`` index, never a
        ``Scan``. Returns the page and where the next one begins (``None``: no more)."""
        query: dict[str, Any] = {
            "IndexName": items.RECENT_INDEX,
            "KeyConditionExpression": Key("feed").eq(items.FEED),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = cursor.key
        response = self._table.query(**query)
        following = items.plain(response.get("LastEvaluatedKey"))
        return self._shown(response), None if following is None else Cursor(following)

    def of_bank(self, idrssd: str) -> list[Job]:
        """The bank's current job of each type: one ``Query`` of its partition."""
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(items.bank_pk(idrssd))
            & Key("sk").begins_with(items.JOB_PREFIX)
        )
        return self._shown(response)

    def _shown(self, response: dict[str, Any]) -> list[Job]:
        now = self._clock.now()
        found = (items.job_from_item(item) for item in response.get("Items", []))
        shown = (rules.as_seen_at(job, now, self.timing) for job in found)
        return [job for job in shown if job is not None]

    # The published versions, read through ``publications``. Transitional: app.py's bank
    # overview hands the job store to what reads publications; once the wiring hands it
    # ``publications`` itself, these four go.

    def latest(self, idrssd: str, job_type: JobType) -> Publication | None:
        return self.publications.latest(idrssd, job_type)

    def latest_of_each(self, idrssd: str) -> dict[JobType, Publication]:
        return self.publications.latest_of_each(idrssd)

    def history(self, idrssd: str, job_type: JobType, limit: int = 50) -> list[Publication]:
        return self.publications.history(idrssd, job_type, limit)

    def version(self, idrssd: str, job_type: JobType, job_id: str) -> Publication | None:
        return self.publications.version(idrssd, job_type, job_id)

    # Writes from the API ---------------------------------------------------------------

    def start(
        self,
        idrssd: str,
        job_type: JobType,
        params: dict[str, Any],
        caller: Caller | None = None,
        bank_name: str | None = None,
    ) -> tuple[Job, bool]:
        """``rules.START``: create a pending job, or return the active one: ``(job, created)``."""
        now = self._clock.now()
        job = rules.new_job(idrssd, job_type, params, now, self.timing, caller, bank_name)
        try:
            conditional(
                lambda **kw: self._table.put_item(Item=items.job_to_item(job), **kw),
                rules.START,
                self._values(now),
            )
        except ConditionFailed as failed:
            assert failed.old is not None  # the condition can only fail on an existing item
            if failed.old.job_id == job.job_id:
                return failed.old, True  # our own put, retried after its response was lost
            return failed.old, False
        return job, True

    def cancel(self, idrssd: str, job_type: JobType, caller: Caller | None = None) -> Job:
        """``rules.CANCEL``: the job fails with ``cancelled``; its run stops at its next write.
        Only its starter or an admin may cancel it (``caller``; ``None`` acts as the starter
        would). An admin cancelling someone else's job is told apart in the job's words:
        tried as the caller's own first, then as an admin's."""
        as_starter = None if caller is None else replace(caller, admin=False)
        try:
            return self._cancel(idrssd, job_type, as_starter, rules.CANCELLED[job_type])
        except NotYourJob:
            if caller is None or not caller.admin:
                raise
            return self._cancel(idrssd, job_type, caller, rules.CANCELLED_BY_ADMIN[job_type])

    def _cancel(self, idrssd: str, job_type: JobType, caller: Caller | None, sentence: str) -> Job:
        now, token = self._clock.now(), uuid.uuid4().hex
        values = self._values(now) | self._terminal_values(now, sentence)
        values |= {":errorCode": str(ErrorCode.CANCELLED), ":cancelToken": token}
        values |= {
            ":identity": "" if caller is None else caller.identity,
            ":admin": caller is None or caller.admin,
            ":yes": True,
        }
        try:
            return self._update(
                idrssd, job_type, TERMINAL_SET + ", #cancelToken = :cancelToken REMOVE #leaseUntil",
                rules.CANCEL, values,
            )  # fmt: skip
        except ConditionFailed as failed:
            old = failed.old
            if old is not None and old.cancel_token == token:
                return old  # applied; its response was lost
            if _someone_elses(old, caller, now, self.timing):
                raise NotYourJob(
                    f"This {job_type} was started by someone else, so only they (or an "
                    "administrator) can cancel it. You can still follow its progress."
                ) from failed
            raise NoActiveJob(
                f"There is no {job_type} in progress for bank {idrssd} to cancel."
            ) from failed

    def abandon(
        self, event: WorkerEvent, sentence: str, code: ErrorCode, request_id: str = ""
    ) -> Job:
        """``rules.ABANDON``: fail a job that nobody runs any more (Lambda gave up on it, its
        start could not hand it over, or its attempts are used up). ``request_id`` names the
        Lambda request that Lambda gave up on, when known."""
        now = self._clock.now()
        values = self._values(now) | self._terminal_values(now, sentence)
        values |= {":jobId": event.job_id, ":errorCode": str(code), ":requestId": request_id or "-"}
        try:
            return self._update(event.idrssd, event.type, TERMINAL, rules.ABANDON, values)
        except ConditionFailed as failed:
            old = failed.old
            if old is not None and old.job_id == event.job_id and old.error_code == code:
                return old  # applied; its response was lost
            raise JobLost(event.job_id, _why_not(old, event.job_id)) from failed

    # Writes from the run that owns the job ---------------------------------------------

    def claim(self, event: WorkerEvent, token: str, request_id: str) -> Job:
        """``rules.CLAIM``: take the job for this delivery, with a fresh lease."""
        now = self._clock.now()
        values = self._values(now) | {
            ":jobId": event.job_id,
            ":delivery": token,
            ":requestId": request_id,
            ":one": 1,
            ":lease": rules.lease_from(now, self.timing),
            ":stage": "starting",
            ":message": rules.STARTING_MESSAGE,
        }
        update = (
            "SET #status = :running, #attempt = #attempt + :one, #leaseUntil = :lease,"
            " #delivery = :delivery, #requestId = :requestId, #updatedAt = :nowIso,"
            " #startedAt = if_not_exists(#startedAt, :nowIso), #stage = :stage,"
            " #message = :message, #lastBeatAt = :nowIso"
        )
        try:
            return self._update(event.idrssd, event.type, update, rules.CLAIM, values)
        except ConditionFailed as failed:
            refusal = rules.claim_refusal(failed.old, event.job_id, token, now, self.timing)
            if refusal is Refusal.MINE and failed.old is not None:
                return failed.old
            raise ClaimRejected(event.job_id, refusal) from failed

    def report_progress(self, job: Job, progress: int, stage: str, message: str) -> None:
        """``rules.PROGRESS``: progress, stage, message and the lease; never the whole item."""
        now = self._clock.now()
        values = self._owned_values(job, now) | {
            ":progress": progress,
            ":stage": stage,
            ":message": message,
        }
        update = (
            "SET #progress = :progress, #stage = :stage, #message = :message,"
            " #updatedAt = :nowIso, #leaseUntil = :lease, #lastBeatAt = :nowIso"
        )
        try:
            self._update(job.idrssd, job.type, update, rules.PROGRESS, values)
        except ConditionFailed as failed:
            if rules.owns(failed.old, job.job_id, _token(job), now, self.timing):
                raise ProgressWentBackwards(
                    f"progress {progress} is below the stored one"
                ) from failed
            raise JobLost(job.job_id, _why_not(failed.old, job.job_id), failed.old) from failed

    def heartbeat(self, job: Job) -> None:
        """``rules.OWNED``: extend the lease and say when (``lastBeatAt``: the one visible
        change, so that a reader can tell a silent run from a live one)."""
        now = self._clock.now()
        try:
            self._update(
                job.idrssd, job.type, "SET #leaseUntil = :lease, #lastBeatAt = :nowIso",
                rules.OWNED,
                self._owned_values(job, now),
            )  # fmt: skip
        except ConditionFailed as failed:
            raise JobLost(job.job_id, _why_not(failed.old, job.job_id), failed.old) from failed

    def release(self, job: Job) -> None:
        """``rules.OWNED``: give the job up so that Lambda's retry may claim it at once, with
        a lease long enough that readers keep seeing it run until then."""
        now = self._clock.now()
        try:
            self._update(
                job.idrssd, job.type, "SET #leaseUntil = :lease REMOVE #delivery", rules.OWNED,
                self._owned_values(job, now),
            )  # fmt: skip
        except ConditionFailed as failed:
            old = failed.old
            if old is not None and old.job_id == job.job_id and old.delivery is None:
                return  # applied; its response was lost
            raise JobLost(job.job_id, _why_not(old, job.job_id), old) from failed

    def fail(self, job: Job, sentence: str, code: str) -> Job:
        """``rules.OWNED``: the owner fails its job with a sentence for people."""
        now = self._clock.now()
        values = self._owned_values(job, now) | self._terminal_values(now, sentence)
        values[":errorCode"] = code
        try:
            return self._update(job.idrssd, job.type, TERMINAL, rules.OWNED, values)
        except ConditionFailed as failed:
            old = failed.old
            if old is not None and old.delivery == job.delivery and old.error_code == code:
                return old  # applied; its response was lost
            raise JobLost(job.job_id, _why_not(old, job.job_id), old) from failed

    def record_stalled(self, job: Job, seen: Job) -> Job:
        """``rules.STALLED``: this run's job died by time alone while the datastore would not
        take its heartbeats: it stays failed (readers may have seen it so), with the
        datastore's cause, ``busy``, and the end readers were shown (``seen``'s lease)."""
        now = self._clock.now()
        ended = now if seen.lease_until is None else seen.lease_until / 1000
        values = self._owned_values(job, now) | self._terminal_values(ended, rules.BUSY[job.type])
        values |= {":errorCode": str(ErrorCode.BUSY), ":endedIso": iso(ended)}
        update = TERMINAL.replace("#finishedAt = :nowIso", "#finishedAt = :endedIso")
        try:
            return self._update(job.idrssd, job.type, update, rules.STALLED, values)
        except ConditionFailed as failed:
            old = failed.old
            if (
                old is not None
                and old.delivery == job.delivery
                and old.error_code == ErrorCode.BUSY
            ):
                return old  # applied; its response was lost
            raise JobLost(job.job_id, _why_not(old, job.job_id), old) from failed

    def complete(
        self,
        job: Job,
        result: dict[str, Any],
        message: str,
        publication: Publication | None = None,
    ) -> Job:
        """``rules.OWNED`` and ``rules.NOT_NEWER``: the completion and its publication as one
        ``TransactWriteItems``, so only a completed job's artifact is ever served."""
        now = self._clock.now()
        done = self._completed(job, result, message, now)
        try:
            self._transact(self._completion_writes(job, done, publication, now), job)
        except ConditionFailed as failed:
            old = failed.old
            if old is not None and old.status is Status.COMPLETED and old.delivery == job.delivery:
                return old  # applied; its response was lost
            if failed.reasons[1:2] == ("ConditionalCheckFailed",):
                raise JobLost(job.job_id, "a newer job's artifact is published") from failed
            raise JobLost(job.job_id, _why_not(old, job.job_id), old) from failed
        return done

    # Plumbing --------------------------------------------------------------------------

    def _completed(self, job: Job, result: dict[str, Any], message: str, now: float) -> Job:
        return replace(
            job, status=Status.COMPLETED, progress=100, stage="done", message=message,
            result=result, finished_at=now, updated_at=now, last_beat_at=now,
            expires_at=rules.expiry_after(now, self.timing), lease_until=None,
        )  # fmt: skip

    def _completion_writes(
        self, job: Job, done: Job, publication: Publication | None, now: float
    ) -> list[dict[str, Any]]:
        update = (
            "SET #status = :completed, #progress = :hundred, #stage = :done, #message = :message,"
            " #result = :result, #finishedAt = :nowIso, #updatedAt = :nowIso,"
            " #lastBeatAt = :nowIso, #expiresAt = :expiresAt, #feed = :feed, #feedAt = :nowMs"
            " REMOVE #leaseUntil"
        )
        values = self._owned_values(job, now) | {
            ":completed": str(Status.COMPLETED),
            ":hundred": 100,
            ":done": "done",
            ":message": done.message,
            ":result": items.storable(done.result),
            ":expiresAt": done.expires_at,
        }
        table = self._table.name
        update_op = {"TableName": table, "Key": items.job_key(job.idrssd, job.type)}
        update_op |= {"UpdateExpression": update} | expression(update, rules.OWNED, values)
        writes: list[dict[str, Any]] = [{"Update": update_op}]
        if publication is not None:
            writes += self.publications.publishing(publication, now)
        return writes

    def _transact(self, writes: list[dict[str, Any]], job: Job) -> None:
        # ClientRequestToken makes a retried transaction a no-op in DynamoDB for 10 minutes;
        # the ALL_OLD check in ``complete`` covers the emulator, which ignores it.
        request_token = str(uuid.uuid5(uuid.NAMESPACE_URL, f"complete/{job.delivery}"))
        client = self._table.meta.client
        try:
            client.transact_write_items(TransactItems=writes, ClientRequestToken=request_token)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = tuple(reason.get("Code") for reason in reasons)
            if "ConditionalCheckFailed" not in codes:
                raise
            first = reasons[0].get("Item") if reasons else None
            old = items.job_from_low_level(first) if first else None
            raise ConditionFailed(old, codes) from exc

    def _update(
        self, idrssd: str, job_type: JobType, update: str, condition: str, values: dict[str, Any]
    ) -> Job:
        response = conditional(
            lambda **kw: self._table.update_item(
                Key=items.job_key(idrssd, job_type),
                UpdateExpression=update,
                ReturnValues="ALL_NEW",
                **kw,
            ),
            condition,
            values,
            update,
        )
        return items.job_from_item(response["Attributes"])

    def _values(self, now: float) -> dict[str, Any]:
        return {
            ":nowSeconds": int(now),
            ":nowMs": rules.epoch_ms(now),
            ":graceFloorMs": rules.grace_floor_ms(now, self.timing),
            ":maxAttempts": self.timing.max_attempts,
            ":nowIso": iso(now),
            ":feed": items.FEED,
            ":pending": str(Status.PENDING),
            ":running": str(Status.RUNNING),
        }

    def _owned_values(self, job: Job, now: float) -> dict[str, Any]:
        return self._values(now) | {
            ":jobId": job.job_id,
            ":delivery": _token(job),
            ":lease": rules.lease_from(now, self.timing),
        }

    def _terminal_values(self, now: float, sentence: str) -> dict[str, Any]:
        return {
            ":failed": str(Status.FAILED),
            ":error": sentence,
            ":expiresAt": rules.expiry_after(now, self.timing),
        }


def _token(job: Job) -> str:
    assert job.delivery is not None, "owned writes need the claimed job"
    return job.delivery


def _someone_elses(old: Job | None, caller: Caller | None, now: float, timing: Timing) -> bool:
    """Whether a refused cancel met a live job of another caller's."""
    if old is None or caller is None or not rules.may_cancel(old, now, timing):
        return False
    return not rules.may_be_cancelled_by(old, caller)


def _why_not(old: Job | None, job_id: str) -> str:
    if old is None:
        return "the job record is gone"
    if old.job_id != job_id:
        return "a newer job replaced it"
    if old.error_code == ErrorCode.CANCELLED:
        return "it was cancelled"
    if old.status is Status.RUNNING:
        return "another run took it over"
    return f"it is {old.status}"
