"""The emulator's queues count their messages in one pass: the same counts, the same
messages received, as moto's own."""

from __future__ import annotations

from tests.devstack.patched import run_program

PROGRAM = """
import json
import boto3
from moto import mock_aws
from devstack.emulator import queues_count_in_one_pass

COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed"]

def run():
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=str(n), DelaySeconds=60 if n == 5 else 0)
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=30)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=COUNTS)["Attributes"]
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
    return {"taken": len(taken["Messages"]), "counts": counts,
            "rest": sorted(m["Body"] for m in rest["Messages"])}

with mock_aws():
    before = run()
queues_count_in_one_pass()
with mock_aws():
    after = run()
print(json.dumps({"before": before, "after": after}))
"""


def test_a_queue_counts_and_answers_as_moto_would() -> None:
    answers = run_program(PROGRAM)
    assert answers["after"] == answers["before"]
    assert answers["after"]["counts"] == {
        "ApproximateNumberOfMessages": "3",
        "ApproximateNumberOfMessagesNotVisible": "2",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    assert len(answers["after"]["rest"]) == 3  # the delayed one is not received
