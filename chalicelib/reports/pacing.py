"""Pacing for the local stage: the offline writer answers in milliseconds, a model in
seconds. Spreading a report over a model's typical time makes progress visible locally."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.sections import ReportWriter, Section


class PacedWriter:
    """Wraps a writer so that each section takes at least ``seconds_per_section``."""

    def __init__(
        self,
        inner: ReportWriter,
        seconds_per_section: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._seconds = seconds_per_section
        self._sleep = sleep
        self._clock = clock

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def model(self) -> str | None:
        return self._inner.model

    def write(self, section: Section, facts: ReportFacts) -> str:
        started = self._clock()
        text = self._inner.write(section, facts)
        remaining = self._seconds - (self._clock() - started)
        if remaining > 0:
            self._sleep(remaining)
        return text
