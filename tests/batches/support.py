"""Batches driven in process: the API through Chalice's test client, the queue in moto, and
the queue's consumer run as Lambda's event source mapping would run it."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from chalicelib.batches.worker import Record
from devstack.resources import create_queues
from tests.api_support import Api, api_under_test
from tests.conftest import NAMES
from tests.fakes import delivery
from tests.moto_account import Aws
from tests.real_files import quarter_zip, shipped_quarters

LATEST, PREVIOUS = shipped_quarters()[-1], shipped_quarters()[-2]


def banks_of_state(state: str, quarter: str = LATEST) -> list[str]:
    """The RSSD IDs the quarter's POR file lists in ``state``, as FFIEC publishes it."""
    with zipfile.ZipFile(quarter_zip(quarter)) as archive:
        name = next(n for n in archive.namelist() if "POR" in n)
        lines = archive.read(name).decode("latin-1").splitlines()
    column = [h.strip('"') for h in lines[0].split("\t")].index("Financial Institution State")
    rows = (line.split("\t") for line in lines[1:])
    return sorted(row[0].strip('"') for row in rows if row[column].strip('" ') == state)


@contextmanager
def batch_api(aws: Aws, **kwargs: Any) -> Iterator[Api]:
    create_queues(boto3.client("sqs", region_name="us-east-1"), NAMES)
    with api_under_test(aws, **kwargs) as api:
        yield api


def queued(api: Api) -> list[dict[str, Any]]:
    """The batch queue's messages now visible (received, not deleted)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=NAMES.batch_queue)["QueueUrl"]
    found: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                  AttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not got:
            return found
        found.extend(got)
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def records_of(messages: list[dict[str, Any]]) -> list[Record]:
    return [
        Record(m["MessageId"], m["Body"], int(m["Attributes"]["ApproximateReceiveCount"]))
        for m in messages
    ]


def drain(api: Api, batch_size: int = 4) -> list[str]:
    """Deliver every queued item in batches, as the event source mapping does; messages
    handed back are queued again. The ids handed back, all rounds."""
    handed_back: list[str] = []
    for _ in range(20):
        messages = queued(api)
        if not messages:
            return handed_back
        for start in range(0, len(messages), batch_size):
            chunk = messages[start : start + batch_size]
            again = api.runtime.batch_worker.handle(records_of(chunk), delivery(api.clock))
            handed_back.extend(again)
            requeue(api, [m for m in chunk if m["MessageId"] in again])
    raise AssertionError("the queue never emptied")


def requeue(api: Api, messages: list[dict[str, Any]]) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=NAMES.batch_queue)["QueueUrl"]
    for message in messages:
        sqs.send_message(QueueUrl=url, MessageBody=message["Body"])


def start(api: Api, body: dict[str, Any]) -> Any:
    return api.post("/api/batches", json.dumps(body))


def batch(api: Api, batch_id: str) -> dict[str, Any]:
    response = api.get(f"/api/batches/{batch_id}")
    assert response.status_code == 200, response.body
    found: dict[str, Any] = json.loads(response.body)["batch"]
    return found
