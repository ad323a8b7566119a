"""The local Lambda's own settings, from the environment, with sentences for bad values.

- ``LOCAL_LAMBDA_TIME_SCALE`` (default 1): multiplies the function timeout, the retry
  delays (about 1 and 2 minutes) and the maximum event age, for tests and demos.
- ``LOCAL_LAMBDA_CONCURRENCY`` (default 8): how many worker processes may exist at once,
  across all functions (Lambda's concurrency limit; over it, asynchronous events wait).
  Sized so that ``make run`` does not lose jobs to its own backlog: events wait at most
  the maximum event age (2 400 s), and a paced report takes about 10 s, so 8 processes
  clear about 1 900 queued reports in time (4 would fail the last of 1 000).
- ``LOCAL_LAMBDA_FAULTS``: faults to inject for testing, rules separated by ``;``, each
  ``KIND[@ATTEMPTS] [key=value ...]``. ``raise`` makes the handler raise instead of
  running, ``hang`` makes it run past its timeout (so that it is killed), ``kill`` runs
  it and kills its process outright (SIGKILL) ``after=`` seconds (default 1) into the
  run, as a crashed machine would, ``duplicate`` delivers the event once more at the same
  time (at-least-once delivery). ``@1`` or ``@1,2`` limits a rule to those attempts;
  other ``key=value`` pairs match top-level fields of the event (``function=`` matches the
  function's name). Example: ``raise idrssd=9900011; hang@1 idrssd=9900012;
  kill@1 idrssd=9900014 after=3; duplicate idrssd=9900013``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.numbers import whole_number

FAULT_KINDS = ("raise", "hang", "kill", "duplicate")
DEFAULT_KILL_AFTER_SECONDS = 1.0
DEFAULT_CONCURRENCY = 8


class SettingError(ValueError):
    """A local Lambda setting is wrong; the message says how to fix it."""


@dataclass(frozen=True)
class Fault:
    kind: str
    attempts: frozenset[int] = frozenset()  # empty: every attempt
    match: Mapping[str, str] = field(default_factory=dict)
    after: float = DEFAULT_KILL_AFTER_SECONDS  # ``kill``: seconds into the run

    def applies(self, function: str, short_name: str, payload: Any, attempt: int) -> bool:
        if self.attempts and attempt not in self.attempts:
            return False
        for key, wanted in self.match.items():
            if key == "function":
                if wanted not in (function, short_name):
                    return False
            elif not isinstance(payload, dict) or str(payload.get(key)) != wanted:
                return False
        return True


@dataclass(frozen=True)
class LambdaSettings:
    time_scale: float = 1.0
    concurrency: int = DEFAULT_CONCURRENCY
    faults: tuple[Fault, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LambdaSettings:
        return cls(
            time_scale=_time_scale(env.get("LOCAL_LAMBDA_TIME_SCALE", "")),
            concurrency=_concurrency(env.get("LOCAL_LAMBDA_CONCURRENCY", "")),
            faults=parse_faults(env.get("LOCAL_LAMBDA_FAULTS", "")),
        )

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    def fault_for(
        self, kind: str, function: str, short_name: str, payload: Any, attempt: int
    ) -> Fault | None:
        for fault in self.faults:
            if fault.kind == kind and fault.applies(function, short_name, payload, attempt):
                return fault
        return None

    def scaled_whole_seconds(self, seconds: float) -> int:
        """For settings the app reads as whole seconds: rounded up, at least 1."""
        return max(1, math.ceil(self.scaled(seconds)))


def _time_scale(raw: str) -> float:
    if raw.strip() == "":
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 100:
        raise SettingError(
            f"LOCAL_LAMBDA_TIME_SCALE must be a number above 0 and at most 100 (1 means "
            f"Lambda's own timings, 0.05 makes a one-minute retry delay three seconds), "
            f"not '{raw}'."
        )
    return value


def _concurrency(raw: str) -> int:
    if raw.strip() == "":
        return DEFAULT_CONCURRENCY
    value = whole_number(raw, max_digits=2) or 0
    if not 1 <= value <= 64:
        raise SettingError(
            f"LOCAL_LAMBDA_CONCURRENCY must be a whole number of worker processes from 1 "
            f"to 64, not '{raw}'."
        )
    return value


def parse_faults(raw: str) -> tuple[Fault, ...]:
    faults = []
    for rule in (part.strip() for part in raw.split(";")):
        if rule:
            faults.append(_parse_rule(rule))
    return tuple(faults)


def _parse_rule(rule: str) -> Fault:
    head, *pairs = rule.split()
    kind, _, attempts_text = head.partition("@")
    if kind not in FAULT_KINDS:
        raise SettingError(
            f"LOCAL_LAMBDA_FAULTS: '{rule}' starts with '{kind}', which is not one of "
            f"{', '.join(FAULT_KINDS)}."
        )
    attempts: set[int] = set()
    for text in filter(None, attempts_text.split(",")):
        if whole_number(text, max_digits=1) not in (1, 2, 3):
            raise SettingError(
                f"LOCAL_LAMBDA_FAULTS: in '{rule}', '@{attempts_text}' must list attempts "
                "from 1 to 3, like @1 or @1,2."
            )
        attempts.add(int(text))
    match: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key or not value:
            raise SettingError(
                f"LOCAL_LAMBDA_FAULTS: in '{rule}', '{pair}' should be key=value, like "
                "idrssd=9900011 or function=report_worker."
            )
        match[key] = value
    after = _after(rule, match.pop("after", None)) if kind == "kill" else DEFAULT_KILL_AFTER_SECONDS
    return Fault(kind, frozenset(attempts), match, after)


def _after(rule: str, raw: str | None) -> float:
    if raw is None:
        return DEFAULT_KILL_AFTER_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise SettingError(
            f"LOCAL_LAMBDA_FAULTS: in '{rule}', after={raw} must be a number of seconds "
            "from 0 to 3600, like after=2.5."
        )
    return seconds
