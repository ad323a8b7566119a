"""A local worker's environment is Lambda's: the X-Ray SDK sees a Lambda function (no
sampling client built at import) and tracing is off, as there is no daemon to send to."""

from __future__ import annotations

import subprocess
import sys

from devstack.lambda_local.functions import FunctionSpec
from devstack.lambda_local.process import worker_environment
from tests.e2e.local_stack import ROOT

PROBE = (
    "from chalicelib import telemetry\n"
    "from aws_xray_sdk.core import xray_recorder\n"
    "print(type(xray_recorder.sampler).__name__, type(xray_recorder.context).__name__,"
    " telemetry.tracer.disabled)\n"
)


def test_a_worker_imports_the_app_as_lambda_would() -> None:
    spec = FunctionSpec("bank-research-local-report_worker", "report_worker", "app.report_worker")
    env = worker_environment(spec, {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin"})
    assert env["LAMBDA_TASK_ROOT"] == str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["LocalSampler", "LambdaContext", "True"]
