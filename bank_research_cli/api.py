"""The Bank Research HTTP API as Python calls: credentials, retries and error sentences.

Every answer is classified once, here: the API's own ``{"error", "code"}`` answers become
:class:`ApiError` with its sentence; answers that show there is no usable API at the
address (a wrong base URL, an unreachable server, refused credentials) become
:class:`ConnectionProblem`; busy and throttled answers become :class:`Transient`, which a
call retries after the ``Retry-After`` the server asked for.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bank_research_cli.errors import ApiError, CliError, ConnectionProblem, Transient
from bank_research_cli.transport import Response, Transport, Unreachable, urllib_transport

API_KEY_HEADER = "x-api-key"  # what API Gateway reads with API_AUTH=api_key
TOKEN_HEADER = "Authorization"  # what the Cognito authorizer reads with API_AUTH=cognito
# 403 answers in the API's shape that are about the request, not about the caller's
# credentials (issue 14's "only the caller who started a job may cancel it").
REQUEST_FORBIDDEN_CODES = frozenset({"not_your_job"})
# Codes a gateway answers for a path it does not serve: the base URL is wrong.
NO_ROUTE_CODES = frozenset({"no_route", "unknown_route", "route_not_found"})
MAX_AUTOMATIC_WAIT = 10.0  # a single command waits out at most this long a Retry-After
BASE_URL_HINT = "check --base-url (or BANK_RESEARCH_URL)"


def normalise_base_url(url: str) -> str:
    """``http(s)://host[:port][/stage]`` without a trailing slash, or a sentence why not."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConnectionProblem(
            f"'{url}' is not a web address; give the address the Bank Research page is "
            "served at, such as http://127.0.0.1:8000, with --base-url or BANK_RESEARCH_URL.",
            "invalid_base_url",
        )
    if parsed.query or parsed.fragment:
        raise ConnectionProblem(
            f"The base URL '{url}' must not carry a query or fragment; give only the address "
            "the page is served at, such as http://127.0.0.1:8000.",
            "invalid_base_url",
        )
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class Poll:
    """One job-status answer: ``body`` is ``None`` when the server said 304 (unchanged)."""

    body: dict[str, Any] | None
    etag: str | None
    retry_after: float | None


@dataclass(frozen=True)
class Started:
    """A start's answer (``{"created", "hasJob", "job"}``) and its ``Retry-After``."""

    body: dict[str, Any]
    retry_after: float | None


@dataclass(frozen=True)
class Audio:
    body: bytes
    content_type: str | None


