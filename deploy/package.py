"""``make package``: build the deployment (SAM template + code zip) and lint the template.

Runs ``chalice package --stage dev --merge-template <out>/merge-template.json <out>`` (a
region is all it needs; no credentials, but network to the package index for
``requirements.txt``) and then ``cfn-lint`` on ``<out>/sam.json``. Exit status 0 only when
both succeed. The merge template is ``infra/resources.json`` and ``infra/observability.json``
(alarms, dashboard, tracing) deep-merged into one, as Chalice takes only one.

Route protection is decided here, at packaging time: Chalice imports ``app.py`` to write
the API definition, so ``API_AUTH`` (and ``COGNITO_USER_POOL_ARN``) must be set in this
process's environment — see ``chalicelib/api/auth.py`` and docs/DEPLOY.md. Unset, people
sign in (the stack's own Cognito user pool, ``infra/auth.json``, unless
``COGNITO_USER_POOL_ARN`` names one) and programs send their own API key to a second API
(``add_programs_api``); ``API_AUTH=api_key`` takes programs' keys only; ``API_AUTH=none``
packages an open API, with a warning.
The same goes for ``CORS_ORIGINS`` (``chalicelib/api/edge.py``). The settings packaged
are also written into the API function's environment, so that the deployed function
imports the app exactly as it was packaged (its CORS headers, its OpenAPI document).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.api.auth import auth_mode, route_auth
from chalicelib.api.edge import cors_config
from chalicelib.errors import ConfigError

PROJECT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = "infra/resources.json"
MERGE_TEMPLATES = (MERGE_TEMPLATE, "infra/observability.json")
AUTH_TEMPLATE = "infra/auth.json"  # the user pool, its app client and admins group
PROGRAMS_API = "ProgramsAPI"
API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}
DEFAULT_REGION = "us-east-1"
# The on-failure queue's name as the stack gives it (FailedWorkerEvents in the merge
# template); Chalice writes the SQS event source from it (see FAILURE_QUEUE in app.py).
FAILED_EVENTS_QUEUE = "${AWS::StackName}-failed-worker-events"
BATCH_QUEUE = "${AWS::StackName}-batch-items"  # BatchItemQueue's QueueName (BATCH_QUEUE in app.py)
# Read when app.py is imported: what is packaged must be what the deployed function imports.
PACKAGING_SETTINGS = ("API_AUTH", "COGNITO_USER_POOL_ARN", "CORS_ORIGINS")
API_FUNCTION = "APIHandler"
BATCH_FUNCTION = "BatchItems"
OPEN_API_WARNING = (
    "Warning: API_AUTH=none packages an open API: anyone who finds its address can start "
    "jobs and read every bank's research. Leave API_AUTH unset for sign-in (the default) or "
    "use API_AUTH=api_key for programs' keys only."
)


def packaged_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The settings the API is packaged with, checked (a ``ConfigError`` says what to set)."""
    route_auth(env)  # checks API_AUTH and, with cognito, the pool's ARN
    cors_config(env)
    settings = {"API_AUTH": auth_mode(env)}
    for name in PACKAGING_SETTINGS[1:]:
        value = env.get(name, "").strip()
        if value:
            settings[name] = value
    return settings


def merge_sources(settings: Mapping[str, str]) -> tuple[str, ...]:
    """The infra files merged for these settings: the user pool only for sign-in."""
    return (
        (*MERGE_TEMPLATES, AUTH_TEMPLATE) if settings["API_AUTH"] == "cognito" else MERGE_TEMPLATES
    )


