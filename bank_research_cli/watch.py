"""Watching a job to its end: conditional polls paced by ``Retry-After``, shown live.

A watcher only reads: leaving it (Ctrl-C) never touches the job, which keeps running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any, Protocol

from bank_research_cli import jobs
from bank_research_cli.api import Api
from bank_research_cli.errors import ApiError, Transient

DEFAULT_DELAY = 2.0  # the API's own Retry-After while a job is active
MIN_DELAY = 0.2  # never poll in a tight loop, whatever a header says
MAX_DELAY = 60.0
GIVE_UP_AFTER = 300.0  # seconds of nothing but busy answers before saying so


class StoppedWatching(Exception):
    """Ctrl-C while watching: the job, as last seen, keeps running."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__("stopped watching")
        self.job = job


class Display(Protocol):
    def show(self, job: dict[str, Any]) -> None: ...

    def note(self, text: str) -> None: ...

    def close(self) -> None: ...


class PlainDisplay:
    """One line per change, for logs and pipes (output that is not a terminal)."""

    def __init__(self, stream: IO[str], now: Callable[[], float] = time.time) -> None:
        self.stream = stream
        self.now = now
        self.last: str | None = None

    def show(self, job: dict[str, Any]) -> None:
        line = jobs.progress_line(job, self.now())
        if line != self.last:
            self.last = line
            print(line, file=self.stream, flush=True)

    def note(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class SilentDisplay:
    """For ``--json`` into a pipe: the one JSON document is all that is printed."""

    def show(self, job: dict[str, Any]) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichDisplay:
    """A live progress bar with the stage's message, redrawn in place (Rich)."""

    def __init__(self, stream: IO[str], now: Callable[[], float] = time.time) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
        )

        # The job's own elapsed time and attempt are in the message (jobs.life), not the
        # time since this command began watching.
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[message]}"),
            console=Console(file=stream),
        )
        self.task: Any = None
        self.now = now
        self.progress.start()

    def show(self, job: dict[str, Any]) -> None:
        label = f"{job.get('type', 'job')} {job.get('idrssd', '')}"
        message = str(job.get("message") or job.get("stage") or "")
        if jobs.outcome(job) in ("failed", "cancelled"):
            message = jobs.sentence(job)
        elif jobs.outcome(job) == "active":
            current = jobs.life(job, self.now())
            message = f"{current.words} {current.facts}".strip()
        if self.task is None:
            self.task = self.progress.add_task(label, total=100, message=message)
        percent = int(job.get("progress") or 0)
        self.progress.update(self.task, description=label, completed=percent, message=message)

    def note(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self.progress.stop()


def display_for(
    stream: IO[str], quiet: bool = False, now: Callable[[], float] = time.time
) -> Display:
    """A bar on a terminal, plain lines elsewhere; nothing for ``quiet`` off a terminal."""
    terminal = stream.isatty()
    if terminal:
        try:
            return RichDisplay(stream, now)
        except ImportError:  # the client installed without Rich still works, in lines
            return PlainDisplay(stream, now)
    return SilentDisplay() if quiet else PlainDisplay(stream, now)


def watch(
    api: Api,
    job: dict[str, Any],
    display: Display,
    *,
    etag: str | None = None,
    first_delay: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll until the job is completed or failed, and return it as last seen.

    Ctrl-C raises :class:`StoppedWatching` with the job as last seen; :class:`ApiError`
    means the job can no longer be followed. Polls are conditional (``If-None-Match``)
    and paced by the server's ``Retry-After``, through busy answers too.
    """
    watcher = _Watcher(api, job, display, etag, sleep, clock)
    try:
        return watcher.run(DEFAULT_DELAY if first_delay is None else first_delay)
    except KeyboardInterrupt:
        raise StoppedWatching(watcher.job) from None


class _Watcher:
    def __init__(
        self,
        api: Api,
        job: dict[str, Any],
        display: Display,
        etag: str | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self.api, self.job, self.display, self.etag = api, job, display, etag
        self.sleep, self.clock = sleep, clock

    def run(self, delay: float) -> dict[str, Any]:
        idrssd, kind = str(self.job["idrssd"]), str(self.job["type"])
        busy_since: float | None = None
        self.display.show(self.job)
        while jobs.outcome(self.job) == "active":
            self.sleep(_bounded(delay))
            try:
                poll = self.api.job_status(idrssd, kind, self.etag, attempts=1)
            except Transient as busy:
                busy_since = self.clock() if busy_since is None else busy_since
                if self.clock() - busy_since > GIVE_UP_AFTER:
                    raise
                delay = DEFAULT_DELAY if busy.retry_after is None else busy.retry_after
                continue
            busy_since = None
            delay = DEFAULT_DELAY if poll.retry_after is None else poll.retry_after
            if poll.body is None:  # 304: unchanged; but a silence grows, and may show
                self.display.show(self.job)
                continue
            self.etag = poll.etag
            self.job = _next_job(self.job, poll.body, self.display)
            self.display.show(self.job)
        return self.job


def _next_job(watched: dict[str, Any], body: dict[str, Any], display: Display) -> dict[str, Any]:
    if not body.get("hasJob") or not isinstance(body.get("job"), dict):
        raise ApiError(
            f"The {watched['type']} job for bank {watched['idrssd']} is no longer known to the "
            "service; start it again.",
            "job_gone",
        )
    current: dict[str, Any] = body["job"]
    if current.get("jobId") != watched.get("jobId"):
        display.note(
            f"A newer {watched['type']} job for bank {watched['idrssd']} replaced the one "
            "being watched; following it."
        )
    return current


def _bounded(delay: float) -> float:
    return min(MAX_DELAY, max(MIN_DELAY, delay))