class Api:
    """The routes this client uses; ``attempts`` bounds retries of busy answers."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        transport: Transport = urllib_transport,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.api_key = api_key or None
        self.token = token or None
        self.transport = transport
        self.timeout = timeout
        self.sleep = sleep
        self.attempts = attempts

    # -- routes ------------------------------------------------------------------------

    def auth_config(self) -> dict[str, Any]:
        """How people sign in and where programs' keys are issued (a public route)."""
        return self.expect(self.get_json("/api/auth/config"), "mode")

    def search_banks(self, query: str) -> dict[str, Any]:
        answer = self.get_json(f"/api/banks?q={urllib.parse.quote(query)}")
        return self.expect(answer, "banks")

    def start(self, idrssd: str, job_type: str, experts: list[str] | None = None) -> Started:
        """Start a job or join the active one; ``retry_after`` paces the first poll."""
        path = f"/api/research/{_segment(idrssd)}/generate-background"
        body: dict[str, Any] = {}
        if job_type == "podcast":
            path = f"/api/research/{_segment(idrssd)}/podcast/generate-background"
            body = {"experts": experts or []}
        data = json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        response = self.send("POST", path, headers=headers, body=data)
        answer = self.expect(self.parse_json(response), "job")
        return Started(answer, retry_after_seconds(response.header("retry-after")))

    def job_status(
        self, idrssd: str, job_type: str, etag: str | None = None, attempts: int | None = None
    ) -> Poll:
        """The bank's current job of this type; ``body`` is ``None`` when ``etag`` holds."""
        headers = {} if etag is None else {"If-None-Match": etag}
        path = f"/api/research/{_segment(idrssd)}/job-status?type={_query(job_type)}"
        response = self.send("GET", path, headers=headers, attempts=attempts, ok=(200, 304))
        retry_after = retry_after_seconds(response.header("retry-after"))
        if response.status == 304:
            return Poll(None, response.header("etag") or etag, retry_after)
        body = self.expect(self.parse_json(response), "hasJob")
        return Poll(body, response.header("etag"), retry_after)

    def cancel(self, idrssd: str, job_type: str) -> dict[str, Any]:
        path = f"/api/research/{_segment(idrssd)}/job?type={_query(job_type)}"
        return self.expect(self.send_json("DELETE", path), "job")

    def report(self, idrssd: str, job_id: str | None = None) -> dict[str, Any]:
        """The latest report, or the version ``job_id`` wrote (the research library)."""
        bank = _segment(idrssd)
        path = f"/api/research/{bank}/report"
        if job_id is not None:
            path = f"/api/research/{bank}/reports/{_segment(job_id)}"
        return self.expect(self.get_json(path), "sections")

    def podcast(self, idrssd: str, job_id: str | None = None) -> dict[str, Any]:
        """The latest podcast, or the version ``job_id`` made (the research library)."""
        bank = _segment(idrssd)
        path = f"/api/research/{bank}/podcast"
        if job_id is not None:
            path = f"/api/research/{bank}/podcasts/{_segment(job_id)}"
        return self.expect(self.get_json(path), "script")

    def library(self, idrssd: str, kind: str) -> dict[str, Any]:
        """A bank's finished reports or podcasts, newest first: ``{"reports": [...]}``."""
        answer = self.get_json(f"/api/research/{_segment(idrssd)}/{kind}s")
        return self.expect(answer, f"{kind}s")

    def podcast_audio(self, idrssd: str, source: str | None = None) -> Audio:
        """The MP3, through the 302 to storage; the API's credentials stay with the API.

        ``source`` is a version's own signed link (its ``audioSrc``), fetched as it is."""
        url = self.url(f"/api/research/{_segment(idrssd)}/podcast/audio")
        if source is not None:
            url = urllib.parse.urljoin(self.base_url + "/", source)
            response = self._fetch_elsewhere(url, _same_origin(url, self.base_url))
        else:
            response = self.send("GET", url, ok=(200, 302))
        for _ in range(3):  # a presigned link is one hop; allow a little more, never a loop
            if response.status != 302:
                break
            location = response.header("location")
            if not location:
                raise ApiError(
                    "The service sent a redirect without a Location.", "bad_redirect", 302
                )
            target = urllib.parse.urljoin(url, location)
            credentials = _same_origin(target, self.base_url)
            response = self._fetch_elsewhere(target, credentials)
            url = target
        if response.status != 200:
            raise ApiError(
                f"The audio could not be fetched (HTTP {response.status}); try again.",
                "audio_unavailable",
                response.status,
            )
        return Audio(response.body, response.header("content-type"))

    def start_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/batches``: the batch as it was started."""
        return self.expect(self.send_json("POST", "/api/batches", request), "batch")["batch"]

    def batch(self, batch_id: str, attempts: int | None = None) -> dict[str, Any]:
        path = f"/api/batches/{_segment(batch_id)}"
        answer = self.parse_json(self.send("GET", path, attempts=attempts))
        return self.expect(answer, "batch")["batch"]

    def batches(self, limit: int = 20) -> dict[str, Any]:
        """The newest batches first: ``{"batches": [...], "nextCursor"}``."""
        return self.expect(self.get_json(f"/api/batches?limit={limit}"), "batches")

    def batch_failures(self, batch_id: str) -> list[dict[str, Any]]:
        answer = self.get_json(f"/api/batches/{_segment(batch_id)}/failures")
        failures: list[dict[str, Any]] = self.expect(answer, "failures")["failures"]
        return failures

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        path = f"/api/batches/{_segment(batch_id)}"
        return self.expect(self.send_json("DELETE", path), "batch")["batch"]

    def retry_batch(self, batch_id: str) -> dict[str, Any]:
        path = f"/api/batches/{_segment(batch_id)}/retry"
        return self.expect(self.send_json("POST", path, {}), "batch")["batch"]

    # -- plumbing ----------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def credentials(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.api_key:
            headers[API_KEY_HEADER] = self.api_key
        if self.token:
            headers[TOKEN_HEADER] = self.token
        return headers

    def get_json(self, path: str) -> Any:
        return self.parse_json(self.send("GET", path))

    def send_json(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self.parse_json(self.send(method, path, headers=headers, body=data))

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        attempts: int | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> Response:
        """One call, retried while the server answers busy with a short ``Retry-After``."""
        url = self.url(path)
        remaining = self.attempts if attempts is None else attempts
        while True:
            remaining -= 1
            try:
                response = self.transport(
                    method, url, {**self.credentials(), **(headers or {})}, body, self.timeout
                )
            except Unreachable as problem:
                raise ConnectionProblem(
                    f"Could not reach the Bank Research API at {self.base_url}: "
                    f"{problem.reason}; {BASE_URL_HINT}, or start the local stack with "
                    "make run.",
                    "unreachable",
                ) from problem
            if response.status in ok:
                return response
            error = self.classify(response)
            wait = error.retry_after if isinstance(error, Transient) else None
            if remaining <= 0 or wait is None or wait > MAX_AUTOMATIC_WAIT:
                raise error
            self.sleep(wait)

    def classify(self, response: Response) -> CliError:
        """The error an unwanted answer stands for."""
        payload = _json_or_none(response.body)
        status = response.status
        retry_after = retry_after_seconds(response.header("retry-after"))
        if _shaped(payload):
            sentence, code = payload["error"], payload["code"]
            if status == 401 or (status == 403 and code not in REQUEST_FORBIDDEN_CODES):
                return ConnectionProblem(sentence, code, status)
            if code in NO_ROUTE_CODES:
                return self.not_the_api(response)
            if status in (429, 503):
                return Transient(sentence, code, status, retry_after or 2.0)
            detail = payload.get("detail")
            return ApiError(sentence, code, status, detail if isinstance(detail, str) else None)
        message = payload.get("message") if isinstance(payload, dict) else None
        if status == 403 and message == "Missing Authentication Token":
            return self.not_the_api(response)  # API Gateway's answer for a path it lacks
        if status in (401, 403):
            return self.refused(status)
        if status in (429, 502, 503, 504):
            return Transient(
                f"The Bank Research API is busy (HTTP {status}); try again in a minute.",
                "busy",
                status,
                retry_after or 2.0,
            )
        if status >= 500 and isinstance(payload, dict):
            return ApiError(
                f"The Bank Research API failed (HTTP {status}); try again in a minute.",
                "server_error",
                status,
            )
        return self.not_the_api(response)

    def refused(self, status: int) -> ConnectionProblem:
        if self.token:
            what = (
                "refused the token; sign in again and pass a fresh --token (or BANK_RESEARCH_TOKEN)"
            )
        elif self.api_key:
            what = "refused the API key; check --api-key (or BANK_RESEARCH_API_KEY)"
        else:
            what = (
                "needs credentials; pass --api-key (or BANK_RESEARCH_API_KEY), or --token "
                "(or BANK_RESEARCH_TOKEN) for a signed-in user"
            )
        return ConnectionProblem(
            f"The Bank Research API at {self.base_url} {what} (HTTP {status}).",
            "unauthorized",
            status,
        )

    def not_the_api(self, response: Response) -> ConnectionProblem:
        kind = (response.header("content-type") or "no content type").split(";")[0]
        return ConnectionProblem(
            f"The server at {self.base_url} answered, but not as the Bank Research API does "
            f"(HTTP {response.status}, {kind}); {BASE_URL_HINT}: it is the address the web "
            "page is served at, such as http://127.0.0.1:8000.",
            "not_bank_research",
            response.status,
        )

    def parse_json(self, response: Response) -> Any:
        payload = _json_or_none(response.body)
        if not isinstance(payload, dict):
            raise self.not_the_api(response)
        return payload

    def expect(self, payload: Any, key: str) -> dict[str, Any]:
        """The answer when it looks like this API's (it holds ``key``)."""
        if not isinstance(payload, dict) or key not in payload:
            raise ConnectionProblem(
                f"The server at {self.base_url} answered JSON that the Bank Research API "
                f"does not send; {BASE_URL_HINT}.",
                "not_bank_research",
            )
        return payload

    def _fetch_elsewhere(self, url: str, credentials: bool) -> Response:
        headers = self.credentials() if credentials else {}
        try:
            return self.transport("GET", url, headers, None, self.timeout)
        except Unreachable as problem:
            host = urllib.parse.urlsplit(url).netloc
            raise ConnectionProblem(
                f"Could not download the audio from {host}: {problem.reason}.", "unreachable"
            ) from problem


def _segment(value: str) -> str:
    """A path segment as typed, encoded: the API judges it, the path stays one segment."""
    return urllib.parse.quote(value, safe="")


def _query(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _same_origin(url: str, base_url: str) -> bool:
    one, other = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base_url)
    return (one.scheme, one.hostname, one.port) == (other.scheme, other.hostname, other.port)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _shaped(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("error"), str)
        and isinstance(payload.get("code"), str)
    )
