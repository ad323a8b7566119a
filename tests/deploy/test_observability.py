"""The packaged template's operations: every alarm on the right metric and dimensions, an
encrypted topic CloudWatch may publish to, the dashboard's panels, tracing on every
function, and a runbook entry per alarm."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.telemetry import NAMESPACE, Metric
from deploy import observability, package
from deploy.dashboard import FUNNEL
from tests.deploy.conftest import Packaged

ROOT = Path(__file__).resolve().parents[2]
STACK = {"Ref": "AWS::StackName"}
FUNCTIONS = ("APIHandler", "ReportWorker", "PodcastWorker", "WorkerFailures", "BatchItems")


def alarms(packaged: Packaged) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in packaged.of_type("AWS::CloudWatch::Alarm").items()
    }


def watched(alarm: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, metric, dimensions as JSON) of every metric the alarm reads."""
    found = set()
    stats = [metric["MetricStat"] for metric in alarm.get("Metrics", []) if "MetricStat" in metric]
    specs = [alarm] if "MetricName" in alarm else [stat["Metric"] for stat in stats]
    for spec in specs:
        dims = {d["Name"]: d["Value"] for d in spec.get("Dimensions", [])}
        found.add((spec["Namespace"], spec["MetricName"], json.dumps(dims, sort_keys=True)))
    return found


def dims(**values: Any) -> str:
    return json.dumps(values, sort_keys=True)


def ours(metric: Metric, job_type: str) -> tuple[str, str, str]:
    return (NAMESPACE, str(metric), dims(service=STACK, JobType=job_type))


