"""``infra/observability.json``: the alarms, their SNS topic and the dashboard, generated.

The metric names and dimensions come from ``chalicelib/telemetry.py``, so the template
and the code cannot drift apart; a test holds the committed file equal to this output.
Regenerate after a change: ``.venv/bin/python -m deploy.observability --write``.
``make package`` merges the file with ``infra/resources.json`` (``deploy/package.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.job_types import JobType, worker_resource
from chalicelib.telemetry import NAMESPACE, Dimension, Metric

OUTPUT = Path(__file__).resolve().parent.parent / "infra" / "observability.json"
WORKERS = tuple(worker_resource(job_type) for job_type in JobType)
FUNCTIONS = ("APIHandler", *WORKERS, "WorkerFailures", "BatchItems")
TABLES = ("JobsTable", "BanksTable")
JOB_TYPES = tuple(str(job_type) for job_type in JobType)
API_STAGE = "api"  # api_gateway_stage in .chalice/config.json
PERIOD = 300
STACK = {"Ref": "AWS::StackName"}
TOPIC = {"Ref": "AlarmTopic"}

Json = dict[str, Any]


def _stat(namespace: str, name: str, dimensions: dict[str, Any], stat: str, period: int) -> Json:
    return {
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        }
    }


def _job(job_type: str) -> dict[str, Any]:
    return {Dimension.SERVICE: STACK, Dimension.JOB_TYPE: job_type}


def _alarm(name: str, description: str, **settings: Any) -> Json:
    """An alarm named ``<stack>-<name>``, sending to the topic when it fires and clears."""
    properties: Json = {
        "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{name}"},
        "AlarmDescription": description + " Runbook: docs/OPERATIONS.md.",
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties | settings}


def _single(namespace: str, name: str, dimensions: dict[str, Any], stat: str) -> Json:
    dims = [{"Name": key, "Value": value} for key, value in dimensions.items()]
    settings: Json = {"Namespace": namespace, "MetricName": name, "Dimensions": dims}
    if stat.startswith("p"):
        settings["ExtendedStatistic"] = stat
    else:
        settings["Statistic"] = stat
    return settings | {"Period": PERIOD, "Threshold": 0}


def _math(expression: str, label: str, inputs: dict[str, Json]) -> Json:
    metrics = [{"Id": "e1", "Expression": expression, "Label": label, "ReturnData": True}]
    metrics += [{"Id": key, "ReturnData": False} | stat for key, stat in inputs.items()]
    return {"Metrics": metrics, "Threshold": 0}


def job_alarms() -> dict[str, Json]:
    """The jobs' own metrics: failure rate, stuck jobs, and what the failure queue shows."""
    counts = {
        f"{short}{kind[0]}": _stat(NAMESPACE, metric, _job(kind), "Sum", 900)
        for short, metric in (("f", Metric.JOBS_FAILED), ("c", Metric.JOBS_COMPLETED))
        for kind in JOB_TYPES
    }
    failed, done = (
        "FILL(fr, 0) + FILL(fp, 0)",
        "FILL(fr, 0) + FILL(fp, 0) + FILL(cr, 0) + FILL(cp, 0)",
    )
    rate = _math(f"IF(({done}) > 0, 100 * ({failed}) / ({done}), 0)", "failed %", counts)
    rate["Threshold"] = {"Ref": "JobFailureRatePercent"}
    stuck = {
        f"s{kind[0]}": _stat(NAMESPACE, Metric.STUCK_JOBS_SEEN, _job(kind), "Sum", PERIOD)
        for kind in JOB_TYPES
    }
    queue = {"QueueName": {"Fn::GetAtt": ["FailedWorkerEvents", "QueueName"]}}
    return {
        "JobFailureRateAlarm": _alarm(
            "job-failure-rate",
            "Over the threshold share of the jobs that ended in 15 minutes failed (any "
            "errorCode but cancelled).",
            **rate,
        ),
        "StuckJobsAlarm": _alarm(
            "stuck-jobs",
            "A reader found a job still active in the table that nothing can claim any more "
            "(its lease or its claim window ran out).",
            **_math("FILL(sr, 0) + FILL(sp, 0)", "stuck jobs seen", stuck),
        ),
        "FailedEventsArrivedAlarm": _alarm(
            "failed-worker-events",
            "Lambda gave up on a worker event (retries used up or too old) and sent it to "
            "the failure queue.",
            **_single("AWS/SQS", "NumberOfMessagesSent", queue, "Sum"),
        ),
        "FailedEventsBacklogAlarm": _alarm(
            "failed-worker-events-backlog",
            "Messages wait on the failure queue for 15 minutes: its consumer is not draining it.",
            **_single("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum")
            | {"EvaluationPeriods": 3},
        ),
    }


