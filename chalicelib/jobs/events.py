"""What the job core tells whoever watches it, and what one run measures of itself.

The core emits one call per event to a ``JobEvents`` handed to its constructors (the job
service, the store, the runner); it names no observer. ``chalicelib/telemetry.py``
implements it with metrics and traces; tests pass ``NO_EVENTS`` or a recorder. What one run
measured (its stages' milliseconds, its progress writes) lives on the run, in
``RunTimes``, which tells each stage as it ends and hands itself over with the run's
outcome: no observer keeps a run's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.jobs.model import Job, WorkerEvent
from chalicelib.jobs.rules import Refusal

FINAL_STAGE = "done"
"""The stage a run ends in, for timing: the stage it was in last ends with the run."""


def milliseconds(seconds: float) -> int:
    """Whole milliseconds of a span; a clock that stepped back counts as none."""
    return round(max(seconds, 0.0) * 1000)


class JobEvents(Protocol):
    """The job core's events, one call each; an observer must never raise."""

    def requested(self, job: Job, created: bool) -> None:
        """A start created ``job`` (``created``) or joined it."""
        ...

    def cancelled(self, job: Job) -> None: ...

    def abandoned(self, event: WorkerEvent, reason: str) -> None:
        """A job failed without a run (its hand-over failed, Lambda gave up on its event, a
        retry found its attempts used up); ``reason`` is its ``errorCode``."""
        ...

    def stuck(self, stored: Job, shown: Job) -> None:
        """A reader found an active job that nothing can claim any more."""
        ...

    def skipped(self, event: WorkerEvent, refusal: Refusal) -> None:
        """A delivery claimed nothing, for ``refusal``."""
        ...

    def claimed(self, job: Job, now: float) -> None:
        """A run claimed ``job``."""
        ...

    def stage_ended(self, job: Job, stage: str, spent_ms: int) -> None: ...

    def finished(self, job: Job, now: float, times: RunTimes, code: str | None) -> None:
        """The run recorded its outcome: completed (``code`` None) or failed with ``code``."""
        ...


class NoEvents:
    """An observer that ignores everything (tests of the core, tools)."""

    def requested(self, job: Job, created: bool) -> None:
        return None

    def cancelled(self, job: Job) -> None:
        return None

    def abandoned(self, event: WorkerEvent, reason: str) -> None:
        return None

    def stuck(self, stored: Job, shown: Job) -> None:
        return None

    def skipped(self, event: WorkerEvent, refusal: Refusal) -> None:
        return None

    def claimed(self, job: Job, now: float) -> None:
        return None

    def stage_ended(self, job: Job, stage: str, spent_ms: int) -> None:
        return None

    def finished(self, job: Job, now: float, times: RunTimes, code: str | None) -> None:
        return None


NO_EVENTS: JobEvents = NoEvents()


@dataclass
class RunTimes:
    """What one run measures of itself, told to ``events`` as it goes: the stage it is in
    and since when, each stage's milliseconds once it ends, and its progress writes."""

    job: Job
    events: JobEvents
    stage: str
    since: float
    writes: int = 0
    spent: dict[str, int] = field(default_factory=dict)

    @classmethod
    def claimed(cls, job: Job, events: JobEvents, now: float) -> RunTimes:
        """A run claimed ``job`` at ``now``: its clock starts."""
        events.claimed(job, now)
        return cls(job, events, job.stage, now)

    def wrote(self, stage: str, now: float) -> None:
        """A progress write in ``stage`` went through (ending the stage before, if other)."""
        self.writes += 1
        self._enter(stage, now)

    def end(self, now: float, code: str | None) -> None:
        """The run recorded its outcome (``code`` None: completed): its last stage ends."""
        self._enter(FINAL_STAGE, now)
        self.events.finished(self.job, now, self, code)

    def _enter(self, stage: str, now: float) -> None:
        if stage == self.stage:
            return
        spent = milliseconds(now - self.since)
        self.spent[self.stage] = self.spent.get(self.stage, 0) + spent
        self.events.stage_ended(self.job, self.stage, spent)
        self.stage, self.since = stage, now
