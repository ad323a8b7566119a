"""The one table of failure words (chalicelib/jobs/failures.json): every code a job can end
with has its own sentence, each sentence says the cause it stands for and no other, and the
API, the page and the CLI read the same sentences."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator

import pytest
from chalice.test import Client

import chalicelib
from app import app
from chalicelib.jobs import failures, rules, service, worker
from chalicelib.jobs.errors import JobFailed
from chalicelib.jobs.model import ErrorCode, JobType
from chalicelib.jobs.pipelines import NOT_AVAILABLE
from chalicelib.web.routes import STATIC
from tests.test_error_words import for_people

TABLE = failures.table()

# What a sentence claims happened, by cause: a sentence must make its own cause's claim and
# none of the others' (a failure that was not about load never says the service was busy).
CLAIMS = {
    "cancelled": r"\bcancell?ed\b",
    "went_silent": r"stopped making progress",
    "never_started": r"could not be started",
    "failed_every_try": r"each time it was tried",
    "service_busy": r"\bbusy\b",
    "our_fault": r"went wrong on our side",
    "not_offered": r"not available in this version",
    "no_data": r"no financial data",
    "unknown_bank": r"not known to the service",
    "needs_report": r"research report, and there is none",
    "bad_choices": r"choices that cannot be used",
    "writer_failed": r"writer could not",
    "script_failed": r"script could not",
    "recording_failed": r"could not be recorded",
    "step_failed": r"a step of the",
}


def job_failed_codes() -> Iterator[str]:
    """The code of ``JobFailed`` and of every subclass the service defines."""
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    pending = [JobFailed]
    while pending:
        cls = pending.pop()
        yield cls.code
        pending += cls.__subclasses__()


EMITTED = sorted({*(str(code) for code in ErrorCode), *job_failed_codes()})


@pytest.mark.parametrize("code", EMITTED)
def test_every_code_a_job_can_end_with_has_its_own_words(code: str) -> None:
    assert code in TABLE, f"{code} has no entry in failures.json"


def test_no_two_codes_share_a_sentence_or_a_cause() -> None:
    sentences = [entry.sentence for entry in TABLE.values()]
    causes = [entry.cause for entry in TABLE.values()]
    assert len(set(sentences)) == len(sentences) and len(set(causes)) == len(causes)
    assert set(causes) == set(CLAIMS)


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_sentence_says_its_own_cause_and_no_other(code: str) -> None:
    entry = TABLE[code]
    for job_type in JobType:
        words = entry.words(job_type)
        assert for_people(words), words
        assert "{" not in words and ("{noun}" not in entry.sentence or str(job_type) in words)
        claimed = {cause for cause, claim in CLAIMS.items() if re.search(claim, words, re.I)}
        assert claimed == {entry.cause}, f"{code}: {words!r} claims {claimed}"


def test_retries_exhausted_is_not_told_as_a_busy_service() -> None:
    """The fault once seen: a run that raised three times read as 'the service is busy'."""
    words = failures.sentence(ErrorCode.RETRIES_EXHAUSTED, JobType.REPORT)
    assert "busy" not in words and "each time it was tried" in words


def test_the_job_core_words_failures_from_the_table() -> None:
    for job_type in JobType:
        assert rules.WORKER_LOST[job_type] == failures.sentence("worker_lost", job_type)
        assert rules.NOT_STARTED[job_type] == failures.sentence("not_started", job_type)
        assert rules.RETRIES_EXHAUSTED[job_type] == failures.sentence("retries_exhausted", job_type)
        assert rules.BUSY[job_type] == failures.sentence("busy", job_type)
        assert rules.CANCELLED[job_type] == failures.sentence("cancelled", job_type)
        assert worker.UNEXPECTED[job_type] == failures.sentence("internal_error", job_type)
        assert NOT_AVAILABLE[job_type] == failures.sentence("unavailable", job_type)
    assert service.GAVE_UP["RetriesExhausted"] == (rules.RETRIES_EXHAUSTED, "retries_exhausted")


def test_an_administrators_cancellation_says_so() -> None:
    by_admin = failures.sentence("cancelled", JobType.REPORT, "by_admin")
    assert by_admin == "Cancelled by an administrator." and for_people(by_admin)


def test_the_page_is_served_the_same_table() -> None:
    with Client(app) as client:
        module = client.http.get("/assets/failures.js").body.decode()
    served = json.loads(module.split("export const FAILURES = ", 1)[1].rstrip().rstrip(";"))
    assert served == failures.for_the_page()
    assert set(served) == set(TABLE)


def test_the_page_has_no_failure_words_of_its_own() -> None:
    """words.js takes every failure's sentence from the served table, never by code."""
    words_js = (STATIC / "words.js").read_text(encoding="utf-8")
    assert 'from "./failures.js"' in words_js
    codes = "|".join(re.escape(code) for code in TABLE)
    assert re.search(rf'case "({codes})"', words_js) is None
    assert "because the service is busy" not in words_js
