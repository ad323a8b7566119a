"""The research report: no parameters; facts → findings → sections → the archive."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.banks.table import BanksTable
from chalicelib.clock import Clock
from chalicelib.job_types import JobType
from chalicelib.jobs.pipelines import Pipeline
from chalicelib.kinds.kind import JobKind, reject_unknown_fields
from chalicelib.reports.archive import ReportArchive
from chalicelib.reports.pipeline import ReportPipeline
from chalicelib.reports.sections import ReportWriter


class _WorkerSide(Protocol):
    @property
    def banks(self) -> BanksTable: ...
    @property
    def reports(self) -> ReportArchive: ...


class Wiring(Protocol):
    """What a report takes from the runtime."""

    @property
    def worker(self) -> _WorkerSide: ...
    @property
    def report_writer(self) -> ReportWriter: ...
    @property
    def clock(self) -> Clock: ...


def pipeline(runtime: Wiring) -> Pipeline:
    worker = runtime.worker
    return ReportPipeline(worker.banks, runtime.report_writer, worker.reports, runtime.clock)


def parse_report_params(body: dict[str, Any]) -> dict[str, Any]:
    """A report takes no options yet: any field is a mistake worth reporting."""
    reject_unknown_fields(body, allowed=())
    return {}


REPORT = JobKind(JobType.REPORT, parse_params=parse_report_params, pipeline=pipeline)
