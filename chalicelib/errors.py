"""Domain errors: each carries a stable ``code`` and a sentence a person can act on.

The HTTP layer maps error classes to status codes; nothing here knows about HTTP.
"""

from __future__ import annotations

import json

# A table or bucket the service uses is missing (a reset emulator, a stack that lost a
# resource): said the same by every route and by the health check.
UNAVAILABLE_MESSAGE = (
    "The service's data cannot be reached right now. Please try again in a few minutes."
)
# Anything unexpected (the details go to the log): said the same by the routes, the HTTP
# edge and the local server.
INTERNAL_ERROR_MESSAGE = "Something went wrong on our side. Please try again in a minute."


class DomainError(Exception):
    """An expected failure whose message can be shown to a user as it is.

    ``message`` is written for the people using the page or the CLI: their situation and
    what they can do, never a command, a route or an internal name. ``detail`` is for
    operators and API clients (a route to call, a command, a setting): the error body
    carries it as ``detail`` and a failed job's log line as ``detail``; the page never
    shows it.
    """

    code = "error"

    def __init__(self, message: str, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The request itself is wrong: a bad id, type, parameter or body."""

    code = "invalid_input"


class ConfigError(DomainError):
    code = "bad_configuration"


class UnsupportedMediaType(InvalidInput):
    """A body of a type the route cannot read (answered with 415, not 400)."""

    code = "unsupported_media_type"


def excerpt(value: object, limit: int = 40) -> str:
    """A short printable rendering of user input for an error message."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_kind(value: object) -> str:
    """What a JSON value is, in words for a sentence: "a list", "null", "an object"…"""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "an object"
