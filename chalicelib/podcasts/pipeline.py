"""The podcast job: latest report → script → one line at a time in each voice → MP3 → S3."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from chalicelib.clock import Clock, iso
from chalicelib.documents import to_api
from chalicelib.experts import HOST, Expert, expert_by_id
from chalicelib.jobs.errors import JobFailed
from chalicelib.jobs.model import ErrorCode, Job
from chalicelib.jobs.pipelines import Completion
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.logs import log
from chalicelib.podcasts.archive import PodcastArchive, audio_url, podcast_url
from chalicelib.podcasts.audio import (
    BIT_RATE_KBPS,
    SILENCE_RMS,
    Clip,
    Turn,
    encode_mp3,
    join_timed,
    rms,
)
from chalicelib.podcasts.brief import PodcastBrief
from chalicelib.podcasts.document import PodcastDocument
from chalicelib.podcasts.errors import VOICES_SILENT, SpeechError
from chalicelib.podcasts.pronounce import speakable
from chalicelib.podcasts.script import Script, ScriptWriter, speaker_by_id, split_at_sentences
from chalicelib.podcasts.template_writer import listing
from chalicelib.podcasts.voices import VoiceEngine
from chalicelib.reports.errors import NoReport

# Progress: 0-10 report and script, 12-90 one step per line, 92 assembling, 96 saving.
VOICES_START, VOICES_END = 12, 90
REPORT_GONE = (
    "The bank's report is no longer available, so the podcast could not be made. Generate "
    "the report again, then start the podcast."
)


class ReportSource(Protocol):
    def latest(self, idrssd: str) -> dict[str, Any]: ...


class PodcastPipeline:
    """Runs as the worker's pipeline for ``podcast`` jobs.

    ``engine`` is a factory: which engine exists is only known where the worker runs,
    and a missing one must fail the job with a sentence, not the API at start-up.
    """

    def __init__(
        self,
        reports: ReportSource,
        archive: PodcastArchive,
        writer: ScriptWriter,
        engine: Callable[[], VoiceEngine],
        clock: Clock,
        encode: Callable[[Clip], bytes] = encode_mp3,
    ) -> None:
        self._reports = reports
        self._archive = archive
        self._writer = writer
        self._engine = engine
        self._clock = clock
        self._encode = encode

    def __call__(self, job: Job, progress: ProgressReporter) -> Completion:
        progress.report(3, "load", "Reading the bank's latest report")
        brief = self._brief(job.idrssd)
        experts = _experts(job.params)
        names = listing([HOST.name, *(expert.name for expert in experts)])
        progress.report(6, "script", f"Writing the conversation between {names}")
        script = self._writer.write(brief, experts)
        engine = self._engine()
        log(logging.INFO, "podcast voice engine", jobId=job.job_id, engine=engine.name)
        turns, first_turns = self._record(script, engine, progress)
        progress.report(92, "assemble", "Joining the voices into one MP3")
        audio, starts = join_timed(turns)
        if rms(audio.pcm) < SILENCE_RMS:
            # Never publish silence: moto's Polly, a muted engine or a broken voice all
            # "succeed" with empty audio.
            raise SpeechError(
                VOICES_SILENT,
                detail=f"The {engine.name} voice engine returned silence; check the voice "
                "engine's setup (VOICE_ENGINE).",
            )
        mp3 = self._encode(audio)
        progress.report(96, "save", "Saving the podcast")
        # Where each line begins in the audio: the page's transcript follows it.
        lines: list[dict[str, Any]] = [dict(line) for line in script.to_api()]
        for line, first in zip(lines, first_turns, strict=True):
            line["start"] = starts[first] if first < len(starts) else None
        podcast = self._document(job, brief, experts, script, lines, engine, audio, mp3)
        publication = self._archive.store(job, to_api(podcast), mp3)
        result = {
            "url": podcast_url(job.idrssd),
            "audioUrl": audio_url(job.idrssd),
            "durationSeconds": round(audio.seconds),
            "engine": engine.name,
        }
        return Completion(result, publication)

    def _brief(self, idrssd: str) -> PodcastBrief:
        try:
            report = self._reports.latest(idrssd)
        except NoReport as exc:
            # The start checked for a report; it can still vanish before the worker runs.
            raise JobFailed(REPORT_GONE, ErrorCode.REPORT_REQUIRED) from exc
        return PodcastBrief.from_report(report)

    def _record(
        self, script: Script, engine: VoiceEngine, progress: ProgressReporter
    ) -> tuple[list[Turn], list[int]]:
        """The turns recorded, and the index of each line's first turn among them."""
        turns: list[Turn] = []
        firsts: list[int] = []
        total = len(script.lines)
        span = VOICES_END - VOICES_START
        for index, line in enumerate(script.lines):
            speaker = speaker_by_id(line.speaker)
            progress.report(
                VOICES_START + span * index // total,
                "voices",
                f"Recording line {index + 1} of {total} ({speaker.name})",
            )
            progress.check_cancelled()
            firsts.append(len(turns))
            for piece in split_at_sentences(line.text, engine.max_chars):
                # Spoken as a listener should hear it (USAA spelt out); the script keeps it.
                clip = engine.synthesize(speakable(piece), speaker.voice)
                turns.append(Turn(line.speaker, clip))
        return turns, firsts

    def _document(
        self,
        job: Job,
        brief: PodcastBrief,
        experts: Sequence[Expert],
        script: Script,
        lines: list[dict[str, Any]],
        engine: VoiceEngine,
        audio: Clip,
        mp3: bytes,
    ) -> PodcastDocument:
        facts = brief.facts
        return PodcastDocument(
            idrssd=job.idrssd,
            # The name as filed (as the report keeps it); city and state as spoken.
            bank={"name": facts.legal_name, "city": facts.city, "state": facts.state},
            job_id=job.job_id,
            generated_at=iso(self._clock.now()),
            as_of=brief.as_of,
            synthetic=facts.synthetic,
            source_report={"jobId": brief.report_job_id, "asOf": brief.as_of},
            host=HOST.to_api(),
            experts=[expert.to_api() for expert in experts],
            script=lines,
            words=script.words,
            writer=script.writer,
            model=script.model,
            engine=engine.name,
            duration_seconds=round(audio.seconds, 1),
            sample_rate=audio.sample_rate,
            bit_rate_kbps=BIT_RATE_KBPS,
            audio_bytes=len(mp3),
        )


def _experts(params: dict[str, Any]) -> list[Expert]:
    """The chosen panel, in the order chosen (the start validated it; a stale or hand-made
    event still gets a sentence rather than a crash)."""
    chosen = [expert_by_id(str(expert_id)) for expert_id in params.get("experts") or []]
    experts = [expert for expert in chosen if expert is not None]
    if not experts or len(experts) != len(chosen):
        raise JobFailed(
            "The podcast's experts are missing or unknown. Choose them again.",
            ErrorCode.INVALID_PARAMS,
        )
    return experts
