"""The CloudWatch dashboard of ``infra/observability.json``: the job funnel, the stage
durations, the error panels and the alarms, one ``Fn::Sub`` string of dashboard JSON.

``${…}`` in the body are CloudFormation's (the stack's name, function names, queue and table
names, alarm ARNs); Fn::Sub fills them in at deployment.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.job_types import JobType, worker_resource
from chalicelib.telemetry import NAMESPACE, Metric

SERVICE = "${AWS::StackName}"
REGION = "${AWS::Region}"
FUNNEL = (
    Metric.JOBS_STARTED,
    Metric.JOBS_JOINED,
    Metric.JOBS_COMPLETED,
    Metric.JOBS_FAILED,
    Metric.JOBS_CANCELLED,
    Metric.JOBS_REDELIVERED,
    Metric.DELIVERIES_SKIPPED,
)
WORKERS = tuple(worker_resource(job_type) for job_type in JobType)
FUNCTIONS = ("APIHandler", *WORKERS, "WorkerFailures", "BatchItems")
JOB_TYPES = tuple(str(job_type) for job_type in JobType)

Json = dict[str, Any]


def _widget(x: int, y: int, w: int, title: str, metrics: list[Any], **extra: Any) -> Json:
    properties: Json = {
        "title": title,
        "region": REGION,
        "view": "timeSeries",
        "stacked": False,
        "period": 300,
        "metrics": metrics,
    }
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": w,
        "height": 6,
        "properties": properties | extra,
    }


def _ours(name: str, job_type: str, stat: str = "Sum", **options: Any) -> list[Any]:
    return [NAMESPACE, name, "service", SERVICE, "JobType", job_type, {"stat": stat} | options]


def _search(query: str, stat: str, label: str, id_: str) -> list[Any]:
    return [{"expression": f"SEARCH('{query}', '{stat}', 300)", "label": label, "id": id_}]


def funnel_row(y: int) -> list[Json]:
    widgets = []
    for x, job_type in ((0, "report"), (8, "podcast")):
        title = f"{job_type.title()} jobs: started, then completed or failed (per 5 min)"
        metrics = [_ours(name, job_type, label=name) for name in FUNNEL]
        widgets.append(_widget(x, y, 8, title, metrics))
    by_reason = (
        f'{{{NAMESPACE},service,JobType,Reason}} MetricName="{Metric.JOBS_FAILED}" '
        f'service="{SERVICE}"'
    )
    reasons = [_search(by_reason, "Sum", "", "f")]
    widgets.append(_widget(16, y, 8, "Failures by reason (errorCode)", reasons))
    return widgets


def durations_row(y: int) -> list[Json]:
    def percentiles(name: str) -> list[Any]:
        return [
            _ours(name, job_type, stat, label=f"{job_type} {stat}")
            for job_type in JOB_TYPES
            for stat in ("p50", "p95")
        ]

    widgets = [
        _widget(0, y, 6, "Start to claim (ms)", percentiles(Metric.START_TO_CLAIM)),
        _widget(6, y, 6, "Job duration, start to end (ms)", percentiles(Metric.JOB_DURATION)),
    ]
    for x, job_type in ((12, "report"), (18, "podcast")):
        query = (
            f'{{{NAMESPACE},service,JobType,Stage}} MetricName="{Metric.STAGE_DURATION}" '
            f'service="{SERVICE}" JobType="{job_type}"'
        )
        title = f"{job_type.title()} stage durations, p95 (ms)"
        widgets.append(_widget(x, y, 6, title, [_search(query, "p95", "", "s")]))
    return widgets


FAILURE_RATE = (
    "100 * (FILL(fr,0) + FILL(fp,0)) / (FILL(fr,0) + FILL(fp,0) + FILL(cr,0) + FILL(cp,0))"
)


def health_row(y: int) -> list[Json]:
    counts = [
        _ours(metric, kind, id=f"{short}{kind[0]}", visible=False)
        for short, metric in (("f", Metric.JOBS_FAILED), ("c", Metric.JOBS_COMPLETED))
        for kind in JOB_TYPES
    ]
    rate = [*counts, [{"expression": FAILURE_RATE, "label": "failed %", "id": "rate"}]]
    stuck = [_ours(Metric.STUCK_JOBS_SEEN, kind, label=kind) for kind in JOB_TYPES]
    queue = ["QueueName", "${FailedWorkerEvents.QueueName}"]
    waiting = [
        ["AWS/SQS", "NumberOfMessagesSent", *queue, {"stat": "Sum", "label": "arrived"}],
        [
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            *queue,
            {"stat": "Maximum", "label": "waiting"},
        ],
    ]
    writes = [
        _ours(Metric.PROGRESS_WRITES, kind, stat, label=f"{kind} {stat}")
        for kind in JOB_TYPES
        for stat in ("Average", "Maximum")
    ]
    return [
        _widget(0, y, 6, "Job failure rate (%)", rate),
        _widget(6, y, 6, "Stuck jobs seen by readers", stuck),
        _widget(12, y, 6, "Failure queue", waiting),
        _widget(18, y, 6, "Progress writes per job", writes),
    ]


def errors_row(y: int) -> list[Json]:
    def per_function(metric: str) -> list[Any]:
        return [
            ["AWS/Lambda", metric, "FunctionName", f"${{{name}}}", {"stat": "Sum", "label": name}]
            for name in FUNCTIONS
        ]

    throttles = [
        ["AWS/DynamoDB", metric, "TableName", f"${{{table}}}", {"stat": "Sum", "label": label}]
        for table in ("JobsTable", "BanksTable")
        for metric, label in (
            ("ReadThrottleEvents", f"{table} reads"),
            ("WriteThrottleEvents", f"{table} writes"),
        )
    ]
    return [
        _widget(0, y, 8, "Lambda errors", per_function("Errors")),
        _widget(8, y, 8, "Lambda throttles", per_function("Throttles")),
        _widget(16, y, 8, "DynamoDB throttle events", throttles),
    ]


def outside_row(y: int) -> list[Json]:
    api = ["ApiName", SERVICE, "Stage", "api"]
    answers = [
        ["AWS/ApiGateway", "5XXError", *api, {"stat": "Average", "label": "5xx share"}],
        ["AWS/ApiGateway", "Latency", *api, {"stat": "p95", "label": "p95 (ms)", "yAxis": "right"}],
    ]
    calls = [
        [NAMESPACE, metric, "service", SERVICE, {"stat": stat, "label": f"{metric} {stat}"}]
        for metric, stat in (
            (Metric.BEDROCK_LATENCY, "p95"),
            (Metric.POLLY_LATENCY, "p95"),
            (Metric.BEDROCK_THROTTLES, "Sum"),
            (Metric.POLLY_THROTTLES, "Sum"),
        )
    ]
    imports = [
        [NAMESPACE, metric, "service", SERVICE, {"stat": "Sum", "label": metric}]
        for metric in (Metric.IMPORT_ROWS, Metric.IMPORT_BANKS, Metric.IMPORT_DURATION)
    ]
    return [
        _widget(0, y, 8, "API: 5xx share and p95 latency", answers),
        _widget(8, y, 8, "Bedrock and Polly: p95 latency (ms), throttles", calls),
        _widget(16, y, 8, "Imports", imports),
    ]


def dashboard(alarm_ids: list[str]) -> Json:
    """The ``AWS::CloudWatch::Dashboard`` resource; ``alarm_ids`` are listed by state."""
    widgets = [*funnel_row(0), *durations_row(6), *health_row(12), *errors_row(18)]
    widgets += outside_row(24)
    alarms = {
        "title": "Alarms (runbook: docs/OPERATIONS.md)",
        "alarms": [f"${{{alarm}.Arn}}" for alarm in alarm_ids],
    }
    widgets.append(
        {"type": "alarm", "x": 0, "y": 30, "width": 24, "height": 4, "properties": alarms}
    )
    body = json.dumps({"widgets": widgets}, separators=(",", ":"))
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": "${AWS::StackName}-operations"},
            "DashboardBody": {"Fn::Sub": body},
        },
    }
