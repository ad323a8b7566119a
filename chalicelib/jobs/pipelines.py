"""What a job type's work looks like to the worker, and which types have one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.jobs import failures
from chalicelib.jobs.model import ErrorCode, Job, JobType, Publication
from chalicelib.jobs.progress import ProgressReporter


@dataclass(frozen=True)
class Completion:
    """What a finished pipeline hands back: the job's ``result`` and, when it stored
    artifacts, their ``publication`` — recorded in the same transaction as the completion."""

    result: dict[str, Any] = field(default_factory=dict)
    publication: Publication | None = None


class Pipeline(Protocol):
    """Does a job's work: reports progress, raises ``JobFailed`` with a sentence on an
    expected failure, stores its immutable artifacts, and returns their ``Completion`` (or
    a plain result, when it stored none)."""

    def __call__(self, job: Job, progress: ProgressReporter) -> Completion | Mapping[str, Any]: ...


PipelineRegistry = Mapping[JobType, Pipeline]

NOT_AVAILABLE = failures.by_type(ErrorCode.UNAVAILABLE)

# The progress message of a completed job: its kind's name, ready ("Report ready").
DONE_MESSAGE = {job_type: f"{job_type.capitalize()} ready" for job_type in JobType}
