"""Reading the IAM policy files as IAM would: intrinsics resolved, actions and ARNs matched.

The policy files under ``.chalice/`` hold CloudFormation intrinsics (``Fn::GetAtt``,
``Fn::Sub``) that the deployed stack resolves. Here they are resolved against a fixed
account, region and stack name, with the physical names the tests give the tables and
bucket, so that an ARN built from a recorded AWS call can be matched against them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from devstack.resources import INFRA_TEMPLATE, ResourceNames, load_template

CHALICE_DIR = Path(__file__).resolve().parents[2] / ".chalice"
EXCEPTIONS_FILE = CHALICE_DIR / "policy-exceptions.json"

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "bank-research-dev"
QUEUE_NAME = f"{STACK}-failed-worker-events"
KEY_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"  # the artifacts key, as KMS would name it

# Chalice's function names (config.json) → the template's logical ids.
FUNCTIONS = {
    "api_handler": "APIHandler",
    "report_worker": "ReportWorker",
    "podcast_worker": "PodcastWorker",
    "worker_failures": "WorkerFailures",
    "batch_items": "BatchItems",
}

# How a recorded call (botocore service, operation) is authorised, where the action's name
# is not simply ``<prefix>:<Operation>``. Listing a new call here is the only change a new
# kind of call needs; anything unlisted falls back to the plain rule.
SERVICE_PREFIX = {"bedrock-runtime": "bedrock"}
ACTION_FOR = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("bedrock-runtime", "Converse"): "bedrock:InvokeModel",
    ("bedrock-runtime", "ConverseStream"): "bedrock:InvokeModelWithResponseStream",
    ("bedrock-runtime", "InvokeModelWithResponseStream"): "bedrock:InvokeModelWithResponseStream",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
}


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an action on a resource ARN."""

    action: str
    resource: str


class Resolver:
    """Resolves the intrinsics the policy files and the merge template use."""

    def __init__(self, names: ResourceNames, template: dict[str, Any] | None = None) -> None:
        self.template = template or load_template(INFRA_TEMPLATE)
        self._types = {
            logical_id: resource["Type"]
            for logical_id, resource in self.template["Resources"].items()
        }
        self._parameters = {
            name: str(spec.get("Default", ""))
            for name, spec in self.template.get("Parameters", {}).items()
        }
        self._names: dict[str, str] = {
            "JobsTable": names.jobs_table,
            "BanksTable": names.banks_table,
            "ArtifactsBucket": names.artifacts_bucket,
            "FailedWorkerEvents": QUEUE_NAME,
            "BatchItemQueue": f"{STACK}-batch-items",
            "BatchItemDeadLetters": f"{STACK}-batch-dead-letters",
            "ArtifactsKey": KEY_ID,
        }
        for logical_id in FUNCTIONS.values():
            resource = self.template["Resources"].get(logical_id)
            if resource is not None:  # functions the merge template names explicitly
                self._names[logical_id] = self.resolve(resource["Properties"]["FunctionName"])

    def parameter(self, name: str) -> str:
        return self._parameters[name]

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        return self._names[name]

    def arn(self, logical_id: str) -> str:
        name, kind = self._names[logical_id], self._types[logical_id]
        regional = f"{REGION}:{ACCOUNT}"
        return {
            "AWS::DynamoDB::Table": f"arn:{PARTITION}:dynamodb:{regional}:table/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::Serverless::Function": f"arn:{PARTITION}:lambda:{regional}:function:{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{regional}:{name}",
            "AWS::KMS::Key": f"arn:{PARTITION}:kms:{regional}:key/{name}",
        }[kind]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", f"only Arn attributes are resolved, not {attribute}"
            return self.arn(logical_id)
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, name: str) -> str:
        if name.endswith(".Arn"):
            return self.arn(name.removesuffix(".Arn"))
        return self.ref(name)


def load_policy(function: str) -> dict[str, Any]:
    """The policy document Chalice gives ``function`` in the dev stage (config.json)."""
    config = json.loads((CHALICE_DIR / "config.json").read_text(encoding="utf-8"))
    stage = config["stages"]["dev"]
    if function == "api_handler":
        filename = stage["iam_policy_file"]
    else:
        filename = stage["lambda_functions"][function]["iam_policy_file"]
    document: dict[str, Any] = json.loads((CHALICE_DIR / filename).read_text(encoding="utf-8"))
    return document


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(policy: dict[str, Any], need: Need, resolver: Resolver) -> bool:
    """Whether an Allow statement covers ``need`` (no Deny statements are used here)."""
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(action).lower() for action in as_list(statement["Action"])]
        resources = [str(resolver.resolve(item)) for item in as_list(statement["Resource"])]
        if any(fnmatchcase(need.action.lower(), action) for action in actions) and any(
            fnmatchcase(need.resource, resource) for resource in resources
        ):
            return True
    return False


def action_for(service: str, operation: str) -> str:
    return ACTION_FOR.get(
        (service, operation), f"{SERVICE_PREFIX.get(service, service)}:{operation}"
    )


