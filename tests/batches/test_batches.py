"""Batches over real banks (a cut of the shipped files: Alaska's banks, and JPMorgan as one
the filter leaves out): counts exact at the end, a redelivery counted once, cancel, retry
of the failed only, a bank with an active job joined, an up-to-date bank skipped, and bad
requests answered with a sentence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.batches.errors import AdminsOnly
from chalicelib.batches.model import SHARDS, ItemState
from chalicelib.batches.service import BatchRequest, BatchService
from chalicelib.batches.store import BatchStore
from chalicelib.batches.worker import BatchWorker
from chalicelib.job_types import JobType
from chalicelib.jobs.model import Caller
from chalicelib.jobs.pipelines import PipelineRegistry
from chalicelib.runtime import Runtime, shipped_pipelines
from tests.api_support import Api
from tests.batches.support import (
    LATEST,
    PREVIOUS,
    banks_of_state,
    batch,
    batch_api,
    drain,
    queued,
    records_of,
    start,
)
from tests.fakes import FakeClock, delivery
from tests.moto_account import Aws
from tests.reports.real_banks import JPMORGAN, import_real

ALASKA = banks_of_state("AK")


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    # Through the test client, the local stage's settings: open to everyone (API_AUTH none).
    import_real(aws, [*ALASKA, JPMORGAN], quarters=[PREVIOUS, LATEST])
    with batch_api(aws, pipelines=shipped_pipelines) as api:
        yield api


def started(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = start(api, body)
    assert response.status_code == 202, response.body
    found: dict[str, Any] = json.loads(response.body)["batch"]
    return found


def test_a_states_batch_completes_with_exact_counts(api: Api) -> None:
    assert len(ALASKA) == 5
    begun = started(api, {"type": "report", "filter": {"state": "AK"}})
    assert begun["status"] == "running" and begun["quarter"] == LATEST
    assert (begun["total"], begun["queued"], begun["completed"]) == (5, 5, 0)
    assert drain(api) == []
    ended = batch(api, begun["batchId"])
    assert ended["status"] == "completed" and ended["finishedAt"] is not None
    assert {k: ended[k] for k in ("queued", "running", "completed", "failed", "skipped")} == {
        "queued": 0, "running": 0, "completed": 5, "failed": 0, "skipped": 0,
    }  # fmt: skip
    for idrssd in ALASKA:  # each bank's work is its ordinary job, shown as any other
        assert api.status(idrssd)["status"] == "completed"
    assert api.status(JPMORGAN) is None  # the filter left it out


def test_a_redelivered_item_is_not_counted_twice(api: Api) -> None:
    begun = started(api, {"type": "report", "banks": ALASKA[:2]})
    messages = queued(api)
    api.runtime.batch_worker.handle(records_of(messages), delivery(api.clock))
    again = api.runtime.batch_worker.handle(records_of(messages), delivery(api.clock))
    assert again == []
    ended = batch(api, begun["batchId"])
    assert (ended["status"], ended["completed"], ended["total"]) == ("completed", 2, 2)
    assert len(api.runtime.store.history(ALASKA[0], api.status(ALASKA[0])["type"])) == 1


def test_cancel_stops_the_items_not_started(api: Api) -> None:
    begun = started(api, {"type": "report", "filter": {"state": "AK"}})
    response = api.delete(f"/api/batches/{begun['batchId']}")
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["batch"]["status"] == "cancelled"
    drain(api)
    ended = batch(api, begun["batchId"])
    assert (ended["status"], ended["cancelled"], ended["completed"]) == ("cancelled", 5, 0)
    assert all(api.status(idrssd) is None for idrssd in ALASKA)  # no job started
    again = api.delete(f"/api/batches/{begun['batchId']}")
    assert again.status_code == 409 and "nothing to cancel" in json.loads(again.body)["error"]


def failing_once(idrssd: str) -> Any:
    """The shipped pipelines, the report of ``idrssd`` failing on its first run."""
    failed: list[str] = []

    def pipelines(runtime: Runtime) -> PipelineRegistry:
        shipped = shipped_pipelines(runtime)
        report = next(iter(shipped))
        inner = shipped[report]

        def run(job: Any, progress: Any) -> Any:
            if job.idrssd == idrssd and not failed:
                failed.append(job.job_id)
                raise RuntimeError("the model fell over")
            return inner(job, progress)

        return {**shipped, report: run}

    return pipelines


def test_retry_replays_only_the_failed(aws: Aws) -> None:
    import_real(aws, ALASKA, quarters=[LATEST])
    with batch_api(aws, pipelines=failing_once(ALASKA[1])) as api:
        begun = started(api, {"type": "report", "filter": {"state": "AK"}})
        drain(api)
        first = batch(api, begun["batchId"])
        assert (first["status"], first["completed"], first["failed"]) == ("completed", 4, 1)
        response = api.post(f"/api/batches/{begun['batchId']}/retry")
        assert response.status_code == 202, response.body
        replayed = queued(api)
        assert [json.loads(m["Body"])["idrssd"] for m in replayed] == [ALASKA[1]]
        api.runtime.batch_worker.handle(records_of(replayed), delivery(api.clock))
        ended = batch(api, begun["batchId"])
        assert (ended["status"], ended["completed"], ended["failed"]) == ("completed", 5, 0)
        nothing = api.post(f"/api/batches/{begun['batchId']}/retry")
        assert nothing.status_code == 409


def test_a_bank_with_an_active_job_is_joined(api: Api) -> None:
    person = api.post(f"/api/research/{ALASKA[0]}/generate-background")
    assert person.status_code == 202
    theirs = json.loads(person.body)["job"]["jobId"]
    begun = started(api, {"type": "report", "banks": [ALASKA[0]]})
    runtime = api.runtime
    ran: list[str] = []

    def sleep(seconds: float) -> None:  # the person's job runs on its own worker meanwhile
        if not ran:
            ran.append(str(api.deliver().result))
        api.clock.advance(seconds)

    worker = BatchWorker(BatchStore(runtime.worker.jobs_table, api.clock), runtime.jobs,
                         runtime.runner, runtime.worker.store, lambda: "template", api.clock,
                         sleep)  # fmt: skip
    assert worker.handle(records_of(queued(api)), delivery(api.clock)) == []
    assert ran == ["completed"]
    items = BatchStore(runtime.jobs_table, api.clock).items(begun["batchId"])
    assert [(i.state, i.job_id) for i in items] == [(ItemState.COMPLETED, theirs)]
    assert len(api.invoker.events) == 1  # the batch started no second job


def test_an_up_to_date_bank_is_skipped(api: Api) -> None:
    assert api.post(f"/api/research/{ALASKA[0]}/generate-background").status_code == 202
    assert str(api.deliver().result) == "completed"
    begun = started(api, {"type": "report", "banks": ALASKA[:3]})
    drain(api)
    ended = batch(api, begun["batchId"])
    assert (ended["skipped"], ended["completed"], ended["status"]) == (1, 2, "completed")


def test_batches_are_listed_newest_first(api: Api) -> None:
    first = started(api, {"type": "report", "banks": ALASKA[:1]})
    api.clock.advance(5)
    second = started(api, {"type": "report", "banks": ALASKA[1:2]})
    listed = json.loads(api.get("/api/batches?limit=1").body)
    assert [b["batchId"] for b in listed["batches"]] == [second["batchId"]]
    more = json.loads(api.get(f"/api/batches?limit=1&cursor={listed['nextCursor']}").body)
    assert [b["batchId"] for b in more["batches"]] == [first["batchId"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"type": "report", "quarter": PREVIOUS}, 409, "unknown_quarter"),
        ({"type": "report", "quarter": "2024-06-30"}, 400, "invalid_quarter"),
        ({"type": "report", "quarter": "20240615"}, 400, "invalid_quarter"),
        ({"type": "report", "filter": {"state": "WY"}}, 409, "no_banks_selected"),
        ({"type": "report", "filter": {"state": "Alaska"}}, 400, "invalid_filter"),
        ({"type": "report", "filter": {"minAssets": 10, "maxAssets": 5}}, 409, "no_banks_selected"),
        ({"type": "report", "filter": {"minAssets": "big"}}, 400, "invalid_filter"),
        ({"type": "report", "filter": {"minAssets": 2.5}}, 400, "invalid_filter"),
        ({"type": "report", "filter": "AK"}, 400, "invalid_filter"),
        ({"type": "report", "filter": None}, 400, "invalid_filter"),
        ({"type": "report", "banks": None}, 400, "invalid_banks"),
        ({"type": "report", "quarter": None}, 400, "invalid_quarter"),
        ({"type": "report", "filter": {"city": "Juneau"}}, 400, "unknown_field"),
        ({"type": "report", "banks": ["0123"]}, 400, "invalid_banks"),
        ({"type": "report", "banks": []}, 400, "invalid_banks"),
        ({"type": "report", "banks": ["99999999"]}, 409, "banks_without_data"),
        ({"type": "report", "banks": ["1"] * 251}, 400, "invalid_banks"),
        ({"type": "report", "banks": [ALASKA[0]], "filter": {"state": "AK"}}, 400, "invalid_batch"),
        ({"type": "podcast"}, 400, "invalid_type"),
        ({}, 400, "invalid_type"),
        ({"type": "report", "size": 3}, 400, "unknown_field"),
    ],
)
def test_a_bad_batch_request_says_what_to_change(
    api: Api, body: dict[str, Any], status: int, code: str
) -> None:
    response = start(api, body)
    assert response.status_code == status, response.body
    answer = json.loads(response.body)
    assert answer["code"] == code and answer["error"].endswith(".")
    assert queued(api) == [] and json.loads(api.get("/api/batches").body)["batches"] == []


@pytest.mark.parametrize(
    "path", ["/api/batches/not-a-batch", "/api/batches/0193a1b2-0000-7000-8000-00000000000Z"]
)
def test_a_bad_batch_id_is_a_400_and_an_unknown_one_a_404(api: Api, path: str) -> None:
    assert api.get(path).status_code == 400
    unknown = api.get("/api/batches/0193a1b2-0000-7000-8000-000000000000")
    assert unknown.status_code == 404 and json.loads(unknown.body)["code"] == "batch_not_found"


def test_outside_the_local_stage_only_admins_run_batches(aws: Aws) -> None:
    """The local stage is open (its API_AUTH is none); a deployed one asks for an admin."""
    service = BatchService(BatchStore(aws.jobs_table, FakeClock()), RefusedBanks(),
                           RefusedQueue(), FakeClock(), open_stage=False)  # fmt: skip
    with pytest.raises(AdminsOnly, match="Only an administrator"):
        service.start(BatchRequest(JobType.REPORT), Caller("someone"))
    with pytest.raises(AdminsOnly):
        service.retry("0193a1b2-0000-7000-8000-000000000000", Caller("someone"))
    assert aws.jobs_table.scan()["Items"] == []


class RefusedBanks:
    def every_match(self, search: Any) -> list[dict[str, Any]]:
        raise AssertionError("no bank is chosen for a caller who may not start a batch")

    def newest(self) -> dict[str, str]:
        raise AssertionError("no quarter is looked up for a caller who may not start a batch")


class RefusedQueue:
    def send(self, messages: Any) -> None:
        raise AssertionError("nothing is queued for a caller who may not start a batch")


def test_reading_a_batch_is_two_calls_and_at_most_sixteen_counters(api: Api) -> None:
    """Its record and its counters (16 at most), whatever its number of banks."""
    begun = started(api, {"type": "report", "filter": {"state": "AK"}})
    calls: list[tuple[str, int]] = []

    def seen(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, len(parsed.get("Items", []))))

    events = api.runtime.worker.jobs_table.meta.client.meta.events
    events.register("after-call.dynamodb", seen)
    try:
        response = api.get(f"/api/batches/{begun['batchId']}")
    finally:
        events.unregister("after-call.dynamodb", seen)
    assert response.status_code == 200
    assert [name for name, _ in calls] == ["GetItem", "Query"]
    assert calls[1][1] <= SHARDS
