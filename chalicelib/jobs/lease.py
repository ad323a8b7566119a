"""Keeping a run's claim alive: every owned write extends the lease; a heartbeat fills the
silences (a Bedrock or Polly call can take a minute). See docs/ARCHITECTURE.md, "Leases".
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from chalicelib.aws.policy import is_transient
from chalicelib.clock import Clock
from chalicelib.jobs import rules
from chalicelib.jobs.errors import JobLost
from chalicelib.jobs.model import Job
from chalicelib.jobs.store import JobStore
from chalicelib.logs import log

TICK_SECONDS = 1.0
"""How often the heartbeat thread looks at the clock (a look costs no AWS call)."""

HAND_BACK_SECONDS = 20.0
"""A run this close to its Lambda timeout releases its claim, so that Lambda's retry after
the timeout claims the job at once instead of waiting for the lease to lapse."""


class LeaseKeeper:
    """Writes a heartbeat when the run has written nothing for ``heartbeat_seconds``.

    Used as a context manager it runs a daemon thread for the run's duration; tests call
    ``beat_if_due`` directly instead. A heartbeat that finds the job gone records it in
    ``lost``, which the progress reporter raises at its next call; a throttled one is
    skipped and tried again at the next tick (best effort: it never fails the job). Near
    ``deadline`` (the Lambda timeout) it releases the claim and marks the run handed back.
    """

    def __init__(
        self,
        store: JobStore,
        job: Job,
        clock: Clock,
        heartbeat_seconds: float,
        tick_seconds: float = TICK_SECONDS,
        deadline: float | None = None,
    ) -> None:
        self._store = store
        self._job = job
        self._clock = clock
        self._heartbeat_seconds = heartbeat_seconds
        self._tick_seconds = tick_seconds
        self._lock = threading.Lock()
        self._last_write = clock.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Hand back HAND_BACK_SECONDS before the deadline, or a quarter of the run before it
        # when the run is shorter than that allows.
        self._hand_back_at = (
            None
            if deadline is None
            else deadline - min(HAND_BACK_SECONDS, max(deadline - clock.now(), 0) / 4)
        )
        self.lost: JobLost | None = None
        self.handed_back = False
        self.beats = 0
        self.failing_since: float | None = None  # heartbeats failing transiently since
        self.stalled = False  # the job died of a datastore stall; recorded as busy

    def touched(self) -> None:
        """An owned write just extended the lease."""
        with self._lock:
            self._last_write = self._clock.now()
            self.failing_since = None

    def settle(self, lost: JobLost) -> JobLost:
        """What losing the job means: when it died by time alone while this run still owned
        it and the datastore kept refusing the run's heartbeats, the datastore was at fault,
        not the run: the job is recorded failed ``busy`` (``rules.STALLED``), never left to
        read ``worker_lost``. Otherwise the loss stands as it is."""
        if self.stalled or self.failing_since is None:
            return lost
        job, now = self._job, self._clock.now()
        assert job.delivery is not None
        seen = lost.old
        if seen is None or not rules.died_while_owned(
            seen, job.job_id, job.delivery, now, self._store.timing
        ):
            return lost
        try:
            self._store.record_stalled(job, seen)
        except Exception:
            log(logging.WARNING, "stall could not be recorded", jobId=job.job_id)
            return lost
        self.stalled = True
        log(logging.WARNING, "job failed: the datastore stalled past its lease", jobId=job.job_id)
        return JobLost(job.job_id, "the datastore stalled past the lease; recorded as busy")

    def check(self) -> None:
        """Raise ``JobLost`` if a heartbeat found the job cancelled, replaced or finished."""
        if self.lost is not None:
            raise self.lost

    def beat_if_due(self) -> bool:
        if self._hand_back_at is not None and self._clock.now() >= self._hand_back_at:
            self._hand_back()
            return False
        with self._lock:
            if self._clock.now() - self._last_write < self._heartbeat_seconds:
                return False
        try:
            self._store.heartbeat(self._job)
        except JobLost as lost:
            self.lost = self.settle(lost)
            return False
        except Exception as exc:
            if is_transient(exc):
                with self._lock:
                    self.failing_since = self.failing_since or self._clock.now()
            else:
                log(logging.WARNING, "heartbeat failed", exc_info=True, jobId=self._job.job_id)
            return False
        self.touched()
        self.beats += 1
        return True

    def _hand_back(self) -> None:
        if self.handed_back:
            return
        self.handed_back = True
        self.lost = JobLost(self._job.job_id, "handed back before the Lambda timeout")
        try:
            self._store.release(self._job)
        except Exception:
            log(logging.WARNING, "release before the timeout failed", jobId=self._job.job_id)

    def __enter__(self) -> LeaseKeeper:
        self._thread = threading.Thread(
            target=self._beat_until_stopped, name=f"heartbeat-{self._job.job_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat_until_stopped(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            if self.lost is not None:
                return
            self.beat_if_due()
