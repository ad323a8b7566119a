"""The batch queue's consumer settings, read when Chalice reads the decorators."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.errors import ConfigError

BATCH_SIZE = 4  # banks per invocation: a few minutes of reports, well inside 15
DEFAULT_CONCURRENCY = 10
CONCURRENCY_RANGE = (2, 1000)  # what an SQS event source's MaximumConcurrency takes


def batch_concurrency(env: Mapping[str, str]) -> int:
    """``BATCH_CONCURRENCY``: how many batch workers may run at once."""
    raw = env.get("BATCH_CONCURRENCY", "").strip() or str(DEFAULT_CONCURRENCY)
    low, high = CONCURRENCY_RANGE
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"BATCH_CONCURRENCY must be a whole number from {low} to {high}.")
    return int(raw)
