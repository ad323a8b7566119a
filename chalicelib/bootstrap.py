"""The explicit wiring: ``bootstrap`` builds, once per process at cold start, the typed
``Services`` that ``app.py``'s routes and workers call.

The objects come from the process's ``Runtime`` (``chalicelib/runtime.py``), which builds
each of them once and knows the two sides' AWS clients; those clients are made when a
service first calls them, never at import and never merely by being wired here, so that an
API process makes only the API's clients and a worker only the workers'.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib import runtime
from chalicelib.api.auth import auth_mode, request_caller
from chalicelib.banks.catalog import BankCatalog
from chalicelib.batches.service import BatchService
from chalicelib.batches.worker import BatchWorker, Record
from chalicelib.clock import Clock
from chalicelib.config import Settings
from chalicelib.health import Health
from chalicelib.health import check as check_health
from chalicelib.jobs.model import Caller, PublicationSource
from chalicelib.jobs.service import JobService
from chalicelib.jobs.store import JobStore
from chalicelib.jobs.worker import Delivery, JobRunner, Outcome
from chalicelib.podcasts.archive import PodcastArchive
from chalicelib.reports.archive import ReportArchive
from chalicelib.runtime import Runtime


@dataclass(frozen=True)
class Services:
    """What the routes and the workers call, each by its type."""

    settings: Settings
    clock: Clock
    caller: Callable[[Mapping[str, Any]], Caller]  # who sent a request (``api/auth.py``)
    jobs: JobService  # starts, polls, cancels, the overview (the API's clients)
    reports: ReportArchive
    podcasts: PodcastArchive
    catalog: BankCatalog  # the Banks table: search and profiles
    publications: PublicationSource  # which finished research a bank has
    health: Callable[[], Health]
    runner: JobRunner  # a worker's run of one delivery (the workers' patient clients)
    worker_store: JobStore  # the failure queue's consumer writes with the workers' clients
    batches: BatchService  # start, read, cancel, retry a batch (``chalicelib/batches``)
    batch_worker: BatchWorker  # the batch queue's consumer

    def work(self, event: Any, context: Any) -> Outcome:
        """The worker's entry: one delivery of ``event``, timed by its Lambda ``context``
        (``None`` in process). Raises ``Redeliver`` when Lambda should deliver it again."""
        timeout_ms = self.settings.worker_timeout_seconds * 1000
        return self.runner.handle(event, Delivery.from_context(context, self.clock, timeout_ms))

    def work_batch(self, records: list[Record], context: Any) -> list[str]:
        """The batch queue's consumer: the records' banks, each its job run here; the
        message ids to hand back (a partial batch failure)."""
        timeout_ms = self.settings.worker_timeout_seconds * 1000
        delivery = Delivery.from_context(context, self.clock, timeout_ms)
        return self.batch_worker.handle(records, delivery)


def bootstrap(wiring: Runtime) -> Services:
    """The services, from ``wiring``'s objects (each built once, on the first call)."""
    api = wiring.api
    return Services(
        settings=wiring.settings,
        clock=wiring.clock,
        caller=functools.partial(request_caller, settings=wiring.settings),
        jobs=wiring.jobs,
        reports=api.reports,
        podcasts=api.podcasts,
        catalog=api.catalog,
        publications=api.store.publications,
        health=functools.partial(check_health, api.banks, wiring.settings),
        runner=wiring.runner,
        worker_store=wiring.worker.store,
        batches=BatchService(
            wiring.batch_store,
            api.search,
            wiring.batch_queue,
            wiring.clock,
            open_stage=auth_mode() == "none",  # the local stage: nobody signs in
        ),
        batch_worker=wiring.batch_worker,
    )


_built: tuple[Runtime, Services] | None = None
_lock = threading.Lock()


def services() -> Services:
    """The process's services: bootstrapped at the first call (the cold start), again only
    when a test installs another runtime (``runtime.install``)."""
    global _built
    wiring = runtime.current()
    with _lock:
        if _built is None or _built[0] is not wiring:
            _built = (wiring, bootstrap(wiring))
        return _built[1]


def install(wired: Services | None) -> None:
    """Replace the process's services (tests: what API Gateway would vouch for, say);
    ``None`` bootstraps them again at the next call."""
    global _built
    with _lock:
        _built = None if wired is None else (runtime.current(), wired)
