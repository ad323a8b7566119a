"""The Banks table's batch reads and writes under partial answers: what DynamoDB leaves
unprocessed is asked or sent again until every key is read and every item lands, and a
batch that never gets through fails as throttling does, having said how much landed."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.banks import table as banks_table
from chalicelib.banks.table import BanksTable, ParallelWriter
from tests.faults import FaultInjector
from tests.moto_account import Aws

ITEMS = 260  # three BatchGetItem calls, eleven BatchWriteItem calls


def _item(number: int) -> dict[str, Any]:
    return {"pk": f"BANK#{number}", "sk": "RECENT", "quarters": "{}", "n": number}


def _keys(count: int) -> list[dict[str, str]]:
    return [{"pk": f"BANK#{number}", "sk": "RECENT"} for number in range(count)]


def _write(aws: Aws, count: int = ITEMS) -> None:
    with aws.banks_table.batch_writer() as batch:
        for number in range(count):
            batch.put_item(Item=_item(number))


def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(banks_table, "unprocessed_backoff", lambda _round: 0.0)


def test_a_read_of_several_batches_returns_every_item_once_though_keys_were_left(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_backoff(monkeypatch)
    _write(aws)
    faults = FaultInjector().attach(aws.banks_table.meta.client)
    rule = faults.leave_unprocessed("BatchGetItem", times=4)
    found = BanksTable(aws.banks_table)._batch_get(_keys(ITEMS))
    assert rule.fired == 4
    assert sorted(int(item["n"]) for item in found) == list(range(ITEMS))


def test_a_read_that_is_never_served_whole_fails_as_throttling(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_backoff(monkeypatch)
    _write(aws, 10)
    FaultInjector().attach(aws.banks_table.meta.client).leave_unprocessed(
        "BatchGetItem", times=1000, keep=1
    )
    with pytest.raises(ClientError) as raised:
        BanksTable(aws.banks_table)._batch_get(_keys(10))
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_absent_keys_are_left_out_of_a_read(aws: Aws) -> None:
    _write(aws, 3)
    found = BanksTable(aws.banks_table)._batch_get(_keys(150))
    assert sorted(int(item["n"]) for item in found) == [0, 1, 2]


def test_writes_left_unprocessed_are_sent_again_until_every_item_lands(aws: Aws) -> None:
    client = aws.banks_table.meta.client
    rule = FaultInjector().attach(client).leave_unprocessed("BatchWriteItem", times=6)
    slept: list[float] = []
    writer = ParallelWriter(client, aws.banks_table.name, sleep=slept.append)
    for number in range(ITEMS):
        writer.put(_item(number))
    writer.close()
    assert rule.fired == 6 and writer.landed == ITEMS
    assert slept[0] == banks_table.unprocessed_backoff(1)  # the first resend waits the least
    stored = BanksTable(aws.banks_table)._batch_get(_keys(ITEMS))
    assert sorted(int(item["n"]) for item in stored) == list(range(ITEMS))


def test_writes_that_never_get_through_fail_as_throttling_and_say_what_landed(
    aws: Aws,
) -> None:
    client = aws.banks_table.meta.client
    FaultInjector().attach(client).leave_unprocessed("BatchWriteItem", times=1000, keep=1)
    writer = ParallelWriter(client, aws.banks_table.name, threads=1, sleep=lambda _: None)
    for number in range(25):
        writer.put(_item(number))
    with pytest.raises(ClientError) as raised:
        writer.close()
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    # Each round lands one item; after eight rounds the writer gives up.
    assert writer.landed == banks_table._BATCH_ROUNDS
    stored = BanksTable(aws.banks_table)._batch_get(_keys(25))
    assert len(stored) == writer.landed
