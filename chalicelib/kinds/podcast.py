"""The podcast: a panel of experts (``params.experts``); it needs the bank's report first,
and turns the latest one into a script, speech and an MP3 in the archive."""

from __future__ import annotations

from typing import Protocol

from chalicelib.clock import Clock
from chalicelib.job_types import JobType
from chalicelib.jobs.pipelines import Pipeline
from chalicelib.jobs.service import Prerequisite
from chalicelib.kinds.kind import JobKind
from chalicelib.podcasts.archive import PodcastArchive
from chalicelib.podcasts.pipeline import PodcastPipeline
from chalicelib.podcasts.prerequisite import ReportFirst
from chalicelib.podcasts.script import ScriptWriter
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.reports.archive import ReportArchive
from chalicelib.validation import parse_podcast_params


class _WorkerSide(Protocol):
    @property
    def reports(self) -> ReportArchive: ...
    @property
    def podcasts(self) -> PodcastArchive: ...


class Wiring(Protocol):
    """What a podcast takes from the runtime."""

    @property
    def worker(self) -> _WorkerSide: ...
    @property
    def reports(self) -> ReportArchive: ...
    @property
    def script_writer(self) -> ScriptWriter: ...
    @property
    def clock(self) -> Clock: ...
    def voice_engine(self) -> VoiceEngine: ...


def pipeline(runtime: Wiring) -> Pipeline:
    worker = runtime.worker
    return PodcastPipeline(
        worker.reports, worker.podcasts, runtime.script_writer, runtime.voice_engine, runtime.clock
    )


def prerequisite(runtime: Wiring) -> Prerequisite:
    """A podcast is made from the bank's latest report: none, and the start is refused."""
    return ReportFirst(runtime.reports)


PODCAST = JobKind(
    JobType.PODCAST,
    parse_params=parse_podcast_params,
    pipeline=pipeline,
    prerequisite=prerequisite,
)
