"""Whether the service is ready for people: its tables, its bank data and its workers.

``GET /api/health`` answers it for load balancers, scripts and the page, cheaply: one
``GetItem`` (the Banks table's search-index version, which an import writes last, so that
it exists only once a whole import of bank data is in) and the settings. Not ready is not
an error of the request: the route answers 503 with ``Retry-After`` and says what is
missing. Locally the stack answers 503 ``starting`` on every ``/api`` route until it has
loaded its data and started its workers (``devstack/chalice_local.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.aws.policy import is_missing_resource
from chalicelib.banks.table import BanksTable
from chalicelib.config import Settings
from chalicelib.errors import UNAVAILABLE_MESSAGE
from chalicelib.job_types import JobType

STARTING = "The service is starting. Please try again in a moment."
NO_BANK_DATA = "No bank data has been loaded yet, so there is nothing to research."
NO_WORKERS = "The service is not set up to run reports and podcasts yet."


@dataclass(frozen=True)
class Health:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)
    code: str | None = None  # why not ready
    error: str | None = None  # the same, for people

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ready": self.ready, "checks": self.checks}
        if not self.ready:
            body |= {"code": self.code, "error": self.error}
        return body


def check(banks: BanksTable, settings: Settings) -> Health:
    """Tables, data and workers; a transient failure of the read is raised (503 busy)."""
    workers = "configured" if _workers_configured(settings) else "missing"
    try:
        version = banks.index_version()
    except Exception as exc:
        if not is_missing_resource(exc):
            raise
        # The tables are made before the service answers: missing ones were lost.
        checks = {"tables": "missing", "bankData": "unknown", "workers": workers}
        return Health(False, checks, "unavailable", UNAVAILABLE_MESSAGE)
    checks = {"tables": "up", "bankData": "loaded" if version else "none", "workers": workers}
    if version is None:
        return Health(False, checks, "no_bank_data", NO_BANK_DATA)
    if workers != "configured":
        return Health(False, checks, "no_workers", NO_WORKERS)
    return Health(True, checks)


def _workers_configured(settings: Settings) -> bool:
    if settings.invoker == "thread":
        return True
    return all(settings.worker_function_names.get(job_type) for job_type in JobType)
