"""Which functions the local Lambda serves, and with which settings.

Names, timeouts and memory come from the app's registrations and ``.chalice/config.json``
(as ``chalice package`` reads them); retries, maximum event age and the on-failure
destination from the ``AWS::Lambda::EventInvokeConfig`` resources in
``infra/resources.json``, so that the local stack and the deployment cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT
from chalice.utils import to_cfn_resource_name

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Lambda's defaults for a function without an EventInvokeConfig.
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class FunctionSpec:
    """One function as Lambda would hold it (times unscaled, in seconds)."""

    name: str  # the deployed name, e.g. bank-research-local-report_worker
    short_name: str  # the name given to Chalice, e.g. report_worker
    handler: str  # module.attribute, e.g. app.report_worker
    timeout_seconds: int = DEFAULT_LAMBDA_TIMEOUT
    memory_mb: int = DEFAULT_LAMBDA_MEMORY_SIZE
    environment: Mapping[str, str] = field(default_factory=dict)
    max_retries: int = DEFAULT_MAX_RETRIES
    max_event_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS
    on_failure_queue: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    def runtime_variables(self) -> dict[str, str]:
        """The variables Lambda sets in a function's environment (what its context reads)."""
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_REGION": REGION,
            "_HANDLER": self.handler,
        }


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source mapping: ``function`` polls ``queue`` in batches."""

    function: str  # deployed name
    queue: str
    batch_size: int = 1
    maximum_concurrency: int | None = None  # None: one poller, as a mapping without a limit starts


@dataclass(frozen=True)
class Catalog:
    functions: Mapping[str, FunctionSpec]
    queue_sources: tuple[QueueSource, ...] = ()
    skipped: tuple[str, ...] = ()  # sentences about registrations that cannot run locally

    def find(self, function_name: str) -> FunctionSpec | None:
        """A function by name, ARN or partial ARN, unqualified or ``$LATEST``."""
        name = function_name
        if ":function:" in name or name.startswith("arn:"):
            name = name.split(":function:", 1)[-1]
        name, _, qualifier = name.partition(":")
        if qualifier not in ("", "$LATEST"):
            return None
        return self.functions.get(name)


@dataclass(frozen=True)
class InvokeConfig:
    max_retries: int = DEFAULT_MAX_RETRIES
    max_event_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS
    on_failure_logical_id: str | None = None


def invoke_configs(template: Mapping[str, Any]) -> dict[str, InvokeConfig]:
    """``EventInvokeConfig`` settings by the logical id of the function they configure."""
    configs: dict[str, InvokeConfig] = {}
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::EventInvokeConfig":
            continue
        properties = resource.get("Properties", {})
        target = properties.get("FunctionName")
        if not (isinstance(target, dict) and "Ref" in target):
            continue
        destination = (
            properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        )
        on_failure = None
        if isinstance(destination, dict) and "Fn::GetAtt" in destination:
            on_failure = destination["Fn::GetAtt"][0]
        configs[target["Ref"]] = InvokeConfig(
            max_retries=int(properties.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            max_event_age_seconds=int(
                properties.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS)
            ),
            on_failure_logical_id=on_failure,
        )
    return configs


def build_catalog(
    description: Mapping[str, Any],
    chalice_config: Mapping[str, Any],
    template: Mapping[str, Any],
    queue_names: Mapping[str, str],
    stage: str = "local",
) -> Catalog:
    """The functions of an app described by ``worker --describe``, for ``stage``.

    ``queue_names`` maps the template's queue logical ids to the local queues' names.
    """
    app_name = str(chalice_config.get("app_name") or description["appName"])
    configs = invoke_configs(template)
    functions: dict[str, FunctionSpec] = {}
    sources: list[QueueSource] = []
    skipped: list[str] = []
    registrations = [(entry, None) for entry in description.get("functions", [])] + [
        (entry, entry) for entry in description.get("queues", [])
    ]
    for entry, queue_entry in registrations:
        short = str(entry["name"])
        scoped = Config(
            chalice_stage=stage, function_name=short, config_from_disk=dict(chalice_config)
        )
        invoke = configs.get(to_cfn_resource_name(short), InvokeConfig())
        spec = FunctionSpec(
            name=f"{app_name}-{stage}-{short}",
            short_name=short,
            handler=str(entry["handler"]),
            timeout_seconds=int(scoped.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
            memory_mb=int(scoped.lambda_memory_size or DEFAULT_LAMBDA_MEMORY_SIZE),
            environment=dict(scoped.environment_variables),
            max_retries=invoke.max_retries,
            max_event_age_seconds=invoke.max_event_age_seconds,
            on_failure_queue=_queue_name(invoke.on_failure_logical_id, queue_names, skipped),
        )
        functions[spec.name] = spec
        if queue_entry is not None:
            queue = _source_queue(queue_entry, set(queue_names.values()))
            if queue is None:
                skipped.append(
                    f"The SQS handler {short} listens to "
                    f"{queue_entry.get('queue') or queue_entry.get('queueArn')}, a queue the "
                    "local stack does not create, so it is not polled."
                )
            else:
                limit = entry.get("maximumConcurrency")
                sources.append(
                    QueueSource(spec.name, queue, int(entry.get("batchSize", 1)),
                                int(limit) if limit else None)
                )  # fmt: skip
    return Catalog(functions, tuple(sources), tuple(skipped))


def _queue_name(
    logical_id: str | None, queue_names: Mapping[str, str], notes: list[str]
) -> str | None:
    if logical_id is None:
        return None
    if logical_id not in queue_names:
        notes.append(f"The on-failure destination {logical_id} is not a local queue.")
        return None
    return queue_names[logical_id]


def _source_queue(entry: Mapping[str, Any], local_queues: set[str]) -> str | None:
    queue = entry.get("queue") or str(entry.get("queueArn") or "").rsplit(":", 1)[-1]
    return queue if queue in local_queues else None


def load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded
