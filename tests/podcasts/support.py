"""Helpers shared by podcast tests (and by route tests that need a report to exist)."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

from chalicelib.artifacts import ArtifactBucket
from chalicelib.bootstrap import bootstrap
from chalicelib.experts import Voice
from chalicelib.jobs.items import history_item, latest_item
from chalicelib.jobs.model import Job, JobType, Status
from chalicelib.jobs.pipelines import PipelineRegistry
from chalicelib.jobs.rules import new_job_id
from chalicelib.jobs.store import JobStore
from chalicelib.podcasts.audio import Clip
from chalicelib.podcasts.pipeline import PodcastPipeline
from chalicelib.podcasts.script import ScriptWriter
from chalicelib.podcasts.template_writer import TemplateScriptWriter
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.reports.archive import ReportArchive
from chalicelib.runtime import Runtime, shipped_pipelines
from tests.api_support import Api
from tests.fakes import T0, FakeClock
from tests.moto_account import Aws


def put_report(aws: Aws, idrssd: str, job_id: str | None = None) -> str:
    """A minimal published report (its object and its publication items), enough for a
    podcast start to be accepted; returns its job id."""
    job_id = job_id or new_job_id(T0)
    job = Job(job_id, idrssd, JobType.REPORT, Status.RUNNING, 90, "save", "", 1, T0, T0, 0)
    archive = ReportArchive(
        ArtifactBucket(aws.s3, aws.bucket), JobStore(aws.jobs_table, FakeClock()).publications
    )
    document = {"idrssd": idrssd, "jobId": job_id, "asOf": "20241231", "sections": []}
    publication = archive.store(job, document)
    aws.jobs_table.put_item(Item=latest_item(publication))
    aws.jobs_table.put_item(Item=history_item(publication, T0))
    return job_id


def tone(seconds: float, sample_rate: int = 16000, amplitude: int = 6000) -> bytes:
    """A 440 Hz tone: audio with real energy, unlike moto's Polly."""
    count = round(seconds * sample_rate)
    return b"".join(
        struct.pack("<h", round(amplitude * math.sin(2 * math.pi * 440 * i / sample_rate)))
        for i in range(count)
    )


class ToneEngine:
    """A fast engine for pipeline tests: a short tone per call, and a hook per call."""

    name = "tone"
    max_chars = 1000

    def __init__(self, on_call: Callable[[int, str], None] | None = None) -> None:
        self.calls: list[tuple[str, Voice]] = []
        self._on_call = on_call

    def synthesize(self, text: str, voice: Voice) -> Clip:
        self.calls.append((text, voice))
        if self._on_call is not None:
            self._on_call(len(self.calls), text)
        return Clip(tone(0.05), 16000)


def podcast_pipelines(
    engine: Callable[[], VoiceEngine],
    writer: ScriptWriter | None = None,
    encode: Callable[[Clip], bytes] | None = None,
) -> Callable[[Runtime], PipelineRegistry]:
    """The shipped pipelines with the podcast's engine (and optionally writer) replaced."""

    def build(runtime: Runtime) -> PipelineRegistry:
        registry = dict(shipped_pipelines(runtime))
        extra = {} if encode is None else {"encode": encode}
        registry[JobType.PODCAST] = PodcastPipeline(
            runtime.worker.reports,
            runtime.worker.podcasts,
            writer or TemplateScriptWriter(),
            engine,
            runtime.clock,
            **extra,
        )
        return registry

    return build


def run_job(api: Api, idrssd: str, job_type: str, body: dict[str, Any] | None = None) -> Any:
    """Start a job over HTTP, run its delivered event in this thread, return the final job."""
    path = (
        f"/api/research/{idrssd}/generate-background"
        if job_type == "report"
        else f"/api/research/{idrssd}/podcast/generate-background"
    )
    started = api.post(path, json.dumps(body) if body is not None else "")
    assert started.status_code == 202, started.body
    event = api.invoker.events[-1]
    bootstrap(api.runtime).work(event.to_payload(), None)
    status = api.get(f"/api/research/{idrssd}/job-status?type={job_type}")
    return json.loads(status.body)["job"]
