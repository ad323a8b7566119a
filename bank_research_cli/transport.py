"""One HTTP exchange over the standard library, with no redirect followed behind our back.

The client decides itself whether to follow a redirect, so that the API's credentials
never travel to another host (the podcast audio route answers 302 to a presigned storage
link, which must be fetched without them).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

USER_AGENT = "bank-research-cli/1.0"


@dataclass(frozen=True)
class Response:
    """An HTTP answer; header names are lower case."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Unreachable(Exception):
    """No HTTP answer at all: refused, unknown host, timed out, TLS failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> Response: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx then reaches us as an HTTPError we turn into a Response


_OPENER = urllib.request.build_opener(_NoRedirects)


def urllib_transport(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
) -> Response:
    """Send one request; any HTTP status is an answer, only a missing answer raises."""
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, _lower(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, _lower(error.headers.items()), error.read())
    except urllib.error.URLError as error:
        raise Unreachable(_reason(error.reason)) from error
    except TimeoutError as error:
        raise Unreachable(f"no answer within {timeout:g} seconds") from error
    except (ConnectionError, http.client.HTTPException, ssl.SSLError, OSError) as error:
        raise Unreachable(_reason(error)) from error


def _lower(items: object) -> dict[str, str]:
    pairs: list[tuple[str, str]] = list(items)  # type: ignore[call-overload]
    return {name.lower(): value for name, value in pairs}


def _reason(reason: object) -> str:
    """A short, human account of why no answer came."""
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, socket.gaierror):
        return "the host name could not be found"
    if isinstance(reason, TimeoutError):
        return "it did not answer in time"
    if isinstance(reason, ssl.SSLError):
        return f"the secure connection failed ({reason.reason or reason})"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "it closed the connection without answering"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[0].lower() + reason.strerror[1:]
    return str(reason) or type(reason).__name__