def finish_template(template_path: Path, settings: Mapping[str, str]) -> None:
    """Complete ``sam.json`` after ``chalice package``: the packaged settings in the API
    function's environment; with sign-in, an existing pool where one is named, and the
    programs' API beside the people's; and where programs' keys are issued."""
    template = json.loads(template_path.read_text(encoding="utf-8"))
    report_partial_failures(template)
    variables = _api_variables(template)
    variables.update(settings)
    keys_api = "RestAPI"
    if settings["API_AUTH"] == "cognito":
        if settings.get("COGNITO_USER_POOL_ARN"):
            use_existing_pool(template, settings["COGNITO_USER_POOL_ARN"])
        add_programs_api(template)
        keys_api = PROGRAMS_API
    if settings["API_AUTH"] != "none":
        variables["PROGRAMS_API_ID"] = {"Ref": keys_api}
        template.setdefault("Outputs", {}).update(
            {
                "ProgramsEndpointURL": {
                    "Description": "Where programs call the API with their own key "
                    "(bank-research admin key create NAME).",
                    "Value": {"Fn::Sub": _endpoint_url(keys_api)},
                },
                "ProgramsRestApiId": {"Value": {"Ref": keys_api}},
            }
        )
    template_path.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")


def report_partial_failures(template: dict[str, Any]) -> None:
    """Let the batch function hand back only the items that failed: Chalice writes no
    ``FunctionResponseTypes``, and without it Lambda reads a returned list of failures as
    a whole success and deletes every message."""
    events = template["Resources"][BATCH_FUNCTION]["Properties"].get("Events", {})
    for event in events.values():
        if event.get("Type") == "SQS":
            event["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]


def _api_variables(template: dict[str, Any]) -> dict[str, Any]:
    properties = template["Resources"][API_FUNCTION]["Properties"]
    variables: dict[str, Any] = properties.setdefault("Environment", {}).setdefault("Variables", {})
    return variables


def _endpoint_url(api: str) -> str:
    return f"https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/api/"


def use_existing_pool(template: dict[str, Any], arn: str) -> None:
    """People sign in with the pool ``arn`` names: the stack makes only its app client there
    (that pool needs its own admins group)."""
    pool_id = arn.rsplit("/", 1)[1]
    resources = template["Resources"]
    for name in ("UserPool", "AdminsGroup"):
        resources.pop(name, None)
    resources["UserPoolClient"]["Properties"]["UserPoolId"] = pool_id
    _api_variables(template)["COGNITO_USER_POOL_ID"] = pool_id
    template["Outputs"]["UserPoolId"]["Value"] = pool_id


def add_programs_api(template: dict[str, Any]) -> None:
    """A second REST API, ``ProgramsAPI``, for programs: the people's ``/api`` routes with an
    API key required where the people's need a token, invoking the same function.

    API Gateway takes one kind of credentials per method (a Cognito token and an API key on
    one method would both be required), so people and programs come through two doors to
    one function: each caller is still its own (a token's ``sub`` or a key's id), and each
    program's key has its own usage plan on this API's stage (docs/DEPLOY.md)."""
    resources = template["Resources"]
    api = copy.deepcopy(resources["RestAPI"])
    body = api["Properties"]["DefinitionBody"]
    body["info"]["title"] = {"Fn::Sub": "${AWS::StackName}-programs"}
    body["paths"] = {
        path: {method: _keyed(operation) for method, operation in operations.items()}
        for path, operations in body["paths"].items()
        if path.startswith("/api/")
    }
    body["securityDefinitions"] = {"api_key": dict(API_KEY_SCHEME)}
    api["Metadata"] = {
        "Comment": "The programs' door (deploy/package.py add_programs_api): the same routes "
        "and function as RestAPI, with each program's own API key and usage plan instead of "
        "a person's sign-in; keys are issued by bank-research admin key create NAME."
    }
    resources[PROGRAMS_API] = api
    permission = copy.deepcopy(resources["APIHandlerInvokePermission"])
    permission["Properties"]["SourceArn"]["Fn::Sub"][1] = {"RestAPIId": {"Ref": PROGRAMS_API}}
    resources["ProgramsAPIInvokePermission"] = permission


def _keyed(operation: dict[str, Any]) -> dict[str, Any]:
    if operation.get("security"):
        return {**operation, "security": [{"api_key": []}]}
    return operation


def _tool(name: str) -> str:
    """The tool from this interpreter's environment (the project's .venv), not the PATH."""
    return str(Path(sys.executable).parent / name)


def package_command(
    out_dir: Path, stage: str = "dev", merge_template: str | Path = MERGE_TEMPLATE
) -> list[str]:
    return [
        _tool("chalice"),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out_dir),
    ]


