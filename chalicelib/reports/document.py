"""The report document: what a report job stores and the API serves (``GET …/report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from chalicelib.documents import BOOLEAN, MODEL, OBJECT, STRING, TIME, WRITER, Key, ref


@dataclass(frozen=True)
class ReportDocument:
    """One bank's report of one quarter: its sections and the figures they were written from."""

    idrssd: Annotated[str, Key("idrssd", STRING)]
    bank: Annotated[dict[str, Any], Key("bank", OBJECT)]
    as_of: Annotated[str, Key("asOf", {"type": "string", "description": "Quarter end, yyyymmdd."})]
    generated_at: Annotated[str, Key("generatedAt", TIME)]
    job_id: Annotated[str, Key("jobId", STRING)]
    writer: Annotated[str, Key("writer", WRITER)]
    model: Annotated[str | None, Key("model", MODEL, required=False)]
    synthetic: Annotated[bool, Key("synthetic", BOOLEAN)]
    sections: Annotated[
        list[dict[str, str]], Key("sections", {"type": "array", "items": ref("ReportSection")})
    ]
    key_figures: Annotated[dict[str, Any], Key("keyFigures", OBJECT, required=False)]
    key_metrics: Annotated[dict[str, Any], Key("keyMetrics", OBJECT, required=False)]
    peers: Annotated[dict[str, Any], Key("peers", OBJECT, required=False)]
    series: Annotated[list[dict[str, Any]], Key("series", {"type": "array", "items": OBJECT})]
    notes: Annotated[list[str], Key("notes", {"type": "array", "items": STRING}, required=False)]
