"""The emulator answers items in the JSON moto holds them in: the same bytes' meaning as
moto's own serializer writes, for every kind of attribute value."""

from __future__ import annotations

from typing import Any

from tests.devstack.patched import run_program

ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "BANK#1"}, "sk": {"S": "PROFILE"}, "n": {"N": "12.5"}, "t": {"BOOL": True},
     "z": {"NULL": True}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
     "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"M": {}}]}}}, "e": {"L": []}},
    {"pk": {"S": "BANK#2"}, "sk": {"S": "Q#20240630"}, "b": {"B": "aGVsbG8="},
     "mb": {"M": {"bin": {"B": "aGVsbG8="}}}, "bs": {"BS": ["aGVsbG8="]}},
]  # fmt: skip
# In a process of its own: the patch is process-wide, and the comparison needs moto's own
# serializer first.
PROGRAM = """
import json, sys
from moto.core.responses import get_service_model
from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from devstack.emulator import answer_items_as_stored

items = json.loads(sys.stdin.read())
model = get_service_model("dynamodb")
def answers():
    out = []
    for operation, result in (
        ("BatchGetItem", {"Responses": {"t": items}, "UnprocessedKeys": {}}),
        ("Query", {"Items": items, "Count": len(items), "ScannedCount": len(items)}),
        ("GetItem", {"Item": items[0]}),
    ):
        serializer = get_serializer_class("dynamodb", "json")(
            operation_model=model.operation_model(operation),
            value_picker=XFormedAttributePicker(),
        )
        out.append(json.loads(serializer.serialize(result)["body"]))
    return out
before = answers()
answer_items_as_stored()
print(json.dumps({"before": before, "after": answers()}))
"""


def test_items_are_answered_as_moto_would_answer_them() -> None:
    answers = run_program(PROGRAM, ITEMS)
    assert answers["after"] == answers["before"]
    assert answers["after"][2]["Item"] == ITEMS[0]  # an item's own JSON, as held


QUERIES = """
import json
import boto3
from boto3.dynamodb.conditions import Key
from moto import mock_aws
from devstack.emulator import query_one_partition

def pages(table, **kwargs):
    out, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = table.query(Limit=3, **kwargs, **extra)
        out.append(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return out

def answers(table):
    return [
        pages(table, KeyConditionExpression=Key("pk").eq("P#2")),
        pages(table, KeyConditionExpression=Key("pk").eq("P#2") & Key("sk").begins_with("Q#"),
              ScanIndexForward=False),
        pages(table, KeyConditionExpression=Key("pk").eq("P#9")),
        pages(table, KeyConditionExpression=Key("pk").eq("P#1")
              & Key("sk").between("Q#03", "Q#07")),
    ]

with mock_aws():
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("t")
    for p in range(5):
        for s in range(10):
            table.put_item(Item={"pk": f"P#{p}", "sk": f"Q#{s:02d}" if s % 3 else f"R#{s}", "v": s})
    before = answers(table)
    query_one_partition()
    after = answers(table)
print(json.dumps({"before": before, "after": after}, default=str))
"""


def test_a_query_reads_its_partition_and_answers_as_moto_would() -> None:
    answers = run_program(QUERIES)
    assert answers["after"] == answers["before"]
    assert sum(len(page) for page in answers["after"][0]) == 10  # the partition, in pages