QUEUE = {"QueueName": {"Fn::GetAtt": ["FailedWorkerEvents", "QueueName"]}}
API = {"ApiName": STACK, "Stage": "api"}
EXPECTED = {
    "FailedEventsArrivedAlarm": {("AWS/SQS", "NumberOfMessagesSent", dims(**QUEUE))},
    "FailedEventsBacklogAlarm": {("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims(**QUEUE))},
    "JobFailureRateAlarm": {
        ours(metric, kind)
        for metric in (Metric.JOBS_FAILED, Metric.JOBS_COMPLETED)
        for kind in ("report", "podcast")
    },
    "StuckJobsAlarm": {ours(Metric.STUCK_JOBS_SEEN, kind) for kind in ("report", "podcast")},
    **{
        f"{function}{metric}Alarm": {("AWS/Lambda", metric, dims(FunctionName={"Ref": function}))}
        for function in FUNCTIONS
        for metric in ("Errors", "Throttles")
    },
    **{
        f"{worker}DestinationFailuresAlarm": {
            ("AWS/Lambda", "DestinationDeliveryFailures", dims(FunctionName={"Ref": worker}))
        }
        for worker in ("ReportWorker", "PodcastWorker")
    },
    **{
        f"{table}ThrottlesAlarm": {
            ("AWS/DynamoDB", metric, dims(TableName={"Ref": table}))
            for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
        }
        for table in ("JobsTable", "BanksTable")
    },
    "Api5xxRateAlarm": {("AWS/ApiGateway", "5XXError", dims(**API))},
    "ApiLatencyAlarm": {("AWS/ApiGateway", "Latency", dims(**API))},
}


def test_the_observability_file_is_the_generators_output() -> None:
    committed = (ROOT / "infra" / "observability.json").read_text(encoding="utf-8")
    assert committed == observability.rendered(), (
        "infra/observability.json is stale: run .venv/bin/python -m deploy.observability --write"
    )


def test_every_alarm_watches_its_metrics_and_dimensions(packaged: Packaged) -> None:
    found = alarms(packaged)
    assert set(found) == set(EXPECTED)
    for logical_id, expected in EXPECTED.items():
        assert watched(found[logical_id]) == expected, logical_id


def test_every_alarm_is_named_for_the_stack_and_notifies_the_topic(packaged: Packaged) -> None:
    for logical_id, alarm in alarms(packaged).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")
        assert alarm["TreatMissingData"] == "notBreaching"


def test_thresholds_any_failed_event_and_the_rates_from_parameters(packaged: Packaged) -> None:
    found = alarms(packaged)
    arrived = found["FailedEventsArrivedAlarm"]
    assert (arrived["Statistic"], arrived["ComparisonOperator"], arrived["Threshold"]) == (
        "Sum", "GreaterThanThreshold", 0,
    )  # fmt: skip
    assert found["JobFailureRateAlarm"]["Threshold"] == {"Ref": "JobFailureRatePercent"}
    assert found["Api5xxRateAlarm"]["Threshold"] == {"Ref": "Api5xxRatePercent"}
    latency = found["ApiLatencyAlarm"]
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["Threshold"] == {"Ref": "ApiLatencyP95Milliseconds"}
    rate = next(m for m in found["JobFailureRateAlarm"]["Metrics"] if m.get("ReturnData"))
    assert "100 *" in rate["Expression"] and "IF(" in rate["Expression"]
    parameters = packaged.template["Parameters"]
    assert parameters["AlarmEmail"]["Default"] == ""
    assert parameters["JobFailureRatePercent"]["Default"] == 20


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(packaged: Packaged) -> None:
    topic = packaged.properties("AlarmTopic")
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = packaged.properties("AlarmTopicKey")
    assert key["EnableKeyRotation"] is True
    grants = [s for s in key["KeyPolicy"]["Statement"]
              if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]  # fmt: skip
    assert len(grants) == 1
    assert set(grants[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert grants[0]["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    alarm_arns = grants[0]["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert alarm_arns.endswith(":alarm:${AWS::StackName}-*")
    subscription = packaged.resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "AlarmEmailGiven"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_tracing_is_active_on_every_function_and_the_api(packaged: Packaged) -> None:
    functions = packaged.of_type("AWS::Serverless::Function")
    assert set(functions) == set(FUNCTIONS)
    roles = set()
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Tracing"] == "Active", logical_id
        assert properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == STACK
        roles.add(properties["Role"]["Fn::GetAtt"][0])
    assert packaged.properties("RestAPI")["TracingEnabled"] is True
    traces = packaged.properties("XRayWriteTraces")
    assert {role["Ref"] for role in traces["Roles"]} == roles
    (statement,) = traces["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def test_the_api_is_named_for_the_stack_so_its_metrics_are_this_stacks(
    packaged: Packaged,
) -> None:
    body = packaged.properties("RestAPI")["DefinitionBody"]
    assert body["info"]["title"] == STACK
    assert body["paths"], "the merge kept Chalice's routes"


# The dashboard ---------------------------------------------------------------------------------


def dashboard(packaged: Packaged) -> dict[str, Any]:
    body = packaged.properties("OperationsDashboard")["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}!]+)\}", body))
    known = set(packaged.resources) | {"AWS::StackName", "AWS::Region"}
    assert {name.split(".")[0] for name in names} <= known, "every ${…} resolves"
    resolved = re.sub(r"\$\{([^}]+)\}", lambda match: f"<{match[1]}>", body)
    parsed: dict[str, Any] = json.loads(resolved)
    return parsed


def lines_of(widget: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(namespace, metric, dimensions) of each plain metric line of a widget."""
    lines = []
    for line in widget["properties"].get("metrics", []):
        plain = [part for part in line if not isinstance(part, dict)]
        if len(plain) >= 2:
            pairs = dict(zip(plain[2::2], plain[3::2], strict=True))
            lines.append((plain[0], plain[1], json.dumps(pairs, sort_keys=True)))
    return lines


def widget(board: dict[str, Any], title_start: str) -> dict[str, Any]:
    (found,) = [w for w in board["widgets"] if w["properties"]["title"].startswith(title_start)]
    return found


@pytest.mark.parametrize("job_type", ["report", "podcast"])
def test_the_dashboard_shows_each_job_types_funnel(packaged: Packaged, job_type: str) -> None:
    funnel = lines_of(widget(dashboard(packaged), f"{job_type.title()} jobs"))
    service = dims(JobType=job_type, service="<AWS::StackName>")
    assert funnel == [(NAMESPACE, str(metric), service) for metric in FUNNEL]


def test_the_dashboard_shows_stage_durations_by_stage(packaged: Packaged) -> None:
    board = dashboard(packaged)
    for job_type in ("Report", "Podcast"):
        (line,) = widget(board, f"{job_type} stage durations")["properties"]["metrics"]
        expression = line[0]["expression"]
        assert "{BankResearch,service,JobType,Stage}" in expression
        assert 'MetricName="StageDuration"' in expression
        assert f'JobType="{job_type.lower()}"' in expression and "'p95'" in expression


def test_the_dashboard_has_the_error_panels_and_every_alarm(packaged: Packaged) -> None:
    board = dashboard(packaged)
    for metric in ("Errors", "Throttles"):
        assert {line[2] for line in lines_of(widget(board, f"Lambda {metric.lower()}"))} == {
            dims(FunctionName=f"<{function}>") for function in FUNCTIONS
        }
    throttles = lines_of(widget(board, "DynamoDB throttle events"))
    assert {(line[1], line[2]) for line in throttles} == {
        (metric, dims(TableName=f"<{table}>"))
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
        for table in ("JobsTable", "BanksTable")
    }
    queue = lines_of(widget(board, "Failure queue"))
    assert {line[1] for line in queue} == {
        "NumberOfMessagesSent",
        "ApproximateNumberOfMessagesVisible",
    }
    (listing,) = [w for w in board["widgets"] if w["type"] == "alarm"]
    assert listing["properties"]["alarms"] == [f"<{a}.Arn>" for a in sorted(alarms(packaged))]


def test_every_metric_the_service_emits_is_on_the_dashboard(packaged: Packaged) -> None:
    body = packaged.properties("OperationsDashboard")["DashboardBody"]["Fn::Sub"]
    shown = set(re.findall(r'"(\w+)"', body)) | set(re.findall(r'MetricName=\\"(\w+)\\"', body))
    assert {str(metric) for metric in Metric} <= shown


# The runbook and the merge ---------------------------------------------------------------------


GENERIC = (
    (r"^(ReportWorker|PodcastWorker)-destination", "<worker>-destination"),
    (r"^(APIHandler|ReportWorker|PodcastWorker|WorkerFailures|BatchItems)-", "<function>-"),
    (r"^(JobsTable|BanksTable)-", "<table>-"),
)


def test_the_runbook_has_an_entry_per_alarm(packaged: Packaged) -> None:
    runbook = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    for alarm in alarms(packaged).values():
        name = alarm["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        for pattern, generic in GENERIC:
            if re.match(pattern, name):
                name = re.sub(pattern, generic, name)
                break
        assert f"### `{name}`" in runbook, name


def test_the_merge_refuses_two_files_setting_one_value_differently(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"Resources": {"X": {"Properties": {"T": 1}}}}))
    (tmp_path / "b.json").write_text(json.dumps({"Resources": {"X": {"Properties": {"T": 2}}}}))
    sources = [str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    with pytest.raises(ValueError, match=r"both set Resources\.X\.Properties\.T"):
        package.merged_template(tmp_path / "out", sources)
    (tmp_path / "b.json").write_text(json.dumps({"Resources": {"X": {"Properties": {"U": 2}}}}))
    merged = json.loads(package.merged_template(tmp_path / "out", sources).read_text())
    assert merged == {"Resources": {"X": {"Properties": {"T": 1, "U": 2}}}}
