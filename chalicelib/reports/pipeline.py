"""The report job: bank data → metrics → peers → seven sections → stored artifact."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.banks.errors import NO_DATA_MESSAGE, BankNotFound
from chalicelib.banks.records import Profile
from chalicelib.clock import Clock, iso
from chalicelib.documents import to_api
from chalicelib.jobs.errors import JobFailed
from chalicelib.jobs.model import ErrorCode, Job
from chalicelib.jobs.pipelines import Completion
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.reports.archive import ReportArchive, report_url
from chalicelib.reports.document import ReportDocument
from chalicelib.reports.facts import ReportFacts
from chalicelib.reports.render import md_text, to_safe_html
from chalicelib.reports.sections import SECTIONS, ReportWriter

KEY_FIGURES = ("totalAssets", "loans", "totalDeposits", "totalEquity", "netIncome")
KEY_METRICS = (
    "roa", "roe", "nim", "efficiencyRatio", "nonaccrualRatio", "netChargeOffRatio",
    "leverageRatio", "cet1Ratio", "totalCapitalRatio", "loanToDeposit",
)  # fmt: skip
# Progress: 0-30 gathering data, 30-93 the sections, 95 saving, 100 on completion.
SECTIONS_START, SECTIONS_END = 30, 93


class BankSource(Protocol):
    """Where the bank's profile is read (``BanksTable``): ``None`` for an unknown bank."""

    def profile(self, idrssd: str) -> Profile | None: ...


class ReportPipeline:
    """Runs as the worker's pipeline for ``report`` jobs."""

    def __init__(
        self, banks: BankSource, writer: ReportWriter, archive: ReportArchive, clock: Clock
    ) -> None:
        self._banks = banks
        self._writer = writer
        self._archive = archive
        self._clock = clock

    def __call__(self, job: Job, progress: ProgressReporter) -> Completion:
        progress.report(5, "load", "Loading the bank's call-report data")
        facts = self._facts(job.idrssd)
        progress.report(
            15, "metrics", f"Computing ratios and trends over {len(facts.series)} quarters"
        )
        progress.report(25, "peers", self._peer_message(facts))
        # The name, city and state are cased for sentences, then made literal text in the
        # markdown; the artifact keeps them as filed.
        prose_facts = facts.in_prose(md_text)
        sections = []
        step = (SECTIONS_END - SECTIONS_START) / len(SECTIONS)
        for index, section in enumerate(SECTIONS):
            progress.report(
                round(SECTIONS_START + index * step),
                section.id,
                f"Writing the {section.title.lower()} section",
            )
            text = self._writer.write(section, prose_facts)
            sections.append(
                {
                    "id": section.id,
                    "title": section.title,
                    "markdown": text,
                    "html": to_safe_html(text),
                }
            )
        progress.report(95, "save", "Saving the report")
        publication = self._archive.store(job, self._artifact(job, facts, sections))
        result = {"url": report_url(job.idrssd), "asOf": facts.quarter, "writer": self._writer.name}
        return Completion(result, publication)

    def _facts(self, idrssd: str) -> ReportFacts:
        profile = self._banks.profile(idrssd)
        if profile is None:
            raise JobFailed(BankNotFound(idrssd).message, ErrorCode.BANK_NOT_FOUND)
        if not profile.has_data:
            raise JobFailed(NO_DATA_MESSAGE, ErrorCode.NO_DATA)
        return ReportFacts.from_profile(profile)

    @staticmethod
    def _peer_message(facts: ReportFacts) -> str:
        if facts.peer_count < 2:
            return "Looking for peers of similar size"
        return f"Comparing with {facts.peer_count} peers ({facts.peer_label})"

    def _artifact(
        self, job: Job, facts: ReportFacts, sections: list[dict[str, str]]
    ) -> dict[str, Any]:
        return to_api(
            ReportDocument(
                idrssd=facts.idrssd,
                bank={
                    "name": facts.name,
                    "city": facts.city,
                    "state": facts.state,
                    "filingType": facts.filing_type or None,
                },
                as_of=facts.quarter,
                generated_at=iso(self._clock.now()),
                job_id=job.job_id,
                writer=self._writer.name,
                model=self._writer.model,
                synthetic=facts.synthetic,
                sections=sections,
                key_figures={name: facts.figures.get(name) for name in KEY_FIGURES},
                key_metrics={name: facts.metrics.get(name) for name in KEY_METRICS},
                peers={
                    "label": facts.peer_label,
                    "banks": facts.peer_count,
                    "medians": facts.peer_medians,
                },
                series=facts.series,
                notes=facts.notes,
            )
        )
