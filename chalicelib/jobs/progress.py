"""Progress reporting for a running job: owned, monotonic, coalesced, and best effort."""

from __future__ import annotations

import logging

from chalicelib.aws.policy import is_transient
from chalicelib.clock import Clock
from chalicelib.jobs.errors import JobLost, ProgressWentBackwards
from chalicelib.jobs.events import NO_EVENTS, RunTimes
from chalicelib.jobs.lease import LeaseKeeper
from chalicelib.jobs.model import Job
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

MIN_WRITE_INTERVAL_SECONDS = 1.0
"""Within a stage, progress is written at most about once a second (docs/ARCHITECTURE.md,
invariant 7)."""

MAX_PROGRESS_BEFORE_DONE = 99
"""100 belongs to ``completed``; a pipeline's own reports stop short of it."""


class ProgressReporter:
    """What a pipeline calls to report ``(progress, stage, message)`` and to stop when told.

    A stage change is always written: that write doubles as the cancellation check at each
    stage boundary (it fails once the job is cancelled or replaced, raising ``JobLost``).
    Within a stage, writes are coalesced to one per ``min_interval`` seconds. A write that
    is throttled or meets a server error is skipped and tried again at the next report:
    progress is best effort and never fails a job; only ``JobLost`` is final.

    Each write that goes through is counted in the run's ``times`` (which tells the stage
    it ends).
    """

    def __init__(
        self,
        store: JobStore,
        job: Job,
        clock: Clock,
        keeper: LeaseKeeper,
        min_interval: float = MIN_WRITE_INTERVAL_SECONDS,
        times: RunTimes | None = None,
    ) -> None:
        self._store = store
        self._job = job
        self._clock = clock
        self._keeper = keeper
        self._min_interval = min_interval
        self._progress = job.progress
        self._stage = job.stage
        self._last_contact = clock.now()
        self.times = times or RunTimes(job, NO_EVENTS, job.stage, self._last_contact)
        self.skipped = 0

    @property
    def writes(self) -> int:
        return self.times.writes

    @property
    def job(self) -> Job:
        return self._job

    def report(self, progress: int, stage: str, message: str) -> None:
        self._keeper.check()
        progress = min(max(progress, self._progress), MAX_PROGRESS_BEFORE_DONE)
        now = self._clock.now()
        if stage == self._stage and now - self._last_contact < self._min_interval:
            return
        try:
            self._store.report_progress(self._job, progress, stage, message)
        except JobLost:
            raise
        except ProgressWentBackwards:
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._skip("progress write skipped", exc)
            return
        self._progress, self._stage, self._last_contact = progress, stage, now
        self._keeper.touched()
        self.times.wrote(stage, now)

    def check_cancelled(self) -> None:
        """Raise ``JobLost`` if the job was cancelled or replaced; reads at most once a second.

        For loops with many small steps (a recording's lines) between stage changes.
        """
        self._keeper.check()
        now = self._clock.now()
        if now - self._last_contact < self._min_interval:
            return
        try:
            current = self._store.get_fresh(self._job.idrssd, self._job.type)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._skip("cancellation check skipped", exc)
            return
        self._last_contact = now
        if current is None or current.job_id != self._job.job_id or not current.active:
            reason = "it was cancelled or replaced" if current else "the job record is gone"
            raise JobLost(self._job.job_id, reason)

    def _skip(self, what: str, exc: Exception) -> None:
        self.skipped += 1
        log(logging.WARNING, what, jobId=self._job.job_id, error=type(exc).__name__)
