"""Create the tables, bucket and queue that ``infra/resources.json`` declares.

The local stack and the tests build their AWS resources from the same CloudFormation
definitions that a deployment uses, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INFRA_TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"


@dataclass(frozen=True)
class ResourceNames:
    """Physical names for the template's logical resources."""

    jobs_table: str = "bank-research-jobs"
    banks_table: str = "bank-research-banks"
    artifacts_bucket: str = "bank-research-artifacts"
    failed_events_queue: str = "bank-research-failed-worker-events"
    batch_queue: str = "bank-research-batch-items"
    batch_dead_letters: str = "bank-research-batch-dead-letters"

    def as_env(self) -> dict[str, str]:
        """The environment variables through which the app finds these resources."""
        return {
            "JOBS_TABLE": self.jobs_table,
            "BANKS_TABLE": self.banks_table,
            "ARTIFACTS_BUCKET": self.artifacts_bucket,
            "FAILED_EVENTS_QUEUE": self.failed_events_queue,
            "BATCH_QUEUE": self.batch_queue,
        }

    def table_for(self, logical_id: str) -> str:
        return {"JobsTable": self.jobs_table, "BanksTable": self.banks_table}[logical_id]

    def queues(self) -> dict[str, str]:
        """Queue names by the template's logical id."""
        return {
            "FailedWorkerEvents": self.failed_events_queue,
            "BatchItemQueue": self.batch_queue,
            "BatchItemDeadLetters": self.batch_dead_letters,
        }


def load_template(path: Path = INFRA_TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        template: dict[str, Any] = json.load(handle)
    return template


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def create_table_kwargs(properties: dict[str, Any], table_name: str) -> dict[str, Any]:
    """Translate a CloudFormation ``AWS::DynamoDB::Table`` into ``CreateTable`` arguments."""
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_kind in properties:
            kwargs[index_kind] = properties[index_kind]
    return kwargs


def create_queue_kwargs(
    properties: dict[str, Any], queue_name: str, arns: dict[str, str] | None = None
) -> dict[str, Any]:
    """Translate a CloudFormation ``AWS::SQS::Queue`` into ``CreateQueue`` arguments;
    ``arns``: the queues already made, by logical id, for a ``RedrivePolicy`` to name."""
    attributes = {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in properties.items()
        if name not in ("QueueName", "Tags") and not isinstance(value, dict | list)
    }
    redrive = properties.get("RedrivePolicy")
    if redrive is not None:
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": (arns or {})[target],
             "maxReceiveCount": int(redrive["maxReceiveCount"])}
        )  # fmt: skip
    return {"QueueName": queue_name, "Attributes": attributes}


def create_queues(
    sqs_client: Any, names: ResourceNames, template: dict[str, Any] | None = None
) -> dict[str, str]:
    """Create every queue the template declares; their URLs by name."""
    template = template or load_template()
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    queues = resources_of_type(template, "AWS::SQS::Queue")
    # A dead-letter queue before the queue whose redrive policy names it.
    for logical_id, properties in sorted(queues.items(), key=lambda q: "RedrivePolicy" in q[1]):
        kwargs = create_queue_kwargs(properties, names.queues()[logical_id], arns)
        url = sqs_client.create_queue(**kwargs)["QueueUrl"]
        urls[kwargs["QueueName"]] = url
        attributes = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arns[logical_id] = attributes["Attributes"]["QueueArn"]
    return urls


def create_all(
    dynamodb_client: Any,
    s3_client: Any,
    names: ResourceNames,
    template: dict[str, Any] | None = None,
    sqs_client: Any = None,
) -> None:
    """Create every table (with its TTL setting), the bucket and, given an SQS client, the
    queues; existing ones are kept."""
    template = template or load_template()
    existing = set(dynamodb_client.list_tables()["TableNames"])
    for logical_id, properties in resources_of_type(template, "AWS::DynamoDB::Table").items():
        table_name = names.table_for(logical_id)
        if table_name in existing:
            continue
        dynamodb_client.create_table(**create_table_kwargs(properties, table_name))
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb_client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": bool(ttl["Enabled"]),
                },
            )
    if resources_of_type(template, "AWS::S3::Bucket"):
        buckets = {bucket["Name"] for bucket in s3_client.list_buckets().get("Buckets", [])}
        if names.artifacts_bucket not in buckets:
            s3_client.create_bucket(Bucket=names.artifacts_bucket)
    if sqs_client is not None:
        create_queues(sqs_client, names, template)
