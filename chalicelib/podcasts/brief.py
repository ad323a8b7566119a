"""What a podcast knows about the bank: its latest report artifact, read back as facts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.reports.facts import ReportFacts

_MARKDOWN_NOISE = re.compile(r"[*_`#>|]+")


@dataclass(frozen=True)
class PodcastBrief:
    """The report's facts (same shape the report was written from, the name, city and
    state cased for sentences) and its prose."""

    facts: ReportFacts
    report_job_id: str
    as_of: str
    sections: dict[str, str]  # section id → plain text (markdown marks removed)

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> PodcastBrief:
        bank = report.get("bank") or {}
        series = list(report.get("series") or [])
        # keyMetrics holds the headline ratios; the latest series row holds them all
        # (allowance coverage, growth rates), so it fills what keyMetrics leaves out.
        latest_row = {k: v for k, v in (series[-1] if series else {}).items() if k != "quarter"}
        metrics = {**latest_row, **(report.get("keyMetrics") or {})}
        peers = report.get("peers") or {}
        facts = ReportFacts(
            idrssd=str(report["idrssd"]),
            name=str(bank.get("name") or f"Bank {report['idrssd']}"),
            city=str(bank.get("city") or ""),
            state=str(bank.get("state") or ""),
            quarter=str(report["asOf"]),
            synthetic=bool(report.get("synthetic")),
            figures=dict(report.get("keyFigures") or {}),
            metrics=metrics,
            series=series,
            peer_label=peers.get("label"),
            peer_count=int(peers.get("banks") or 0),
            peer_medians=dict(peers.get("medians") or {}),
            notes=list(report.get("notes") or []),
            filing_type=str(bank.get("filingType") or ""),
        ).in_prose()
        sections = {
            str(section.get("id")): plain_text(str(section.get("markdown") or ""))
            for section in report.get("sections") or []
        }
        return cls(facts, str(report["jobId"]), str(report["asOf"]), sections)


def plain_text(markdown: str) -> str:
    """Markdown as prose for a prompt: marks dropped, lines joined."""
    lines = [_MARKDOWN_NOISE.sub("", line).strip(" -") for line in markdown.splitlines()]
    return " ".join(line for line in lines if line)
