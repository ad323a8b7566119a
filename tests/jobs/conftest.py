"""What the job core's tests share: a fake clock and a job store over the moto Jobs table."""

from __future__ import annotations

import pytest

from chalicelib.jobs.store import JobStore
from tests.fakes import FakeClock
from tests.moto_account import Aws


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(aws: Aws, clock: FakeClock) -> JobStore:
    return JobStore(aws.jobs_table, clock)