def platform_alarms() -> dict[str, Json]:
    """Lambda errors and throttles per function, destination failures, DynamoDB throttles,
    and the API's 5xx rate and p95 latency."""
    alarms: dict[str, Json] = {}
    for function in FUNCTIONS:
        name = {"FunctionName": {"Ref": function}}
        for metric in ("Errors", "Throttles"):
            alarms[f"{function}{metric}Alarm"] = _alarm(
                f"{function}-{metric.lower()}",
                f"{function} reported {metric.lower()} in 5 minutes.",
                **_single("AWS/Lambda", metric, name, "Sum"),
            )
    for worker in WORKERS:
        alarms[f"{worker}DestinationFailuresAlarm"] = _alarm(
            f"{worker}-destination-failures",
            f"Lambda could not send a failed {worker} event to the failure queue: that job "
            "waits out its claim window or lease instead of failing at once.",
            **_single(
                "AWS/Lambda",
                "DestinationDeliveryFailures",
                {"FunctionName": {"Ref": worker}},
                "Sum",
            ),
        )
    for table in TABLES:
        dims = {"TableName": {"Ref": table}}
        inputs = {
            "r": _stat("AWS/DynamoDB", "ReadThrottleEvents", dims, "Sum", PERIOD),
            "w": _stat("AWS/DynamoDB", "WriteThrottleEvents", dims, "Sum", PERIOD),
        }
        alarms[f"{table}ThrottlesAlarm"] = _alarm(
            f"{table}-throttles",
            f"DynamoDB throttled requests to {table} in 5 minutes.",
            **_math("FILL(r, 0) + FILL(w, 0)", "throttle events", inputs),
        )
    return alarms | api_alarms()


def api_alarms() -> dict[str, Json]:
    api = {"ApiName": STACK, "Stage": API_STAGE}
    errors = _math(
        "100 * m", "5xx %", {"m": _stat("AWS/ApiGateway", "5XXError", api, "Average", PERIOD)}
    )
    errors["Threshold"] = {"Ref": "Api5xxRatePercent"}
    latency = _single("AWS/ApiGateway", "Latency", api, "p95")
    latency["Threshold"] = {"Ref": "ApiLatencyP95Milliseconds"}
    slow = {"EvaluationPeriods": 3, "DatapointsToAlarm": 2}
    return {
        "Api5xxRateAlarm": _alarm(
            "api-5xx-rate",
            "Over the threshold share of API requests answered 5xx (503 busy included) in "
            "two of three 5-minute periods.",
            **errors | slow,
        ),
        "ApiLatencyAlarm": _alarm(
            "api-p95-latency",
            "The API's p95 latency was over the threshold in two of three 5-minute periods.",
            **latency | slow,
        ),
    }


_CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def _from_our_alarms() -> Json:
    """The condition that lets only this stack's alarms use the key and the topic."""
    alarm_arns = {
        "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:"
        "alarm:${AWS::StackName}-*"
    }
    return {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": alarm_arns},
    }


def _alarm_key_policy() -> Json:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheAccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {
                    "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
                },
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ThisStacksAlarmsPublishToTheEncryptedTopic",
                "Effect": "Allow",
                "Principal": _CLOUDWATCH,
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": _from_our_alarms(),
            },
        ],
    }


def _alarm_topic_policy() -> Json:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ThisStacksAlarmsPublish",
                "Effect": "Allow",
                "Principal": _CLOUDWATCH,
                "Action": "sns:Publish",
                "Resource": TOPIC,
                "Condition": _from_our_alarms(),
            }
        ],
    }