# A transaction needs, on each table, the permission of each kind of write it holds.
TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _table_arn(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def needs_of(service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    """The permissions one recorded call needs, from its service, operation and parameters."""
    action = action_for(service, operation)
    if service == "dynamodb" and operation == "TransactWriteItems":
        return [
            Need(TRANSACTION_ACTIONS[kind], _table_arn(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if service == "dynamodb" and "RequestItems" in params:
        return [Need(action, _table_arn(table)) for table in params["RequestItems"]]
    if service == "dynamodb" and "IndexName" in params:
        index = f"{_table_arn(params['TableName'])}/index/{params['IndexName']}"
        return [Need(action, index)]
    if service == "dynamodb" and "TableName" in params:
        return [
            Need(action, f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{params['TableName']}")
        ]
    if service == "dynamodb" and "RequestItems" in params:  # BatchGetItem, BatchWriteItem
        return [
            Need(action, f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{table}")
            for table in params["RequestItems"]
        ]
    if service == "s3" and "Key" in params:
        bucket = f"arn:{PARTITION}:s3:::{params['Bucket']}"
        found = [Need(action, f"{bucket}/{params['Key']}")]
        if action == "s3:GetObject":
            # Without ListBucket, S3 answers a missing key with 403, not 404, and the code
            # reads "no report yet" from a 404.
            found.append(Need("s3:ListBucket", bucket))
        return found
    if service == "s3" and "Bucket" in params:
        return [Need(action, f"arn:{PARTITION}:s3:::{params['Bucket']}")]
    if service == "lambda" and "FunctionName" in params:
        name = str(params["FunctionName"])
        if not name.startswith("arn:"):
            name = f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"
        return [Need(action, name)]
    if service == "bedrock-runtime" and "modelId" in params:
        model = str(params["modelId"])
        if not model.startswith("arn:"):
            model = f"arn:{PARTITION}:bedrock:{REGION}::foundation-model/{model}"
        return [Need(action, model)]
    if service == "polly":
        return [Need(action, "*")]
    if service == "sqs" and ("QueueName" in params or "QueueUrl" in params):
        name = params.get("QueueName") or str(params["QueueUrl"]).rsplit("/", 1)[-1]
        # A batch of messages is authorised as each of them: sqs:SendMessage.
        sent = "sqs:SendMessage" if operation == "SendMessageBatch" else action
        return [Need(sent, f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}")]
    raise AssertionError(
        f"tests/deploy/iam.py does not know which resource {service} {operation} touches; "
        "teach needs_of() about it so that its permission is checked."
    )


def missing(policy: dict[str, Any], needs: Iterable[Need], resolver: Resolver) -> list[Need]:
    return sorted({need for need in needs if not grants(policy, need, resolver)}, key=str)


# Exactly what a policy grants --------------------------------------------------------------

Grant = tuple[str, str]  # (action, resolved resource), as a policy names them


def granted(policy: dict[str, Any], resolver: Resolver) -> set[Grant]:
    """Every (action, resource) pair the policy's Allow statements name."""
    return {
        (str(action), str(resolver.resolve(resource)))
        for statement in statements(policy)
        if statement.get("Effect") == "Allow"
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


def narrowest_grant(need: Need) -> Grant:
    """The grant a least-privilege policy gives for ``need``: the resource itself, except
    an S3 object, which is granted by its artifact kind (``bucket/reports/*``): keys hold
    bank ids and job ids that no policy can know in advance."""
    if need.action.startswith("s3:") and need.resource.startswith("arn:aws:s3:::"):
        bucket, _, key = need.resource.removeprefix("arn:aws:s3:::").partition("/")
        if key:
            prefix = key.split("/", 1)[0]
            return need.action, f"arn:{PARTITION}:s3:::{bucket}/{prefix}/*"
    return need.action, need.resource


def encryption_needs(needs: Iterable[Need], resolver: Resolver) -> list[Need]:
    """What SSE-KMS adds to S3 object calls on the artifacts bucket: writing an object needs
    ``kms:GenerateDataKey`` on its key, reading one (a presigned link included) ``kms:Decrypt``."""
    encryption = resolver.template["Resources"]["ArtifactsBucket"]["Properties"]["BucketEncryption"]
    default = encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    if default["SSEAlgorithm"] != "aws:kms":
        return []
    key = str(resolver.resolve(default["KMSMasterKeyID"]))
    bucket = f"arn:{PARTITION}:s3:::{resolver.ref('ArtifactsBucket')}/"
    by_action = {"s3:PutObject": "kms:GenerateDataKey", "s3:GetObject": "kms:Decrypt"}
    return [
        Need(by_action[need.action], key)
        for need in needs
        if need.action in by_action and need.resource.startswith(bucket)
    ]


def differences(policy: dict[str, Any], needs: Iterable[Need], resolver: Resolver) -> list[str]:
    """Sentences for every grant the needs do not call for and every need no grant names
    exactly (a wider resource counts as both)."""
    wanted = {narrowest_grant(need) for need in needs}
    have = granted(policy, resolver)
    return [f"extra: {action} on {resource}" for action, resource in sorted(have - wanted)] + [
        f"missing: {action} on {resource}" for action, resource in sorted(wanted - have)
    ]
