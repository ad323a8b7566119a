"""The kinds of job are declared once (``chalicelib/kinds/``) and every reader of them — the
routes, the wiring, the settings, the deployment — takes them from there; the job core
(``chalicelib/jobs/``) names none."""

from __future__ import annotations

import re
from pathlib import Path

import app
from chalicelib import runtime
from chalicelib.config import Settings
from chalicelib.job_types import JobType, worker_function_setting, worker_resource
from chalicelib.kinds import KINDS
from deploy import dashboard, observability
from devstack.stage import STACK_OWNED

ROOT = Path(__file__).resolve().parents[2]
BASE = {"JOBS_TABLE": "j", "BANKS_TABLE": "b", "ARTIFACTS_BUCKET": "a"}


def test_every_job_type_is_a_registered_kind() -> None:
    assert list(KINDS) == list(JobType)
    assert all(kind.type is job_type for job_type, kind in KINDS.items())


def test_each_kind_has_its_worker_in_the_app_and_its_settings() -> None:
    workers = [function.name for function in app.app.pure_lambda_functions]
    assert workers == [kind.worker for kind in KINDS.values()]
    assert all(callable(getattr(app, kind.worker)) for kind in KINDS.values())
    env = {**BASE, **{kind.worker_function_setting: f"fn-{kind.type}" for kind in KINDS.values()}}
    assert Settings.from_env(env).worker_functions() == {
        str(kind.type): f"fn-{kind.type}" for kind in KINDS.values()
    }
    assert {worker_function_setting(job_type) for job_type in JobType} <= STACK_OWNED


def test_the_deployment_watches_every_kind() -> None:
    names = tuple(str(job_type) for job_type in JobType)
    assert observability.JOB_TYPES == dashboard.JOB_TYPES == names
    assert observability.WORKERS == ("ReportWorker", "PodcastWorker")
    assert worker_resource("a_kind") == "AKindWorker"


def test_the_wiring_builds_each_kinds_pipeline_and_prerequisite() -> None:
    built = runtime.Runtime(Settings.from_env({**BASE, "JOB_INVOKER": "thread"}))
    assert set(runtime.shipped_pipelines(built)) == set(JobType)
    needs_first = {kind.type for kind in KINDS.values() if kind.prerequisite is not None}
    assert needs_first == {JobType.PODCAST}


def test_the_job_core_names_no_kind() -> None:
    named = re.compile(r"JobType\.[A-Z]|[\"'](report|podcast)[\"']|podcast", re.IGNORECASE)
    found = [
        path.name
        for path in sorted((ROOT / "chalicelib" / "jobs").glob("*.py"))
        if named.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
