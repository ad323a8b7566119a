"""``GET /api/health``: public, cheap (one GetItem), 200 ready once the tables, the bank
data and the workers are up; 503 with ``Retry-After`` and the reason before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.banks.table import BanksTable
from tests.api_support import Api, api_under_test
from tests.fakes import counting_calls
from tests.moto_account import Aws


@pytest.fixture
def api(aws: Aws) -> Iterator[Api]:
    with api_under_test(aws) as under_test:
        yield under_test


def health(api: Api) -> tuple[int, dict[str, str], dict[str, Any]]:
    response = api.get("/api/health")
    return response.status_code, dict(response.headers), json.loads(response.body)


def test_not_ready_before_the_bank_data_is_in_then_ready(api: Api, aws: Aws) -> None:
    status, headers, body = health(api)
    assert status == 503 and body["ready"] is False and body["code"] == "no_bank_data"
    assert int(headers["Retry-After"]) > 0 and str(body["error"]).endswith(".")
    assert body["checks"] == {"tables": "up", "bankData": "none", "workers": "configured"}
    BanksTable(aws.banks_table).write_index([])  # an import's last write: the index version
    status, headers, body = health(api)
    assert status == 200 and body == {
        "ready": True,
        "checks": {"tables": "up", "bankData": "loaded", "workers": "configured"},
    }
    assert "Retry-After" not in headers and headers["Cache-Control"] == "no-store"


def test_a_missing_table_is_unavailable(api: Api, aws: Aws) -> None:
    """The tables exist before the service answers (locally, /api says "starting" until
    then): one missing later was lost, as every other route says too."""
    aws.dynamodb.delete_table(TableName=aws.names.banks_table)
    status, _, body = health(api)
    assert status == 503 and body["code"] == "unavailable"
    assert body["checks"]["tables"] == "missing"


def test_a_deployment_without_its_worker_names_is_not_ready(aws: Aws) -> None:
    BanksTable(aws.banks_table).write_index([])
    with api_under_test(aws, settings={"JOB_INVOKER": "lambda"}) as api:
        status, _, body = health(api)
    assert status == 503 and body["code"] == "no_workers"


def test_health_is_at_most_one_get_item(api: Api, aws: Aws) -> None:
    BanksTable(aws.banks_table).write_index([])
    with counting_calls(api.runtime.session) as calls:
        assert api.get("/api/health").status_code == 200
    assert calls.operations() == ["GetItem"]
