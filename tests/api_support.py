"""A Chalice test client over moto with the runtime's clock and invoker under test control."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from app import app
from chalicelib import bootstrap, runtime
from chalicelib.config import Settings
from chalicelib.jobs.invokers import Invoker
from chalicelib.jobs.model import Caller, WorkerEvent
from chalicelib.jobs.pipelines import PipelineRegistry
from chalicelib.jobs.worker import Outcome
from chalicelib.runtime import Runtime
from tests.conftest import NAMES
from tests.fakes import FakeClock, RecordingInvoker
from tests.moto_account import Aws


@dataclass
class Api:
    client: Client
    clock: FakeClock
    runtime: Runtime
    invoker: Any
    aws: Aws

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.http.get(path, headers=headers or {})

    def post(self, path: str, body: str | bytes = "", headers: dict[str, str] | None = None) -> Any:
        headers = {"Content-Type": "application/json"} if headers is None else headers
        return self.client.http.post(path, body=body, headers=headers)

    def delete(self, path: str) -> Any:
        return self.client.http.delete(path)

    def deliver(self, event: WorkerEvent | None = None) -> Outcome:
        """Run a worker delivery of ``event`` (the last one the API sent) as Lambda would."""
        event = event or self.invoker.events[-1]
        return bootstrap.bootstrap(self.runtime).work(event.to_payload(), None)

    def act_as(self, caller: Callable[[Mapping[str, Any]], Caller]) -> None:
        """From now on, ``caller`` says who sent each request: what API Gateway would vouch
        for (Chalice's test client sends no gateway identity)."""
        wired = bootstrap.services()
        bootstrap.install(dataclasses.replace(wired, caller=caller))

    def status(self, idrssd: str, job_type: str = "report") -> Any:
        response = self.get(f"/api/research/{idrssd}/job-status?type={job_type}")
        return json.loads(response.body).get("job")

    def jobs_items(self) -> list[dict[str, Any]]:
        return sorted(self.aws.jobs_table.scan()["Items"], key=lambda item: item["pk"])


def settings_for_tests(**overrides: str) -> Settings:
    # No start limit unless a test sets one: every test caller is the same "local" one.
    env = {**NAMES.as_env(), "JOB_INVOKER": "thread", "STARTS_PER_MINUTE": "0", **overrides}
    return Settings.from_env(env)


@contextmanager
def api_under_test(
    aws: Aws,
    invoker: Callable[[Runtime], Invoker] | None = None,
    pipelines: Callable[[Runtime], PipelineRegistry] | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Api]:
    clock = FakeClock()
    recording = RecordingInvoker()
    built = Runtime(
        settings_for_tests(**(settings or {})),
        clock=clock,
        invoker=invoker or (lambda _: recording),
        pipelines=pipelines or (lambda _: {}),
        sleep=clock.advance,
    )
    runtime.install(built)
    try:
        with Client(app, stage_name="local") as client:
            yield Api(client, clock, built, recording if invoker is None else None, aws)
    finally:
        runtime.install(None)
        bootstrap.install(None)
