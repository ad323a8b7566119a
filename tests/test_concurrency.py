"""Many users at once, with real threads: single flight per bank, independence across banks."""

from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.bootstrap import bootstrap
from chalicelib.jobs.invokers import ThreadInvoker
from chalicelib.jobs.model import Job, JobType, Status
from chalicelib.jobs.progress import ProgressReporter
from chalicelib.runtime import Runtime
from tests.api_support import api_under_test
from tests.fakes import put_bank
from tests.moto_account import Aws

BANKS = [str(9_900_001 + index) for index in range(20)]


class RecordingPipeline:
    """Works through stages for its bank; the result names the bank, so mix-ups show."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, job: Job, progress: ProgressReporter) -> dict[str, Any]:
        with self._lock:
            self.runs.append(job.job_id)
        self.release.wait(10)
        for value, stage in ((20, "load"), (50, "analyze"), (80, "write")):
            progress.report(value, stage, f"{stage} for {job.idrssd}")
        return {"url": f"/api/research/{job.idrssd}/report", "jobId": job.job_id}


def thread_invoker(runtime: Runtime) -> ThreadInvoker:
    return ThreadInvoker(lambda payload: bootstrap(runtime).work(payload, None), max_workers=4)


def test_twenty_banks_started_at_once_complete_independently(aws: Aws) -> None:
    for bank in BANKS:
        put_bank(aws.banks_table, bank)
    pipeline = RecordingPipeline()
    with api_under_test(
        aws, invoker=thread_invoker, pipelines=lambda _: {JobType.REPORT: pipeline}
    ) as api:
        service = api.runtime.jobs
        barrier = threading.Barrier(len(BANKS))
        started: dict[str, str] = {}
        lock = threading.Lock()

        def start(bank: str) -> None:
            barrier.wait()
            outcome = service.start(bank, JobType.REPORT, {})
            assert outcome.created
            with lock:
                started[bank] = outcome.job.job_id

        threads = [threading.Thread(target=start, args=(bank,)) for bank in BANKS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(started.values())) == len(BANKS)

        pipeline.release.set()
        invoker = api.runtime.invoker
        assert isinstance(invoker, ThreadInvoker)
        invoker.wait_idle(timeout=30)

        assert sorted(pipeline.runs) == sorted(started.values())  # each job ran exactly once
        for bank in BANKS:
            job = json.loads(api.get(f"/api/research/{bank}/job-status?type=report").body)["job"]
            assert job["status"] == str(Status.COMPLETED) and job["progress"] == 100
            assert job["jobId"] == started[bank]
            assert job["result"] == {"url": f"/api/research/{bank}/report", "jobId": started[bank]}


def test_fifty_users_starting_one_bank_share_one_job_that_runs_once(aws: Aws) -> None:
    put_bank(aws.banks_table, BANKS[0])
    pipeline = RecordingPipeline()  # held until every user has started, so none comes late
    with api_under_test(
        aws, invoker=thread_invoker, pipelines=lambda _: {JobType.REPORT: pipeline}
    ) as api:
        service = api.runtime.jobs
        barrier = threading.Barrier(50)
        outcomes: list[tuple[str, bool]] = []
        lock = threading.Lock()

        def start() -> None:
            barrier.wait()
            outcome = service.start(BANKS[0], JobType.REPORT, {})
            with lock:
                outcomes.append((outcome.job.job_id, outcome.created))

        threads = [threading.Thread(target=start) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pipeline.release.set()
        invoker = api.runtime.invoker
        assert isinstance(invoker, ThreadInvoker)
        invoker.wait_idle(timeout=30)
        assert len({job_id for job_id, _ in outcomes}) == 1
        assert sum(created for _, created in outcomes) == 1
        assert len(pipeline.runs) == 1
