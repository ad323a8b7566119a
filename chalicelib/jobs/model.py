"""The job record as the domain sees it, and its fields defined once. Imports no AWS library.

``FIELDS`` is the one table of the job's fields: ``Job.to_api`` (the HTTP shape), the item
mapping (``chalicelib/jobs/items.py``) and the OpenAPI schema (``chalicelib/api/openapi.py``)
are all read from it, so a field added here appears in all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from chalicelib.clock import iso
from chalicelib.job_types import JobType as JobType  # declared apart: the core names no kind


class Status(StrEnum):
    """A cancelled job is ``failed`` with ``error_code`` ``cancelled`` (AIP-151's CANCELLED):
    the seed's client stops polling only on ``completed`` or ``failed``."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_STATUSES = frozenset({Status.PENDING, Status.RUNNING})
TERMINAL_STATUSES = frozenset({Status.COMPLETED, Status.FAILED})


class ErrorCode(StrEnum):
    """Why a job failed; every failure carries one (the page and the CLI branch on it).

    These are the codes the job core assigns; a pipeline's ``JobFailed`` brings its own
    (``no_data``, ``writer_failed``, ``speech_failed``…), so the field is a plain string."""

    CANCELLED = "cancelled"
    WORKER_LOST = "worker_lost"  # its lease ran out: the run stopped writing
    NOT_STARTED = "not_started"  # never claimed: no run picked it up in time
    RETRIES_EXHAUSTED = "retries_exhausted"  # Lambda gave up after its retries
    BUSY = "busy"  # AWS kept throttling the run on its last attempt
    INTERNAL_ERROR = "internal_error"  # an unexpected exception (details in the log)
    UNAVAILABLE = "unavailable"  # the job type cannot run in this build
    NO_DATA = "no_data"
    BANK_NOT_FOUND = "bank_not_found"
    REPORT_REQUIRED = "report_required"
    INVALID_PARAMS = "invalid_params"


Kind = Literal["string", "integer", "time", "object", "enum"]


@dataclass(frozen=True)
class JobField:
    """One field of the job: its attribute, API name, stored name and JSON kind."""

    attr: str
    api: str | None  # None: stored but never shown (leases, delivery tokens)
    kind: Kind
    nullable: bool
    description: str
    enum: tuple[str, ...] = ()

    @property
    def item(self) -> str:
        """The DynamoDB attribute name: the API's camelCase name, or the internal one."""
        return self.api or _camel(self.attr)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


FIELDS: tuple[JobField, ...] = (
    JobField("job_id", "jobId", "string", False, "Time-ordered UUID of this run."),
    JobField("idrssd", "idrssd", "string", False, "The bank's Federal Reserve RSSD ID."),
    JobField("bank_name", "bankName", "string", True, "The bank's name when it was started."),
    JobField("type", "type", "enum", False, "The kind of job.", tuple(JobType)),
    JobField("status", "status", "enum", False, "Where the job is.", tuple(Status)),
    JobField("progress", "progress", "integer", False, "0 to 100; 100 only when completed."),
    JobField("stage", "stage", "string", False, "A short machine name of the current step."),
    JobField("message", "message", "string", False, "What is happening, for people."),
    JobField("error", "error", "string", True, "Why the job failed, for people."),
    JobField("error_code", "errorCode", "string", True, "Why it failed, for programs."),
    JobField("params", "params", "object", False, "What the job was started with."),
    JobField("attempt", "attempt", "integer", False, "How many runs have claimed it."),
    JobField("max_attempts", "maxAttempts", "integer", False, "How many runs may claim it."),
    JobField(
        "last_beat_at",
        "lastBeatAt",
        "time",
        True,
        "When its run last wrote anything: its claim, progress or a heartbeat.",
    ),
    JobField(
        "heartbeat_seconds",
        "heartbeatSeconds",
        "integer",
        False,
        "A live run writes at least this often; a silence of 1.5 of these reads as stalled.",
    ),
    JobField(
        "lease_seconds",
        "leaseSeconds",
        "integer",
        False,
        "After this long without a word (from lastBeatAt) a retry may take the job over.",
    ),
    JobField("created_at", "createdAt", "time", False, "When it was started."),
    JobField("updated_at", "updatedAt", "time", False, "When it last changed."),
    JobField("started_at", "startedAt", "time", True, "When a run first claimed it."),
    JobField("finished_at", "finishedAt", "time", True, "When it completed or failed."),
    JobField("expires_at", "expiresAt", "time", False, "When the record is forgotten."),
    JobField("result", "result", "object", True, "Links to the result, once completed."),
    JobField("started_by", "startedBy", "string", True, "A short hash of who started it."),
    JobField("correlation_id", "correlationId", "string", True, "The request that started it."),
    JobField("lease_until", None, "integer", True, "Claim deadline or lease (epoch ms)."),
    JobField("delivery", None, "string", True, "The owning run's delivery token."),
    JobField("request_id", None, "string", True, "The owning run's Lambda request id."),
    JobField("cancel_token", None, "string", True, "Recognises a retried cancel."),
)
API_FIELDS = tuple(spec for spec in FIELDS if spec.api is not None)


@dataclass(frozen=True)
class Job:
    """The current job of one bank and type.

    Times are epoch seconds except ``lease_until`` (epoch milliseconds, as stored), which
    is the claim deadline while pending and the owning run's lease while running; terminal
    jobs have none. ``delivery`` is the token of the run that owns a running job.
    """

    job_id: str
    idrssd: str
    type: JobType
    status: Status
    progress: int
    stage: str
    message: str
    attempt: int
    created_at: float
    updated_at: float
    expires_at: int
    params: dict[str, Any] = field(default_factory=dict)
    bank_name: str | None = None
    error: str | None = None
    error_code: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    started_by: str | None = None
    correlation_id: str | None = None
    lease_until: int | None = None
    delivery: str | None = None
    request_id: str | None = None
    cancel_token: str | None = None
    # The rules' timing when it was started (``rules.Timing``), so that a reader can tell
    # a silent run from a live one and when a retry may take over.
    max_attempts: int = 3
    heartbeat_seconds: int = 30
    lease_seconds: int = 90
    last_beat_at: float | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def to_api(self) -> dict[str, Any]:
        """The job as the HTTP API shows it: camelCase and ISO times, as the seed's client reads."""
        return {spec.item: _api_value(spec, getattr(self, spec.attr)) for spec in API_FIELDS}


def _api_value(spec: JobField, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "time":
        return iso(value)
    if spec.kind == "enum":
        return str(value)
    return value


@dataclass(frozen=True)
class Caller:
    """Who asks: a short hash of their identity (their API key id or token subject; the
    same for everyone locally), whether they may act on anyone's job, and the id of their
    request, which the job they start keeps so that its whole story can be found."""

    identity: str
    admin: bool = False
    correlation_id: str = ""


@dataclass(frozen=True)
class WorkerEvent:
    """The payload a worker receives: small, well under Lambda's async limit. It carries
    its job's ``correlation_id`` (the request that started it), so that a worker's lines
    about the job carry it before the claim, and a failure record names it."""

    job_id: str
    idrssd: str
    type: JobType
    params: dict[str, Any]
    correlation_id: str | None = None

    def to_payload(self) -> dict[str, Any]:
        payload = {
            "jobId": self.job_id,
            "idrssd": self.idrssd,
            "type": str(self.type),
            "params": self.params,
        }
        return payload | ({"correlationId": self.correlation_id} if self.correlation_id else {})

    @classmethod
    def for_job(cls, job: Job) -> WorkerEvent:
        return cls(job.job_id, job.idrssd, job.type, job.params, job.correlation_id)

    @classmethod
    def from_payload(cls, payload: Any) -> WorkerEvent | None:
        """The event in a Lambda payload, or ``None`` when it is not one of ours."""
        if not isinstance(payload, dict):
            return None
        job_id, idrssd, kind = payload.get("jobId"), payload.get("idrssd"), payload.get("type")
        params = payload.get("params") or {}
        if not (isinstance(job_id, str) and isinstance(idrssd, str) and isinstance(kind, str)):
            return None
        if kind not in {str(known) for known in JobType} or not isinstance(params, dict):
            return None
        correlation = payload.get("correlationId")
        correlation = correlation if isinstance(correlation, str) and correlation else None
        return cls(job_id, idrssd, JobType(kind), params, correlation)


@dataclass(frozen=True)
class Publication:
    """What a completed job publishes: its immutable artifacts and what lists show of them.

    Written in the same transaction as the completion (``LATEST#{type}`` and
    ``HISTORY#{type}#{jobId}`` items), so only a completed job is ever published.
    ``keys`` are the S3 keys of the artifacts (``document``, and ``audio`` for a recording);
    ``summary`` is what the research library lists (date, data quarter, writer, size…).
    """

    idrssd: str
    type: JobType
    job_id: str
    job_created_at: float
    keys: dict[str, str]
    summary: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"jobId": self.job_id, **self.summary}


class PublicationSource(Protocol):
    """Where the latest and past publications are read (the Jobs table's adapter)."""

    def latest(self, idrssd: str, job_type: JobType) -> Publication | None: ...

    def latest_of_each(self, idrssd: str) -> dict[JobType, Publication]: ...

    def history(self, idrssd: str, job_type: JobType, limit: int = 50) -> list[Publication]: ...

    def version(self, idrssd: str, job_type: JobType, job_id: str) -> Publication | None: ...
