"""The emulator frees the copies moto makes of items on every write and query: the same
answers and tables as moto's, and no more live items than the tables hold."""

from __future__ import annotations

from tests.devstack.patched import run_program

PROGRAM = """
import gc, json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.model_instances import model_data
from moto.dynamodb.models.dynamo_type import Item
from devstack.emulator import models_tracked_weakly

KEY = {"pk": {"S": "BANK#1"}, "sk": {"S": "JOB"}}
DOCUMENT = {"M": {f"part{i}": {"M": {"n": {"N": str(i)}, "s": {"S": "x" * 20}}}
                  for i in range(50)}}

def run():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )
    dynamodb.put_item(TableName="t", Item={**KEY, "doc": DOCUMENT, "n": {"N": "0"}})
    outcomes = []
    for i in range(20):
        update = {"TableName": "t", "Key": KEY, "UpdateExpression": "SET n = :v",
                  "ExpressionAttributeValues": {":v": {"N": str(i)}}}
        refused = {**update, "ConditionExpression": "n = :never",
                   "ExpressionAttributeValues": {":v": {"N": "-1"}, ":never": {"N": "-2"}},
                   "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        transact = dynamodb.transact_write_items
        for call, request in ((dynamodb.update_item, update), (dynamodb.update_item, refused),
                              (transact, {"TransactItems": [{"Update": update}]}),
                              (transact, {"TransactItems": [{"Update": refused}]})):
            try:
                answer = call(**request)
                outcomes.append(sorted(k for k in answer if k != "ResponseMetadata"))
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
        outcomes.append(dynamodb.query(
            TableName="t", KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "BANK#1"}})["Items"][0]["n"])
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="reports")
    for i in range(5):
        s3.put_object(Bucket="reports", Key="report.json", Body=f"version {i}".encode())
    body = s3.get_object(Bucket="reports", Key="report.json")["Body"].read().decode()
    gc.collect()
    return {
        "outcomes": outcomes, "table": dynamodb.scan(TableName="t")["Items"], "body": body,
        "live items": sum(1 for o in gc.get_objects() if type(o) is Item),
        "listed items": len(list(model_data["dynamodb"]["Item"].instances_tracked)),
    }

with mock_aws():
    before = run()
models_tracked_weakly()
with mock_aws():  # its reset gave every model a fresh list: they are held weakly again
    after = run()
print(json.dumps({"before": before, "after": after}))
"""


def test_copies_of_items_are_freed_and_answers_are_moto_s() -> None:
    answers = run_program(PROGRAM)
    before, after = answers["before"], answers["after"]
    for counted in ("live items", "listed items"):
        assert before.pop(counted) > 100  # moto kept every copy of the one item
    assert after.pop("live items") <= 2  # the item, and none of its copies
    assert after.pop("listed items") == 1  # moto's own listing still shows what it holds
    assert after == before
    refusals = [outcome for outcome in after["outcomes"] if isinstance(outcome, str)]
    assert set(refusals) == {"ConditionalCheckFailedException", "TransactionCanceledException"}
    assert after["body"] == "version 4"
