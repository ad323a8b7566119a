"""The explicit wiring: ``bootstrap`` wires every service at cold start and makes no AWS
client by doing so; a client is made when a service first calls it, once per side."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import Services, bootstrap
from chalicelib.job_types import JobType
from chalicelib.runtime import Runtime
from tests.api_support import settings_for_tests
from tests.fakes import FakeClock
from tests.moto_account import Aws


def _counting(built: Runtime) -> list[str]:
    """What ``built``'s session makes, in order: ``client:s3``, ``resource:dynamodb``… (a
    resource makes its own client: not counted apart)."""
    made: list[str] = []
    session = built.session
    client, resource = session.client, session.resource

    def counted_client(name: str, **kwargs: Any) -> Any:
        if not made or made[-1] != f"resource:{name}":
            made.append(f"client:{name}")
        return client(name, **kwargs)

    def counted_resource(name: str, **kwargs: Any) -> Any:
        made.append(f"resource:{name}")
        return resource(name, **kwargs)

    session.client, session.resource = counted_client, counted_resource  # type: ignore[method-assign]
    return made


def test_bootstrap_wires_every_service_and_makes_no_client(aws: Aws) -> None:
    built = Runtime(settings_for_tests(), clock=FakeClock())
    made = _counting(built)
    wired = bootstrap(built)
    assert isinstance(wired, Services) and made == []
    assert wired.health().checks["tables"] == "up"
    assert made == ["resource:dynamodb"]  # the API's side, for the one read it needed
    bootstrap(built).health()  # wiring again, and reading again, makes nothing new
    assert made == ["resource:dynamodb"]
    assert wired.worker_store.get("9900001", JobType.REPORT) is None
    assert made == ["resource:dynamodb"] * 2  # the workers' side has clients of its own
