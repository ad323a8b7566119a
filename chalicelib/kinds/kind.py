"""What declares a kind of job: its name, its parameters, its pipeline, its prerequisite.

The job core runs any kind the same way; a kind's module (``report``, ``podcast``) gives it
what differs, and ``chalicelib/kinds/__init__.py`` registers it. Its worker's names follow
from its name (``chalicelib/job_types.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput, excerpt
from chalicelib.job_types import JobType, worker_function_setting, worker_name
from chalicelib.jobs.pipelines import Pipeline
from chalicelib.jobs.service import Prerequisite

ParamsParser = Callable[[dict[str, Any]], dict[str, Any]]
"""A start's JSON body to the job's ``params``; raises ``InvalidInput`` with a sentence."""


@dataclass(frozen=True)
class JobKind:
    """One kind of job. ``pipeline`` and ``prerequisite`` build, from the runtime
    (``chalicelib/runtime.py``), what does the work and what a start needs first; each kind's
    module says in a ``Protocol`` what it takes from the runtime."""

    type: JobType
    parse_params: ParamsParser
    pipeline: Callable[[Any], Pipeline]
    prerequisite: Callable[[Any], Prerequisite] | None = None

    @property
    def worker(self) -> str:
        return worker_name(self.type)

    @property
    def worker_function_setting(self) -> str:
        return worker_function_setting(self.type)


def reject_unknown_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse a start's body that holds a field the kind does not take, naming it."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        accepted = ", ".join(f'"{name}"' for name in allowed) or "no fields"
        raise InvalidInput(
            f"Unknown field '{excerpt(unknown[0])}' in the request body: this request accepts "
            f"{accepted}.",
            "unknown_field",
        )
