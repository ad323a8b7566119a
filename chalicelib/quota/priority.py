"""Whose call this is: a person's (interactive, the default) or a batch item's. Set by the
batch worker around a batch item's run, read by the model call when it reserves tokens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from chalicelib.quota.bucket import Priority

_priority: ContextVar[Priority] = ContextVar("model_call_priority", default=Priority.INTERACTIVE)


def current() -> Priority:
    return _priority.get()


@contextmanager
def batch_work() -> Iterator[None]:
    """Model calls made inside are a batch item's: they leave the interactive share alone."""
    token = _priority.set(Priority.BATCH)
    try:
        yield
    finally:
        _priority.reset(token)
