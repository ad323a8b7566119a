"""``GET /api/batches/{id}/failures``: the failed banks with their jobs' sentences, none
once a retry has replayed them; a bad id is a 400, an unknown one a 404."""

from __future__ import annotations

import json

import pytest

from chalicelib.job_types import JobType
from chalicelib.runtime import shipped_pipelines
from tests.batches.support import LATEST, banks_of_state, batch_api, drain, queued, records_of
from tests.batches.test_batches import failing_once, started
from tests.fakes import delivery
from tests.moto_account import Aws
from tests.reports.real_banks import import_real

ALASKA = banks_of_state("AK")


def test_a_batchs_failures_carry_each_banks_sentence(aws: Aws) -> None:
    import_real(aws, ALASKA, quarters=[LATEST])
    with batch_api(aws, pipelines=failing_once(ALASKA[1])) as api:
        begun = started(api, {"type": "report", "filter": {"state": "AK"}})
        drain(api)
        response = api.get(f"/api/batches/{begun['batchId']}/failures")
        assert response.status_code == 200, response.body
        [failure] = json.loads(response.body)["failures"]
        assert failure["idrssd"] == ALASKA[1] and failure["jobId"]
        assert failure["errorCode"] and failure["message"].endswith(".")
        job = api.runtime.store.get(ALASKA[1], JobType.REPORT)
        assert job is not None and job.bank_name  # the name the page's link shows
        assert failure["bankName"] == job.bank_name
        api.post(f"/api/batches/{begun['batchId']}/retry")
        api.runtime.batch_worker.handle(records_of(queued(api)), delivery(api.clock))
        after = api.get(f"/api/batches/{begun['batchId']}/failures")
        assert json.loads(after.body) == {"failures": []}


@pytest.mark.parametrize(
    ("batch_id", "status", "code"),
    [
        ("not-a-batch", 400, None),
        ("0193a1b2-0000-7000-8000-00000000000Z", 400, None),
        ("0193a1b2-0000-7000-8000-000000000000", 404, "batch_not_found"),
    ],
)
def test_failures_of_a_bad_or_unknown_batch_are_refused_with_a_sentence(
    aws: Aws, batch_id: str, status: int, code: str | None
) -> None:
    with batch_api(aws, pipelines=shipped_pipelines) as api:
        response = api.get(f"/api/batches/{batch_id}/failures")
        assert response.status_code == status, response.body
        answer = json.loads(response.body)
        assert answer["error"].endswith(".") and (code is None or answer["code"] == code)