def merged_template(out_dir: Path, sources: Sequence[str] = MERGE_TEMPLATES) -> Path:
    """The infra files deep-merged into ``<out>/merge-template.json``: objects merge key by
    key; any other value set differently by two files is an error naming where."""

    def merge(into: Any, more: Any, where: str) -> Any:
        if isinstance(into, dict) and isinstance(more, dict):
            merged = dict(into)
            for key, value in more.items():
                merged[key] = merge(into[key], value, f"{where}.{key}") if key in into else value
            return merged
        if into != more:
            raise ValueError(f"{' and '.join(sources)} both set {where.lstrip('.')}")
        return into

    template: dict[str, Any] = {}
    for source in sources:
        template = merge(template, json.loads((PROJECT / source).read_text(encoding="utf-8")), "")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "merge-template.json"
    target.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")
    return target


def lint_command(template: Path, region: str) -> list[str]:
    return [_tool("cfn-lint"), "--regions", region, "--", str(template)]


def drop_bytecode(root: Path = PROJECT / "chalicelib") -> None:
    """Chalice zips ``chalicelib/`` as it lies, ``__pycache__`` included: compiled copies of
    modules since deleted would ship with the code."""
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


@contextlib.contextmanager
def _one_packaging_at_a_time() -> Iterator[None]:
    """``chalice package`` keeps one build cache per project (``.chalice/deployments``):
    a second run that starts while the first writes it copies a half-written zip. Two runs
    at once (two test workers, two terminals) wait for each other instead."""
    lock_path = PROJECT / ".chalice" / "package.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(
    out_dir: Path, stage: str = "dev", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Package the app into ``out_dir``; output is captured for the caller to show.

    Raises ``ConfigError`` when the packaging settings are wrong (before packaging)."""
    environment = dict(os.environ if env is None else env)
    settings = packaged_settings(environment)
    # As the shell's ${AWS_DEFAULT_REGION:-us-east-1}: unset or empty means the default.
    environment["AWS_DEFAULT_REGION"] = environment.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    environment["FAILED_EVENTS_QUEUE"] = FAILED_EVENTS_QUEUE
    environment["BATCH_QUEUE"] = BATCH_QUEUE
    with _one_packaging_at_a_time():
        drop_bytecode()
        packaged = subprocess.run(
            package_command(out_dir, stage, merged_template(out_dir, merge_sources(settings))),
            cwd=PROJECT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if packaged.returncode == 0:
        finish_template(out_dir / "sam.json", settings)
    return packaged


def lint(template: Path, region: str | None = None) -> subprocess.CompletedProcess[str]:
    region = region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    return subprocess.run(
        lint_command(template, region), cwd=PROJECT, capture_output=True, text=True, check=False
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="out", help="output folder (default: out)")
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    args = parser.parse_args(argv)
    out_dir = (PROJECT / args.out).resolve()

    try:
        if auth_mode() == "none":
            print(OPEN_API_WARNING, file=sys.stderr)
        packaged = build(out_dir, args.stage)
    except ConfigError as problem:
        print(problem.message, file=sys.stderr)
        return 2
    sys.stdout.write(packaged.stdout)
    sys.stderr.write(packaged.stderr)
    if packaged.returncode != 0:
        print(
            "Packaging failed (see above). It needs network access to the Python package "
            "index for requirements.txt.",
            file=sys.stderr,
        )
        return packaged.returncode

    template = out_dir / "sam.json"
    linted = lint(template)
    sys.stdout.write(linted.stdout)
    sys.stderr.write(linted.stderr)
    if linted.returncode != 0:
        print(f"cfn-lint found problems in {template} (listed above).", file=sys.stderr)
        return linted.returncode
    print(f"Packaged and linted: {template} and {out_dir / 'deployment.zip'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
