"""The ``local`` stage of ``.chalice/config.json``, and which of its values the environment
may replace.

The stage is the one place for the local stack's settings. A variable the stage sets but
the person running ``make run`` also set in the environment (``REPORT_PACE_SECONDS=2 make
run``) takes the environment's value, both in the API and in the workers, except the
names of what the stack itself creates and serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalice.config import Config

from chalicelib.job_types import JobType, worker_function_setting
from devstack.lambda_local.functions import load_json

ROOT = Path(__file__).resolve().parent.parent
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
STAGE = "local"
# The stack creates these resources and serves these functions under these names.
STACK_OWNED = frozenset(
    {
        "JOBS_TABLE",
        "BANKS_TABLE",
        "ARTIFACTS_BUCKET",
        "FAILED_EVENTS_QUEUE",
        "BATCH_QUEUE",
        *(worker_function_setting(job_type) for job_type in JobType),
    }
)


def chalice_config() -> dict[str, Any]:
    return load_json(CHALICE_CONFIG)


def stage_env(config: Mapping[str, Any] | None = None, stage: str = STAGE) -> dict[str, str]:
    """The stage's variables (top level and stage, merged as Chalice merges them)."""
    merged = Config(chalice_stage=stage, config_from_disk=dict(config or chalice_config()))
    return dict(merged.environment_variables)


def overrides(stage_vars: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """The stage's variables that the environment replaces."""
    return {
        name: environ[name] for name in stage_vars if name in environ and name not in STACK_OWNED
    }


def with_stage(environ: Mapping[str, str], stage_vars: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with the stage's variables applied, the environment's overrides kept."""
    return {**environ, **stage_vars, **overrides(stage_vars, environ)}
