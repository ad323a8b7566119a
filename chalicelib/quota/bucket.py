"""The token bucket's rules, free of DynamoDB: how a model's quota refills, what a call may
take, and how long it waits when it may not take yet.

Amazon Bedrock limits tokens per minute per model and account; a call counts its input and
its ``maxTokens`` when it starts and is corrected to what it used when it ends. The bucket
does the same before Bedrock does: a call reserves its estimate, gives back what it did not
use, and waits when the bucket cannot cover it. So that no rolling minute exceeds the quota,
the bucket holds at most a quarter of a minute's tokens and refills at 70 % of the quota
(any minute: the burst plus one minute's refill is 95 % of the quota, the rest headroom for
the moments between a take and the call reaching the model).

Interactive calls (a person pressed Generate) may take the bucket down to empty; batch
calls only down to a floor kept for them, so a person's report goes ahead of a batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

BURST_SHARE = 0.25  # of a minute's quota the bucket can hold
HEADROOM = 0.05  # for calls taken just before a minute begins that reach the model inside it
REFILL_SHARE = 1 - BURST_SHARE - HEADROOM  # of the quota it refills per minute
INTERACTIVE_SHARE = 0.5  # of the bucket kept for interactive calls
CHARS_PER_TOKEN = 3  # fewer than the ~4 of English text: an estimate that errs high
MAX_WAIT_SECONDS = 5.0  # a waiting call looks again at least this often


class Priority(StrEnum):
    INTERACTIVE = "interactive"
    BATCH = "batch"


@dataclass(frozen=True)
class Quota:
    """One model's quota: ``tokens_per_minute`` as Bedrock states it for the account."""

    model_id: str
    tokens_per_minute: int

    @property
    def capacity(self) -> int:
        return max(1, int(self.tokens_per_minute * BURST_SHARE))

    @property
    def refill_per_second(self) -> float:
        return self.tokens_per_minute * REFILL_SHARE / 60

    def floor(self, priority: Priority) -> int:
        """The fewest tokens a call of ``priority`` must leave in the bucket."""
        return 0 if priority is Priority.INTERACTIVE else int(self.capacity * INTERACTIVE_SHARE)

    def largest_call(self, priority: Priority) -> int:
        """A call's reservation is capped so that a full bucket always covers it (Bedrock
        still counts the call whole: a quota this small is a setting to correct)."""
        return self.capacity - self.floor(priority)


@dataclass(frozen=True)
class Bucket:
    """The stored state: ``tokens`` as of ``at`` (epoch milliseconds)."""

    tokens: float
    at: int

    @classmethod
    def full(cls, quota: Quota, now_ms: int) -> Bucket:
        return cls(float(quota.capacity), now_ms)

    def refilled(self, quota: Quota, now_ms: int) -> float:
        """The tokens at ``now_ms``: refilled since ``at``, never above the capacity (a bucket
        in debt from a call that used more than it reserved refills from below zero)."""
        elapsed = max(0, now_ms - self.at) / 1000
        return min(float(quota.capacity), self.tokens + elapsed * quota.refill_per_second)


@dataclass(frozen=True)
class Take:
    """The write that takes ``amount``: the bucket holds ``tokens`` as of now, provided it
    still holds what was seen (``seen``; None: no bucket stored yet)."""

    amount: int
    tokens: int
    seen: Bucket | None


def estimate(text_chars: int, max_tokens: int) -> int:
    """The tokens a call may count: its input, estimated from its length, and ``maxTokens``."""
    return math.ceil(text_chars / CHARS_PER_TOKEN) + max_tokens


def plan_take(
    quota: Quota, stored: Bucket | None, amount: int, priority: Priority, now_ms: int
) -> Take | float:
    """The write taking ``amount`` now, or the seconds to wait before it can be taken."""
    amount = min(amount, quota.largest_call(priority))
    bucket = stored or Bucket.full(quota, now_ms)
    tokens = bucket.refilled(quota, now_ms)
    floor = quota.floor(priority)
    if tokens - amount < floor:
        missing = amount + floor - tokens
        return min(MAX_WAIT_SECONDS, missing / quota.refill_per_second)
    # Whole tokens, rounded down: what is stored compares exactly, and errs on the side
    # of the quota. The write lands only on the bucket seen, so nothing taken or given back
    # meanwhile is lost or counted twice.
    return Take(amount, math.floor(tokens - amount), stored)
