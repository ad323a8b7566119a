"""The tables the tests and the local stack create are the ones infra/ declares."""

from __future__ import annotations

from devstack.resources import load_template, resources_of_type
from tests.moto_account import Aws


def test_tables_match_the_infra_template(aws: Aws) -> None:
    template = load_template()
    declared = resources_of_type(template, "AWS::DynamoDB::Table")
    names = aws.names
    for logical_id, properties in declared.items():
        described = aws.dynamodb.describe_table(TableName=names.table_for(logical_id))["Table"]
        assert described["KeySchema"] == properties["KeySchema"]
        assert sorted(described["AttributeDefinitions"], key=str) == sorted(
            properties["AttributeDefinitions"], key=str
        )


def test_jobs_table_has_ttl_on_expires_at(aws: Aws) -> None:
    ttl = aws.dynamodb.describe_time_to_live(TableName=aws.names.jobs_table)
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"


def test_bucket_exists(aws: Aws) -> None:
    buckets = [bucket["Name"] for bucket in aws.s3.list_buckets()["Buckets"]]
    assert aws.bucket in buckets
