"""Fair limits on starts (``rules.UNDER_LIMIT``): one counter item per caller and minute in
the Jobs table, counted with one conditional ``UpdateItem``, expiring soon after."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock
from chalicelib.jobs import items, rules
from chalicelib.jobs.conditions import ConditionFailed, conditional
from chalicelib.jobs.errors import StartLimited
from chalicelib.jobs.model import Caller

COUNTER_SLACK_SECONDS = 120
"""A start counter outlives its minute by this much (its TTL)."""


class StartLimiter:
    """At most ``per_minute`` starts of one caller in each clock minute."""

    def __init__(self, table: Any, clock: Clock, per_minute: int) -> None:
        self._table = table
        self._clock = clock
        self.per_minute = per_minute

    def count(self, caller: Caller) -> None:
        """Count one start of ``caller`` in this minute, or raise ``StartLimited`` once it
        has sent ``per_minute`` already."""
        now, limit = self._clock.now(), self.per_minute
        window = rules.start_window(now)
        values = {
            ":one": 1,
            ":limit": limit,
            ":expiresAt": window + rules.START_WINDOW_SECONDS + COUNTER_SLACK_SECONDS,
        }
        update = "ADD #starts :one SET #expiresAt = :expiresAt"
        try:
            conditional(
                lambda **kw: self._table.update_item(
                    Key=items.start_counter_key(caller.identity, window),
                    UpdateExpression=update,
                    **kw,
                ),
                rules.UNDER_LIMIT,
                values,
                update,
                mapped=False,
            )
        except ConditionFailed as failed:
            wait = rules.seconds_to_next_window(now)
            raise StartLimited(
                f"You have started {limit} jobs in the last minute, the most allowed. "
                f"Please wait {wait} seconds and try again.",
                wait,
            ) from failed
