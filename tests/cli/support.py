"""Doubles for the client's unit tests: a scripted transport, terminals, a job builder."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bank_research_cli.cli import main
from bank_research_cli.transport import Response

BASE = "http://api.test"


def answer(status: int, body: Any = None, **headers: str) -> Response:
    """A JSON answer (``body`` a dict or list) or raw bytes, with lower-case headers."""
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    names = {name.replace("_", "-").lower(): value for name, value in headers.items()}
    if body is not None and not isinstance(body, bytes):
        names.setdefault("content-type", "application/json")
    return Response(status, names, raw)


# Where the scripted jobs' clocks stand: 65 s after the job below was started.
NOW = datetime(2026, 12, 1, 7, 1, 5, tzinfo=UTC).timestamp()


def job(status: str = "running", progress: int = 30, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "jobId": "0193-job-1",
        "idrssd": "9900001",
        "type": "report",
        "status": status,
        "progress": progress,
        "stage": "capital",
        "message": "Writing the capital section",
        "error": None,
        "errorCode": None,
        "params": {},
        "attempt": 1,
        "createdAt": "2026-12-01T07:00:00.000Z",
        "updatedAt": "2026-12-01T07:00:05.000Z",
        "startedAt": "2026-12-01T07:00:01.000Z",
        "finishedAt": None,
        "expiresAt": "2026-12-02T07:00:00.000Z",
        "result": None,
    }
    return {**base, **fields}


def status_answer(one_job: dict[str, Any] | None, etag: str = '"e1"') -> Response:
    headers = {"etag": etag, "cache_control": "no-store"}
    if one_job is not None and one_job["status"] in ("pending", "running"):
        headers["retry_after"] = "2"
    body = {"hasJob": False} if one_job is None else {"hasJob": True, "job": one_job}
    return answer(200, body, **headers)


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def header(self, name: str) -> str | None:
        lowered = {key.lower(): value for key, value in self.headers.items()}
        return lowered.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Route = Callable[[Sent], Response] | Response | list[Response]


@dataclass
class FakeTransport:
    """Answers by ``"METHOD /path?query"`` (or full URL); lists are played in order."""

    routes: dict[str, Route] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> Response:
        request = Sent(method, url, dict(headers), body)
        self.sent.append(request)
        for key in (f"{method} {url}", f"{method} {request.path}"):
            if key in self.routes:
                return self._play(key, request)
        raise AssertionError(f"unexpected request {method} {url}")

    def _play(self, key: str, request: Sent) -> Response:
        route = self.routes[key]
        if isinstance(route, list):
            assert route, f"no answer left for {key}"
            return route.pop(0) if len(route) > 1 else route[0]
        if isinstance(route, Response):
            return route
        return route(request)

    def to(self, path_prefix: str) -> list[Sent]:
        return [request for request in self.sent if request.path.startswith(path_prefix)]


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a person's shell would."""

    def isatty(self) -> bool:
        return True


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    sleeps: list[float]

    def json(self) -> Any:
        return json.loads(self.stdout)


def run(
    argv: list[str],
    transport: FakeTransport,
    *,
    env: dict[str, str] | None = None,
    stdout: io.StringIO | None = None,
    sleep: Callable[[float], None] | None = None,
    now: float = NOW,
) -> Run:
    """``bank-research ARGV`` in process, against the scripted transport, at ``now``."""
    out, err = stdout or io.StringIO(), io.StringIO()
    sleeps: list[float] = []

    def record(seconds: float) -> None:
        sleeps.append(seconds)
        if sleep is not None:
            sleep(seconds)

    environment = {"BANK_RESEARCH_URL": BASE} if env is None else env
    code = main(
        argv, env=environment, transport=transport, stdout=out, stderr=err, sleep=record,
        now=lambda: now,
    )  # fmt: skip
    return Run(code, out.getvalue(), err.getvalue(), sleeps)
