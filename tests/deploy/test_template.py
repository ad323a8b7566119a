"""The packaged SAM template: cfn-lint clean, and every safety setting still in it."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api.auth import ADMIN_GROUP
from chalicelib.config import Settings
from chalicelib.jobs import rules
from chalicelib.jobs.items import ARTIFACT_RETENTION_DAYS
from deploy import package
from tests.conftest import NAMES
from tests.deploy.conftest import Packaged
from tests.deploy.iam import FUNCTIONS, Resolver, load_policy, statements

WORKERS = ("ReportWorker", "PodcastWorker")
# Lambda's documented waits before its first and second asynchronous retries.
RETRY_DELAYS_SECONDS = (60, 120)


def test_cfn_lint_passes(packaged: Packaged) -> None:
    result = package.lint(packaged.path, "us-east-1")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("table", ["JobsTable", "BanksTable"])
def test_tables_are_on_demand_encrypted_and_recoverable(packaged: Packaged, table: str) -> None:
    properties = packaged.properties(table)
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_jobs_expire_through_ttl_on_expires_at(packaged: Packaged) -> None:
    ttl = packaged.properties("JobsTable")["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiresAt", "Enabled": True}


def test_bucket_is_private_and_encrypted(packaged: Packaged) -> None:
    properties = packaged.properties("ArtifactsBucket")
    block = properties["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["ArtifactsKey", "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True  # S3 asks KMS per bucket key, not per object


def test_the_artifacts_key_is_made_by_the_stack_and_rotated(packaged: Packaged) -> None:
    key = packaged.resources["ArtifactsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    # KMS's default key policy: the account administers the key and only IAM policies
    # (the functions' own, checked exactly in test_policies.py) grant its use.
    (statement,) = key["Properties"]["KeyPolicy"]["Statement"]
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }


def test_bucket_refuses_requests_without_tls(packaged: Packaged) -> None:
    policies = [
        resource["Properties"]
        for resource in packaged.of_type("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": "ArtifactsBucket"}
    ]
    assert len(policies) == 1
    denials = [
        statement
        for statement in statements(policies[0]["PolicyDocument"])
        if statement["Effect"] == "Deny"
        and statement["Principal"] in ("*", {"AWS": "*"})
        and statement["Action"] in ("s3:*", ["s3:*"])
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 1
    assert sorted(map(str, denials[0]["Resource"])) == sorted(
        map(
            str,
            [{"Fn::GetAtt": ["ArtifactsBucket", "Arn"]}, {"Fn::Sub": "${ArtifactsBucket.Arn}/*"}],
        )
    )


def test_api_finds_its_workers_tables_and_bucket_by_reference(packaged: Packaged) -> None:
    variables = packaged.properties("APIHandler")["Environment"]["Variables"]
    assert variables["JOB_INVOKER"] == "lambda"
    assert variables["REPORT_WORKER_FUNCTION"] == {"Ref": "ReportWorker"}
    assert variables["PODCAST_WORKER_FUNCTION"] == {"Ref": "PodcastWorker"}
    for function in ("APIHandler", *WORKERS):
        variables = packaged.properties(function)["Environment"]["Variables"]
        assert variables["JOBS_TABLE"] == {"Ref": "JobsTable"}
        assert variables["BANKS_TABLE"] == {"Ref": "BanksTable"}
        assert variables["ARTIFACTS_BUCKET"] == {"Ref": "ArtifactsBucket"}


def test_workers_get_the_writer_and_model_from_stack_parameters(packaged: Packaged) -> None:
    parameters = packaged.template["Parameters"]
    assert parameters["ReportWriter"]["AllowedValues"] == ["template", "bedrock"]
    assert parameters["ReportWriter"]["Default"] == "template"
    assert parameters["BedrockModelId"]["Default"]
    for worker in WORKERS:
        variables = packaged.properties(worker)["Environment"]["Variables"]
        assert variables["REPORT_WRITER"] == {"Ref": "ReportWriter"}
        assert variables["BEDROCK_MODEL_ID"] == {"Ref": "BedrockModelId"}


def _invoke_config(packaged: Packaged, worker: str) -> dict[str, Any]:
    found = [
        resource
        for resource in packaged.of_type("AWS::Lambda::EventInvokeConfig").values()
        if resource["Properties"]["FunctionName"] == {"Ref": worker}
    ]
    assert len(found) == 1, f"{worker} needs exactly one AWS::Lambda::EventInvokeConfig"
    return found[0]


@pytest.mark.parametrize("worker", WORKERS)
def test_async_invoke_settings_match_the_claim_protocol(packaged: Packaged, worker: str) -> None:
    config = _invoke_config(packaged, worker)
    properties = config["Properties"]
    assert properties["Qualifier"] == "$LATEST"
    timing = rules.Timing()
    # One delivery plus the retries is the most a job may be claimed.
    assert properties["MaximumRetryAttempts"] == timing.max_attempts - 1
    # A pending job is shown dead only once Lambda can no longer deliver its event.
    assert properties["MaximumEventAgeInSeconds"] == timing.max_event_age_seconds
    # Old enough for the retries of a full run to happen at all.
    run = packaged.properties(worker)["Timeout"]
    assert properties["MaximumEventAgeInSeconds"] >= run + sum(RETRY_DELAYS_SECONDS)
    destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["FailedWorkerEvents", "Arn"]}
    assert "MaximumRetryAttempts" in config["Metadata"]["Comment"]


def test_the_failure_queue_is_consumed_by_the_app(packaged: Packaged) -> None:
    events = packaged.properties("WorkerFailures")["Events"]
    ((source,),) = [list(events.values())]
    assert source["Type"] == "SQS"
    resolver = Resolver(NAMES, packaged.template)
    queue_name = resolver.resolve(packaged.properties("FailedWorkerEvents")["QueueName"])
    assert resolver.resolve(source["Properties"]["Queue"]).endswith(f":{queue_name}")
    variables = packaged.properties("WorkerFailures")["Environment"]["Variables"]
    assert variables["JOBS_TABLE"] == {"Ref": "JobsTable"}


def test_the_batch_queue_is_consumed_with_a_bound_and_partial_failures(
    packaged: Packaged,
) -> None:
    events = packaged.properties("BatchItems")["Events"]
    ((source,),) = [list(events.values())]
    properties = source["Properties"]
    assert source["Type"] == "SQS" and properties["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    assert properties["ScalingConfig"]["MaximumConcurrency"] == 10  # BATCH_CONCURRENCY
    resolver = Resolver(NAMES, packaged.template)
    queue_name = resolver.resolve(packaged.properties("BatchItemQueue")["QueueName"])
    assert resolver.resolve(properties["Queue"]).endswith(f":{queue_name}")
    queue = packaged.properties("BatchItemQueue")
    timeout = packaged.properties("BatchItems")["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout  # AWS's advice for an SQS source


def test_artifacts_expire_after_the_library_forgets_them(packaged: Packaged) -> None:
    lifecycle = packaged.properties("ArtifactsBucket")["LifecycleConfiguration"]["Rules"]
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in lifecycle if "Prefix" in rule}
    days = ARTIFACT_RETENTION_DAYS + 1
    assert expiring == {"reports/": days, "podcasts/": days}


def test_failed_events_queue_is_encrypted(packaged: Packaged) -> None:
    properties = packaged.properties("FailedWorkerEvents")
    assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_api_stage_is_throttled(packaged: Packaged) -> None:
    settings = packaged.properties("RestAPI")["MethodSettings"]
    everything = [s for s in settings if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"]
    assert len(everything) == 1
    assert everything[0]["ThrottlingRateLimit"] > 0 and everything[0]["ThrottlingBurstLimit"] > 0


def test_no_api_key_or_usage_plan_is_in_the_template(packaged: Packaged) -> None:
    # A key shared by everyone made everyone one caller: programs' keys, each with its own
    # plan, are issued by bank-research admin key create NAME, never by the template.
    for kind in ("ApiKey", "UsagePlan", "UsagePlanKey"):
        assert packaged.of_type(f"AWS::ApiGateway::{kind}") == {}, kind
    assert not any("ApiKey" in name for name in packaged.template["Outputs"])
    variables = packaged.properties("APIHandler")["Environment"]["Variables"]
    assert variables["ADMIN_API_KEY_IDS"] == {"Ref": "AdminApiKeyIds"}  # none by default
    assert packaged.template["Parameters"]["AdminApiKeyIds"]["Default"] == ""


def test_the_stack_has_a_user_pool_for_people_with_an_admins_group(packaged: Packaged) -> None:
    (pool,) = packaged.of_type("AWS::Cognito::UserPool").values()
    properties = pool["Properties"]
    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert properties["Policies"]["PasswordPolicy"]["MinimumLength"] >= 10
    client = packaged.properties("UserPoolClient")
    assert client["UserPoolId"] == {"Ref": "UserPool"} and client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
    ]
    assert client["EnableTokenRevocation"] is True  # sign-out revokes the refresh token
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    group = packaged.properties("AdminsGroup")
    assert group["UserPoolId"] == {"Ref": "UserPool"}
    assert group["GroupName"] == ADMIN_GROUP == Settings.admin_group  # the app's admins
    outputs = packaged.template["Outputs"]
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}


@pytest.mark.parametrize("table", ["JobsTable", "BanksTable"])
def test_tables_are_protected_from_deletion(packaged: Packaged, table: str) -> None:
    assert packaged.properties(table)["DeletionProtectionEnabled"] is True


def test_artifact_requests_are_logged_to_a_log_bucket_with_its_own_lifecycle(
    packaged: Packaged,
) -> None:
    logging = packaged.properties("ArtifactsBucket")["LoggingConfiguration"]
    assert logging == {
        "DestinationBucketName": {"Ref": "ArtifactsLogBucket"},
        "LogFilePrefix": "artifacts/",
    }
    logs = packaged.properties("ArtifactsLogBucket")
    assert all(logs["PublicAccessBlockConfiguration"].values())
    assert logs["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}  # SSE-S3 only
    expiring = [r for r in logs["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert [(r["Status"], r["ExpirationInDays"]) for r in expiring] == [("Enabled", 90)]
    (policy,) = [
        resource["Properties"]["PolicyDocument"]
        for resource in packaged.of_type("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": "ArtifactsLogBucket"}
    ]
    (delivery,) = [s for s in statements(policy) if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"]["ArnLike"] == {
        "aws:SourceArn": {"Fn::GetAtt": ["ArtifactsBucket", "Arn"]}
    }
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements(policy)
    )


@pytest.mark.parametrize("function", sorted(FUNCTIONS.values()))
def test_log_groups_have_a_retention_and_match_the_roles(packaged: Packaged, function: str) -> None:
    groups = [
        resource["Properties"]
        for resource in packaged.of_type("AWS::Logs::LogGroup").values()
        if resource["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    ]
    assert len(groups) == 1 and 1 <= groups[0]["RetentionInDays"] <= 365
    # The role may write only to this group (it may not create groups), so the name the
    # policy allows and the group's name must agree.
    resolver = Resolver(NAMES)
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/" + resolver.ref(
        function
    )
    chalice_name = next(name for name, logical in FUNCTIONS.items() if logical == function)
    allowed = [
        resolver.resolve(resource)
        for statement in statements(load_policy(chalice_name))
        if "logs:PutLogEvents" in statement["Action"]
        for resource in statement["Resource"]
    ]
    assert allowed == [group_arn + ":*"]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_has_its_own_role_with_its_policy_file(
    packaged: Packaged, function: str
) -> None:
    logical_id = FUNCTIONS[function]
    role = packaged.properties(logical_id)["Role"]["Fn::GetAtt"][0]
    role_properties = packaged.properties(role)
    assert [policy["PolicyDocument"] for policy in role_properties["Policies"]] == [
        load_policy(function)
    ]
    assert "ManagedPolicyArns" not in role_properties
    other_roles = {
        packaged.properties(other)["Role"]["Fn::GetAtt"][0]
        for other in FUNCTIONS.values()
        if other != logical_id
    }
    assert role not in other_roles


def test_no_role_is_generated_by_chalice(packaged: Packaged) -> None:
    assert "DefaultRole" not in packaged.resources
    assert len(packaged.of_type("AWS::IAM::Role")) == len(FUNCTIONS)


def test_the_api_url_is_an_output(packaged: Packaged) -> None:
    assert "EndpointURL" in packaged.template["Outputs"]
