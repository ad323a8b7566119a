"""Settings from the environment, checked once, with sentences for bad values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import ConfigError

INVOKERS = ("lambda", "thread")


@dataclass(frozen=True)
class Settings:
    jobs_table: str
    banks_table: str
    artifacts_bucket: str
    invoker: str = "lambda"
    report_worker_function: str = ""
    podcast_worker_function: str = ""
    thread_workers: int = 4
    worker_timeout_seconds: int = 900
    pending_timeout_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            jobs_table=_required(env, "JOBS_TABLE"),
            banks_table=_required(env, "BANKS_TABLE"),
            artifacts_bucket=_required(env, "ARTIFACTS_BUCKET"),
            invoker=env.get("JOB_INVOKER", "lambda"),
            report_worker_function=env.get("REPORT_WORKER_FUNCTION", ""),
            podcast_worker_function=env.get("PODCAST_WORKER_FUNCTION", ""),
            thread_workers=_positive_int(env, "THREAD_WORKERS", 4),
            worker_timeout_seconds=_positive_int(env, "WORKER_TIMEOUT_SECONDS", 900),
            pending_timeout_seconds=_positive_int(env, "PENDING_TIMEOUT_SECONDS", 300),
        )
        if settings.invoker not in INVOKERS:
            raise ConfigError(f"JOB_INVOKER must be one of {', '.join(INVOKERS)}.")
        return settings

    def worker_functions(self) -> dict[str, str]:
        """The workers' Lambda names, by job type; only the API needs them (to invoke)."""
        names = {"report": self.report_worker_function, "podcast": self.podcast_worker_function}
        if not all(names.values()):
            raise ConfigError(
                "With JOB_INVOKER=lambda, set REPORT_WORKER_FUNCTION and "
                "PODCAST_WORKER_FUNCTION to the workers' function names."
            )
        return names


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"Set the {name} environment variable.")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name} must be a positive whole number, not '{raw}'.")
    return value
