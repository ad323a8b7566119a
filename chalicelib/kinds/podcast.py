"""The podcast: a panel of experts (``params.experts``); it needs the bank's report first,
and turns the latest one into a script, speech and an MP3 in the archive."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.clock import Clock
from chalicelib.errors import InvalidInput, excerpt, json_kind
from chalicelib.experts import MAX_EXPERTS, PANEL, expert_by_id
from chalicelib.job_types import JobType
from chalicelib.jobs.pipelines import Pipeline
from chalicelib.jobs.service import Prerequisite
from chalicelib.kinds.kind import JobKind, reject_unknown_fields
from chalicelib.podcasts.archive import PodcastArchive
from chalicelib.podcasts.pipeline import PodcastPipeline
from chalicelib.podcasts.prerequisite import ReportFirst
from chalicelib.podcasts.script import ScriptWriter
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.reports.archive import ReportArchive


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


def parse_podcast_params(body: dict[str, Any]) -> dict[str, Any]:
    """``{"experts": [ids]}``: one to four distinct ids from the panel."""
    reject_unknown_fields(body, allowed=("experts",))
    available = ", ".join(expert.id for expert in PANEL)
    experts = body.get("experts")
    if experts is None:
        raise InvalidInput(
            f'Choose the podcast\'s experts: send {{"experts": [...]}} with 1 to {MAX_EXPERTS} '
            f"of: {available}.",
            "invalid_experts",
        )
    if not isinstance(experts, list):
        raise InvalidInput(
            f'"experts" must be a list of expert ids, not {json_kind(experts)}.',
            "invalid_experts",
        )
    if not experts:
        raise InvalidInput(
            f"Choose at least one expert (up to {MAX_EXPERTS}) from: {available}.",
            "invalid_experts",
        )
    if len(experts) > MAX_EXPERTS:
        raise InvalidInput(
            f"Choose at most {MAX_EXPERTS} experts; {len(experts)} were sent.", "invalid_experts"
        )
    seen: set[str] = set()
    for expert_id in experts:
        if not isinstance(expert_id, str) or expert_by_id(expert_id) is None:
            raise InvalidInput(
                f"'{excerpt(expert_id)}' is not one of the experts: choose from {available}.",
                "unknown_expert",
            )
        if expert_id in seen:
            raise InvalidInput(
                f"Expert '{expert_id}' was chosen twice: list each expert once.",
                "duplicate_expert",
            )
        seen.add(expert_id)
    return {"experts": list(experts)}


PODCAST = JobKind(
    JobType.PODCAST,
    parse_params=parse_podcast_params,
    pipeline=pipeline,
    prerequisite=prerequisite,
)
