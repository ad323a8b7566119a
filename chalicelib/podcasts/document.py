"""The podcast document: what a podcast job stores (the API serves it with the audio's
links, ``PodcastArchive``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from chalicelib.documents import (
    BOOLEAN,
    INTEGER,
    MODEL,
    OBJECT,
    STRING,
    TIME,
    WRITER,
    Key,
    ref,
)

ENGINE = {"type": "string", "description": "polly, espeak-ng-library or espeak-ng-program."}


@dataclass(frozen=True)
class PodcastDocument:
    """One podcast: who speaks, the script with where each line begins, and the audio's
    measures."""

    idrssd: Annotated[str, Key("idrssd", STRING)]
    bank: Annotated[dict[str, Any], Key("bank", OBJECT, required=False)]
    job_id: Annotated[str, Key("jobId", STRING)]
    generated_at: Annotated[str, Key("generatedAt", TIME)]
    as_of: Annotated[
        str, Key("asOf", {"type": "string", "description": "Report quarter, yyyymmdd."})
    ]
    synthetic: Annotated[bool, Key("synthetic", BOOLEAN, required=False)]
    source_report: Annotated[dict[str, Any], Key("sourceReport", OBJECT, required=False)]
    host: Annotated[dict[str, Any], Key("host", ref("Expert"))]
    experts: Annotated[
        list[dict[str, Any]], Key("experts", {"type": "array", "items": ref("Expert")})
    ]
    script: Annotated[
        list[dict[str, Any]], Key("script", {"type": "array", "items": ref("PodcastLine")})
    ]
    words: Annotated[int, Key("words", INTEGER, required=False)]
    writer: Annotated[str, Key("writer", WRITER, required=False)]
    model: Annotated[str | None, Key("model", MODEL, required=False)]
    engine: Annotated[str, Key("engine", ENGINE)]
    duration_seconds: Annotated[float, Key("durationSeconds", {"type": "number"})]
    sample_rate: Annotated[int, Key("sampleRate", INTEGER, required=False)]
    bit_rate_kbps: Annotated[int, Key("bitRateKbps", INTEGER, required=False)]
    audio_bytes: Annotated[int, Key("audioBytes", INTEGER, required=False)]
