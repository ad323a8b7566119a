"""Shared fixtures: moto-backed AWS built from ``infra/resources.json``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from devstack.emulator import patch_moto
from devstack.resources import ResourceNames, create_all
from tests.moto_account import Aws

REGION = "us-east-1"

# Property tests: a bounded number of examples in `make test`, many more in `make soak`.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.filter_too_much]
settings.register_profile(
    "ci", max_examples=200, stateful_step_count=30, deadline=None,
    suppress_health_check=_SLOW_IS_FINE,
)  # fmt: skip
settings.register_profile(
    "soak", max_examples=int(os.environ.get("SOAK_EXAMPLES") or 5_000), stateful_step_count=60,
    deadline=None,
    suppress_health_check=_SLOW_IS_FINE,
)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


NAMES = ResourceNames(
    jobs_table="test-jobs", banks_table="test-banks", artifacts_bucket="test-artifacts"
)


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever reaches real AWS: fake credentials, one region, our resource names."""
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for variable, value in NAMES.as_env().items():
        monkeypatch.setenv(variable, value)


@pytest.fixture(autouse=True)
def _metrics_sent_by_their_test() -> Iterator[None]:
    """Values a test left waiting are sent as it ends, not into the next test's output."""
    yield
    from chalicelib import telemetry

    telemetry.flush()


@pytest.fixture
def aws() -> Iterator[Aws]:
    """A fresh moto account holding the project's tables and bucket, answering as the local
    stack's emulator does."""
    patch_moto()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        create_all(dynamodb, s3, NAMES)
        resource = boto3.resource("dynamodb", region_name=REGION)
        yield Aws(
            dynamodb=dynamodb,
            s3=s3,
            jobs_table=resource.Table(NAMES.jobs_table),
            banks_table=resource.Table(NAMES.banks_table),
            bucket=NAMES.artifacts_bucket,
            names=NAMES,
        )
