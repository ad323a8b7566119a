"""The token bucket's one item in the Jobs table (``QUOTA#{model}`` / ``BUCKET``): every worker
reserves from it before calling the model and gives back what the call did not use.

Two writes, each one guarded step (the rules in ``bucket``):
- a take: ``SET tokens = :left, at = :now`` if the bucket is as last seen (its time and its
  tokens); a refusal hands back the bucket as it is
  (``ReturnValuesOnConditionCheckFailure``), so a take needs no read: one write a call;
- a give-back: ``ADD tokens :unused``, unguarded, as it only raises the tokens (or lowers
  them for a call that used more than it reserved: the bucket then refills from a debt).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.policy import error_code
from chalicelib.clock import Clock
from chalicelib.quota.bucket import Bucket, Priority, Quota, Take, estimate, plan_take

# The take's rule (``bucket.plan_take``): the bucket is as seen (nobody took or gave back
# since), so the tokens it leaves are the ones planned, never below the floor.
TAKE_AFTER_READ = "#at = :seenAt AND #tokens = :seenTokens"
TAKE_FIRST = "attribute_not_exists(#at)"  # no take yet (a give-back alone holds no time)
_NAMES = {"#tokens": "tokens", "#at": "at"}


@dataclass(frozen=True)
class Reservation:
    amount: int


class ModelQuota:
    """Reserve before a model call, settle after it: the bucket of ``quota.model_id``."""

    def __init__(
        self,
        table: Any,
        quota: Quota,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table
        self.quota = quota
        self._clock = clock
        self._sleep = sleep
        self._key = {"pk": f"QUOTA#{quota.model_id}", "sk": "BUCKET"}
        # The bucket as this process last saw it: a take is tried on it, and a lost race
        # answers with the bucket as it is (no read of its own, before or after). What other
        # workers took or gave back since is seen at the next refused take: a wait errs
        # long, never short.
        self._seen: Bucket | None = None

    def reserve(self, text_chars: int, max_tokens: int, priority: Priority) -> Reservation:
        """Wait until the bucket covers the call, then take its estimate."""
        amount = estimate(text_chars, max_tokens)
        while True:
            plan = plan_take(self.quota, self._seen, amount, priority, self._now_ms())
            if not isinstance(plan, Take):
                self._sleep(plan)
                continue
            taken, found = self._take(plan)
            if taken:
                return Reservation(plan.amount)
            self._seen = found

    def settle(self, reservation: Reservation, used: int) -> None:
        """Give back what the call did not use (take what it used beyond its reservation)."""
        unused = reservation.amount - used
        if unused and self._seen is not None:  # what this process knows it gave back
            self._seen = Bucket(self._seen.tokens + unused, self._seen.at)
        if unused:  # only the bucket's tokens change: a take planned before it is refused
            self._table.update_item(
                Key=self._key,
                UpdateExpression="ADD #tokens :unused",
                ExpressionAttributeNames={"#tokens": "tokens"},
                ExpressionAttributeValues={":unused": unused},
            )

    def _take(self, plan: Take) -> tuple[bool, Bucket | None]:
        now = self._now_ms()
        values: dict[str, Any] = {":tokens": plan.tokens, ":now": now}
        if plan.seen is None:
            condition = TAKE_FIRST
        else:
            condition = TAKE_AFTER_READ
            values |= {":seenAt": plan.seen.at, ":seenTokens": int(plan.seen.tokens)}
        try:
            self._table.update_item(
                Key=self._key,
                UpdateExpression="SET #tokens = :tokens, #at = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False, _bucket(exc.response.get("Item"))
        self._seen = Bucket(float(plan.tokens), now)
        return True, None

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)


def _bucket(item: dict[str, Any] | None) -> Bucket | None:
    """The bucket in a refused write's ``ALL_OLD`` answer (DynamoDB's own JSON)."""
    if not item or "at" not in item:
        return None
    return Bucket(float(item["tokens"]["N"]), int(item["at"]["N"]))


def _number(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))
