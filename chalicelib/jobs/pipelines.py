"""What a job type's work looks like to the worker, and which types have one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.jobs.model import Job, JobType
from chalicelib.jobs.progress import ProgressReporter


class Pipeline(Protocol):
    """Does a job's work: reports progress, raises ``JobFailed`` with a sentence on an
    expected failure, stores its artifact, and returns the job's ``result``."""

    def __call__(self, job: Job, progress: ProgressReporter) -> dict[str, Any]: ...


PipelineRegistry = Mapping[JobType, Pipeline]

NOT_AVAILABLE = {
    JobType.REPORT: "Report generation is not available in this version of the service yet.",
    JobType.PODCAST: "Podcast generation is not available in this version of the service yet.",
}

DONE_MESSAGE = {
    JobType.REPORT: "Report ready",
    JobType.PODCAST: "Podcast ready",
}
