"""The emulator's transactions save and put back the items they name, not whole tables: the
same writes, the same refusals and the same tables afterwards as moto's own."""

from __future__ import annotations

from tests.devstack.patched import run_program

# In a process of its own: the patch is process-wide, and the comparison needs moto's own
# transactions first.
PROGRAM = """
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from devstack.emulator import transactions_undo_their_items

S = lambda v: {"S": v}
N = lambda v: {"N": str(v)}

def put(table, item, condition=None):
    op = {"TableName": table, "Item": item}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}

def update(table, key, expression, values, condition=None, old=False):
    op = {"TableName": table, "Key": key, "UpdateExpression": expression,
          "ExpressionAttributeValues": values}
    if condition:
        op["ConditionExpression"] = condition
    if old:
        op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"Update": op}

JOB = {"pk": S("BANK#1"), "sk": S("JOB")}
RUN = {"id": S("run-1")}
TRANSACTIONS = [
    # applied whole
    [put("t", {**JOB, "phase": S("queued"), "n": N(0)}), put("h", {**RUN, "v": N(1)})],
    [update("t", JOB, "SET phase = :r", {":r": S("running"), ":q": S("queued")}, "phase = :q"),
     {"Delete": {"TableName": "h", "Key": RUN}},
     put("t", {"pk": S("BANK#1"), "sk": S("PUB#1"), "doc": S("x")})],
    # refused by a later condition: the earlier operations' items are put back
    [update("t", JOB, "SET n = n + :one", {":one": N(1)}),
     put("h", {**RUN, "v": N(2)}),
     put("t", {"pk": S("BANK#2"), "sk": S("JOB")}),
     update("t", {"pk": S("BANK#1"), "sk": S("PUB#1")}, "SET doc = :y",
            {":y": S("y"), ":z": S("z")}, "doc = :z", old=True)],
    # refused: one item named twice
    [put("h", {**RUN, "v": N(3)}), put("h", {**RUN, "v": N(4)})],
    # refused: an update that cannot apply, after one that can
    [update("t", JOB, "SET n = n + :one", {":one": N(1)}),
     update("t", {"pk": S("BANK#1"), "sk": S("PUB#1")}, "SET doc = doc + :one", {":one": N(1)})],
    # refused: a key without its range
    [put("h", {**RUN, "v": N(5)}), {"Delete": {"TableName": "t", "Key": {"pk": S("BANK#1")}}}],
    # applied after the refusals
    [update("t", JOB, "SET n = n + :one", {":one": N(1)}), put("h", {**RUN, "v": N(6)})],
]

def run():
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )
    client.create_table(
        TableName="h", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    table = backend.tables["t"]
    outcomes = []
    for items in TRANSACTIONS:
        try:
            client.transact_write_items(TransactItems=items)
            outcomes.append("applied")
        except ClientError as error:
            answer = error.response
            outcomes.append([answer["Error"]["Code"], answer.get("CancellationReasons")])
    tables = {name: sorted(client.scan(TableName=name)["Items"], key=json.dumps)
              for name in ("t", "h")}
    return {"outcomes": outcomes, "tables": tables, "kept": backend.tables["t"] is table}

with mock_aws():
    before = run()
transactions_undo_their_items()
with mock_aws():
    after = run()
print(json.dumps({"before": before, "after": after}))
"""


def test_transactions_answer_and_leave_the_tables_as_moto_would() -> None:
    answers = run_program(PROGRAM)
    assert answers["before"].pop("kept") is False  # moto put a copy of the table back
    assert answers["after"].pop("kept") is True  # the table itself, its items put back
    assert answers["after"] == answers["before"]
    outcomes, tables = answers["after"]["outcomes"], answers["after"]["tables"]
    assert outcomes[0] == outcomes[1] == outcomes[-1] == "applied"
    assert all(outcome != "applied" for outcome in outcomes[2:-1])  # each refusal is tried
    job = next(item for item in tables["t"] if item["sk"] == {"S": "JOB"})
    assert job["n"] == {"N": "1"}  # the last transaction's increment, none of the refused ones
    assert tables["h"] == [{"id": {"S": "run-1"}, "v": {"N": "6"}}]
