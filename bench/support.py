"""What every benchmark shares: an offline AWS environment and percentile figures."""

from __future__ import annotations

import os


def offline_aws() -> None:
    """Placeholder credentials and one region for moto; never the local emulator or AWS."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(variable, None)


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the samples fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
