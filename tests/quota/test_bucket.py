"""The token bucket's rules: refill, the floor kept for people, waits, the largest call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.quota.bucket import Bucket, Priority, Quota, Take, estimate, plan_take

QUOTA = Quota("model", tokens_per_minute=60_000)  # holds 15 000, refills 700 a second


def test_a_full_bucket_holds_a_quarter_of_a_minute_and_refills_within_the_rest() -> None:
    assert QUOTA.capacity == 15_000
    assert QUOTA.refill_per_second == pytest.approx(700)
    # Any minute: the burst and a minute's refill, inside the quota with 5 % to spare.
    assert QUOTA.capacity + 60 * QUOTA.refill_per_second == pytest.approx(57_000)


def test_the_first_take_starts_from_a_full_bucket() -> None:
    take = plan_take(QUOTA, None, 3_000, Priority.INTERACTIVE, now_ms=1_000)
    assert take == Take(3_000, 12_000, None)


def test_a_bucket_refills_with_time_up_to_its_capacity() -> None:
    bucket = Bucket(1_000.0, at=0)
    assert bucket.refilled(QUOTA, 2_000) == pytest.approx(2_400)
    assert bucket.refilled(QUOTA, 600_000) == QUOTA.capacity
    assert Bucket(-500.0, at=0).refilled(QUOTA, 1_000) == pytest.approx(200)  # a debt refills


def test_a_batch_call_leaves_the_interactive_share_and_waits_for_it() -> None:
    bucket = Bucket(9_100.0, at=0)
    assert isinstance(plan_take(QUOTA, bucket, 2_000, Priority.INTERACTIVE, 0), Take)
    wait = plan_take(QUOTA, bucket, 2_000, Priority.BATCH, 0)
    # 9 100 - 2 000 leaves 7 100, under the 7 500 kept: 400 more at 700 a second.
    assert wait == pytest.approx(400 / 700)


def test_a_long_wait_is_looked_at_again_in_steps() -> None:
    wait = plan_take(QUOTA, Bucket(0.0, at=0), 10_000, Priority.INTERACTIVE, 0)
    assert wait == 5.0


def test_a_call_larger_than_the_bucket_is_capped_so_it_can_ever_go() -> None:
    take = plan_take(QUOTA, None, 50_000, Priority.BATCH, 0)
    assert isinstance(take, Take) and take.amount == QUOTA.largest_call(Priority.BATCH) == 7_500


def test_the_estimate_counts_the_input_generously_and_the_whole_answer() -> None:
    assert estimate(text_chars=3_000, max_tokens=1_200) == 2_200


@given(
    tokens=st.integers(-5_000, 10_000), at=st.integers(0, 10**6), later=st.integers(0, 10**6),
    amount=st.integers(1, 20_000), priority=st.sampled_from(list(Priority)),
)  # fmt: skip
def test_a_take_never_leaves_less_than_the_floor_nor_more_than_the_bucket_holds(
    tokens: int, at: int, later: int, amount: int, priority: Priority
) -> None:
    seen = Bucket(float(tokens), at)
    plan = plan_take(QUOTA, seen, amount, priority, at + later)
    if isinstance(plan, Take):
        assert plan.amount <= QUOTA.largest_call(priority) and plan.seen == seen
        assert QUOTA.floor(priority) <= plan.tokens <= QUOTA.capacity - plan.amount
    else:
        assert 0 < plan <= 5.0
