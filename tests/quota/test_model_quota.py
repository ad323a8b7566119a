"""The shared bucket on the Jobs table: every worker reserves before it calls the model, so
a fake Bedrock that throttles above its quota is never pushed over it, and a person's call
goes ahead of a batch's."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest

from chalicelib.bedrock import Converse
from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.quota import priority
from chalicelib.quota.bucket import Priority, Quota
from chalicelib.quota.table import ModelQuota, Reservation
from tests.moto_account import Aws
from tests.quota.quota_bedrock import QuotaBedrock

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
SCALE = 60.0  # one second here is a minute of the model's quota


class ScaledClock:
    """Time that runs ``SCALE`` times faster than the wall clock, for every thread."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def now(self) -> float:
        return 1_700_000_000 + (time.monotonic() - self._started) * SCALE

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / SCALE)


class FakeClock:
    def __init__(self) -> None:
        self.at = 1_700_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += seconds


def test_calls_of_many_workers_never_pass_the_models_quota(aws: Aws) -> None:
    clock, quota = ScaledClock(), Quota(MODEL, tokens_per_minute=30_000)
    bedrock = QuotaBedrock(quota.tokens_per_minute, clock.now, clock.sleep)
    refused: list[str] = []
    ends = time.monotonic() + 4.0  # four minutes of the quota

    def worker(lane: Priority) -> None:
        table = boto3.session.Session().resource("dynamodb").Table(aws.names.jobs_table)
        converse = Converse(
            bedrock.client,
            MODEL,
            sleep=clock.sleep,
            quota=ModelQuota(table, quota, clock, clock.sleep),
        )
        with priority.batch_work() if lane is Priority.BATCH else _nothing():
            while time.monotonic() < ends:
                converse("You write.", "x" * 1_500, max_tokens=1_200, temperature=0.2,
                         refused=lambda code: _refusal(refused, code),
                         unreachable=lambda: _refusal(refused, "unreachable"))  # fmt: skip

    lanes = [Priority.BATCH] * 6 + [Priority.INTERACTIVE] * 2
    threads = [threading.Thread(target=worker, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    assert bedrock.throttled == 0  # the quota was never reached
    assert bedrock.most_in_a_minute <= quota.tokens_per_minute
    assert bedrock.answered >= 20, bedrock.answered  # and the calls went on


def test_a_batch_call_waits_for_the_share_kept_for_people(aws: Aws) -> None:
    clock, quota = FakeClock(), Quota(MODEL, tokens_per_minute=40_000)  # holds 10 000
    bucket = ModelQuota(aws.jobs_table, quota, clock, clock.sleep)
    first = bucket.reserve(text_chars=0, max_tokens=4_000, priority=Priority.INTERACTIVE)
    assert first == Reservation(4_000) and clock.slept == []
    # 6 000 left: a batch call of 2 000 must leave 5 000, so it waits for 1 000 more.
    bucket.reserve(text_chars=0, max_tokens=2_000, priority=Priority.BATCH)
    assert sum(clock.slept) == pytest.approx(1_000 / quota.refill_per_second, rel=0.01)
    clock.slept.clear()
    # A person's call of 5 000 takes the share kept for people at once.
    bucket.reserve(text_chars=0, max_tokens=5_000, priority=Priority.INTERACTIVE)
    assert clock.slept == []


def test_what_a_call_did_not_use_is_given_back(aws: Aws) -> None:
    clock, quota = FakeClock(), Quota(MODEL, tokens_per_minute=40_000)
    bucket = ModelQuota(aws.jobs_table, quota, clock, clock.sleep)
    held = bucket.reserve(text_chars=0, max_tokens=10_000, priority=Priority.INTERACTIVE)
    bucket.settle(held, used=2_500)
    bucket.reserve(text_chars=0, max_tokens=7_500, priority=Priority.INTERACTIVE)
    assert clock.slept == []  # the 7 500 given back covered it
    item = aws.jobs_table.get_item(Key={"pk": f"QUOTA#{MODEL}", "sk": "BUCKET"})["Item"]
    assert item["tokens"] == 0


def test_a_throttled_call_waits_and_its_job_goes_on(aws: Aws) -> None:
    """Throttled anyway (another program on the account): waited out, not failed."""
    clock, quota = FakeClock(), Quota(MODEL, tokens_per_minute=40_000)
    bedrock = QuotaBedrock(3_000, clock.now, clock.sleep)  # the account's real limit is lower
    converse = Converse(bedrock.client, MODEL, sleep=clock.sleep,
                        quota=ModelQuota(aws.jobs_table, quota, clock, clock.sleep))  # fmt: skip
    for _ in range(4):
        answer = converse("s", "p" * 400, max_tokens=1_200, temperature=0.2,
                          refused=RuntimeError, unreachable=RuntimeError)  # fmt: skip
        assert answer["usage"]["totalTokens"] > 0
    assert bedrock.throttled > 0 and bedrock.answered == 4


def _refusal(refused: list[str], code: str) -> Exception:
    refused.append(code)
    return RuntimeError(code)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def test_the_quota_is_a_setting_and_a_bad_one_says_so() -> None:
    base = {"JOBS_TABLE": "j", "BANKS_TABLE": "b", "ARTIFACTS_BUCKET": "a"}
    assert Settings.from_env(base).model_tokens_per_minute == 200_000
    assert Settings.from_env(base | {"MODEL_TOKENS_PER_MINUTE": "0"}).model_tokens_per_minute == 0
    with pytest.raises(ConfigError, match="MODEL_TOKENS_PER_MINUTE"):
        Settings.from_env(base | {"MODEL_TOKENS_PER_MINUTE": "lots"})