def notification_resources() -> dict[str, Json]:
    """The encrypted topic the alarms send to, its key, and the optional e-mail."""
    key_policy, topic_policy = _alarm_key_policy(), _alarm_topic_policy()
    return {
        "AlarmTopicKey": {
            "Type": "AWS::KMS::Key",
            "Metadata": {
                "Comment": "A key of the stack's own: CloudWatch cannot publish to a topic "
                "encrypted with the AWS managed aws/sns key, whose policy it may not change "
                "(docs/OPERATIONS.md, 'Alarms')."
            },
            "Properties": {
                "Description": {"Fn::Sub": "${AWS::StackName} alarm notifications"},
                "EnableKeyRotation": True,
                "KeyPolicy": key_policy,
            },
        },
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": "${AWS::StackName}-alarms"},
                "KmsMasterKeyId": {"Ref": "AlarmTopicKey"},
            },
        },
        "AlarmTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [TOPIC], "PolicyDocument": topic_policy},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "AlarmEmailGiven",
            "Properties": {
                "TopicArn": TOPIC,
                "Protocol": "email",
                "Endpoint": {"Ref": "AlarmEmail"},
            },
        },
    }


def tracing_resources() -> dict[str, Json]:
    """Active tracing on every function and on the API stage, what the roles need to send
    traces, and the service name that the logs and the metrics' ``service`` carry."""
    resources: dict[str, Json] = {
        function: {
            "Properties": {
                "Tracing": "Active",
                "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": STACK}},
            }
        }
        for function in FUNCTIONS
    }
    # The API's name is its OpenAPI title; the stack's name makes its metrics this stack's.
    resources["RestAPI"] = {
        "Properties": {"TracingEnabled": True, "DefinitionBody": {"info": {"title": STACK}}}
    }
    resources["XRayWriteTraces"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Metadata": {
            "Comment": "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level "
            "permissions (Service Authorization Reference), so Resource is '*'."
        },
        "Properties": {
            "Description": "Lambda active tracing: send trace segments to X-Ray.",
            "Roles": [{"Ref": f"{function}Role"} for function in _role_names()],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "SendTraces",
                        "Effect": "Allow",
                        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                        "Resource": "*",
                    }
                ],
            },
        },
    }
    return resources


def _role_names() -> tuple[str, ...]:
    """Chalice's role per function: ApiHandlerRole, ReportWorkerRole, …"""
    return tuple("ApiHandler" if function == "APIHandler" else function for function in FUNCTIONS)


def parameters() -> dict[str, Json]:
    return {
        "AlarmEmail": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "ConstraintDescription": "an e-mail address, or empty for none",
            "Description": "Where alarm notifications are e-mailed (the address must confirm "
            "the subscription); empty: none, subscribe to the AlarmTopic output yourself.",
        },
        "JobFailureRatePercent": {
            "Type": "Number",
            "Default": 20,
            "MinValue": 1,
            "MaxValue": 100,
            "Description": "Alarm when over this share of the jobs ended in 15 minutes failed.",
        },
        "Api5xxRatePercent": {
            "Type": "Number",
            "Default": 5,
            "MinValue": 1,
            "MaxValue": 100,
            "Description": "Alarm when more than this share of API requests answer 5xx.",
        },
        "ApiLatencyP95Milliseconds": {
            "Type": "Number",
            "Default": 1000,
            "MinValue": 50,
            "Description": "Alarm when the API's p95 latency is over this many milliseconds.",
        },
    }


def template() -> Json:
    from deploy.dashboard import dashboard

    alarms = job_alarms() | platform_alarms()
    resources = notification_resources() | tracing_resources() | alarms
    resources["OperationsDashboard"] = dashboard(sorted(alarms))
    return {
        "Parameters": parameters(),
        "Conditions": {
            "AlarmEmailGiven": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
        },
        "Resources": resources,
        "Outputs": {
            "AlarmTopicArn": {"Description": "Subscribe here to get the alarms.", "Value": TOPIC},
            "DashboardUrl": {
                "Value": {
                    "Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
                    "?region=${AWS::Region}#dashboards:name=${AWS::StackName}-operations"
                }
            },
        },
    }


def rendered() -> str:
    return json.dumps(template(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.name}")
    args = parser.parse_args(argv)
    if args.write:
        OUTPUT.write_text(rendered(), encoding="utf-8")
    else:
        sys.stdout.write(rendered())
    return 0


if __name__ == "__main__":
    sys.exit(main())
