"""Why a job failed, in words: the one table from ``errorCode`` to the sentence people read.

The table is ``failures.json`` beside this module, so that it is data any reader can take:
the job core writes its sentences into the job's ``error`` (``rules``, ``worker``,
``service``), the page is served the same table as a module
(``chalicelib/web/routes.py``: ``assets/failures.js``), and the CLI prints the job's
``error``. A code whose failing step words its own, more precise sentence (``own``: the
writer's, the voices'…) keeps that one in ``error``; the table's stands in where it is
missing. Every code the service can give a job has an entry (tests/jobs/test_failure_words.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.jobs.model import JobType

TABLE = Path(__file__).with_name("failures.json")


@dataclass(frozen=True)
class Failure:
    """One code's words: ``sentence`` names the job's kind as ``{noun}``; ``cause`` is what
    it says happened; ``own``: the failing step's own sentence is preferred."""

    code: str
    cause: str
    sentence: str
    own: bool = False
    variants: Mapping[str, str] = field(default_factory=dict)  # by_admin (cancelled)

    def words(self, job_type: JobType | str, variant: str | None = None) -> str:
        text = self.sentence if variant is None else self.variants[variant]
        return text.format(noun=str(job_type))


@cache
def table() -> dict[str, Failure]:
    codes = json.loads(TABLE.read_text(encoding="utf-8"))["codes"]
    return {code: _failure(code, entry) for code, entry in codes.items()}


def _failure(code: str, entry: Mapping[str, Any]) -> Failure:
    known = {"cause", "sentence", "own"}
    variants = {name: str(text) for name, text in entry.items() if name not in known}
    return Failure(code, entry["cause"], entry["sentence"], bool(entry.get("own")), variants)


def sentence(code: str, job_type: JobType | str, variant: str | None = None) -> str:
    """What people read about a job of ``job_type`` that failed with ``code``."""
    return table()[code].words(job_type, variant)


def by_type(code: str, variant: str | None = None) -> dict[JobType, str]:
    """The sentence of ``code`` for each kind of job."""
    return {job_type: sentence(code, job_type, variant) for job_type in JobType}


def for_the_page() -> dict[str, dict[str, Any]]:
    """What the page is served: each code's sentence (``{noun}`` left in) and ``own``."""
    return {code: {"sentence": f.sentence, "own": f.own} for code, f in table().items()}
