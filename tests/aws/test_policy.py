"""One AWS error policy: every caller recognises the same throttles, transient faults and
network errors, and waits by the same backoff, capped by the same ``MAX_BACKOFF_SECONDS``."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from chalicelib import bedrock, telemetry
from chalicelib.aws import policy
from chalicelib.aws.policy import (
    MAX_BACKOFF_SECONDS,
    NETWORK_ERRORS,
    SERVER_FAULT_CODES,
    THROTTLING_CODES,
    backoff,
    is_throttle,
    is_transient,
)
from chalicelib.aws.retries import with_retries
from chalicelib.banks import table
from chalicelib.experts import expert_by_id
from chalicelib.jobs import worker
from chalicelib.podcasts import polly
from chalicelib.podcasts.errors import VOICES_BUSY
from tests.fakes import converse_answer
from tests.telemetry_support import emf_points, named

ROOT = Path(__file__).resolve().parents[2]


def refused(code: str, operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, operation)


class Scripted:
    """A client whose one operation answers each of ``outcomes`` in turn (raising errors)."""

    def __init__(self, operation: str, outcomes: list[Any]) -> None:
        self.calls = 0
        self._outcomes = outcomes
        setattr(self, operation, self._answer)

    def _answer(self, **_: Any) -> Any:
        outcome = self._outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def converse(client: Scripted, sleeps: list[float]) -> Any:
    call = bedrock.Converse(lambda: client, "amazon.nova-lite-v1:0", sleep=sleeps.append)
    return call(
        "system", "prompt", max_tokens=10, temperature=0.0,
        refused=RuntimeError, unreachable=RuntimeError,
    )  # fmt: skip


def speak(client: Scripted, sleeps: list[float]) -> Any:
    expert = expert_by_id("credit")
    assert expert is not None
    return polly.PollyEngine(lambda: client, sleep=sleeps.append).synthesize("Hi.", expert.voice)


def pcm_answer() -> dict[str, Any]:
    pcm = b"\0\0" * 160
    return {"AudioStream": StreamingBody(io.BytesIO(pcm), len(pcm))}


CALLERS: dict[str, tuple[str, Callable[[Scripted, list[float]], Any], Callable[[], Any]]] = {
    "bedrock": ("converse", converse, lambda: converse_answer("Fine.")),
    "polly": ("synthesize_speech", speak, pcm_answer),
}
THROTTLE_METRIC = {"bedrock": "BedrockThrottles", "polly": "PollyThrottles"}


def refused_once(caller: str, code: str, capsys: pytest.CaptureFixture[str]) -> list[float]:
    """The caller's call refused once with ``code`` (and tried again): its waits, then the
    throttles it counted."""
    operation, call, answer = CALLERS[caller]
    client, sleeps = Scripted(operation, [refused(code), answer()]), list[float]()
    call(client, sleeps)
    telemetry.flush()
    assert client.calls == 2
    points = named(emf_points(capsys.readouterr().out), THROTTLE_METRIC[caller])
    return [*sleeps, *(p.total for p in points)]


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_every_throttle_is_retried_and_counted_by_each_caller(
    caller: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # One wait of the shared backoff, then one throttle counted.
    assert refused_once(caller, code, capsys) == [backoff(1, 2.0), 1]


@pytest.mark.parametrize("code", sorted(SERVER_FAULT_CODES))
@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_a_server_fault_is_retried_but_not_counted_as_a_throttle(
    caller: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refused_once(caller, code, capsys) == [backoff(1, 2.0)]


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES | SERVER_FAULT_CODES))
def test_the_tables_and_routes_see_the_same_codes_as_transient(code: str) -> None:
    # The job store, the worker, the lease, progress and the routes decide by is_transient.
    assert is_transient(refused(code))
    assert code in bedrock.RETRYABLE and code in polly.RETRYABLE
    assert is_throttle(refused(code)) == (code in THROTTLING_CODES)


def test_a_polly_throttle_that_never_ends_is_the_busy_sentence() -> None:
    expert = expert_by_id("credit")
    assert expert is not None
    for code in THROTTLING_CODES:
        assert str(polly.refusal(code, expert.voice)) == VOICES_BUSY


def test_the_banks_tables_unprocessed_batch_is_a_throttle_of_the_same_set() -> None:
    error = ClientError(table._THROTTLED, "BatchWriteItem")
    assert is_throttle(error) and is_transient(error)


def network_errors() -> list[Exception]:
    # botocore's HTTP errors take their endpoint as a keyword.
    return [cast(Any, kind)(endpoint_url="http://aws.invalid") for kind in NETWORK_ERRORS]


@pytest.mark.parametrize("error", network_errors(), ids=lambda e: type(e).__name__)
def test_every_network_error_is_transient_and_retried(error: Exception) -> None:
    assert is_transient(error)
    outcomes: list[Exception | str] = [error, "answer"]

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    sleeps: list[float] = []
    answer = with_retries(
        call, attempts=2, sleep=sleeps.append, refused=RuntimeError, unreachable=RuntimeError
    )
    assert answer == "answer" and sleeps == [2.0]


def test_one_backoff_formula_with_each_callers_first_wait_and_one_cap() -> None:
    assert [backoff(n, 2.0) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    waits = [backoff(n, worker.FIRST_BACKOFF_SECONDS) for n in range(1, 8)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert [table.unprocessed_backoff(n) for n in range(1, 8)] == [
        backoff(n, 0.1) for n in range(1, 8)
    ]
    assert table.unprocessed_backoff(7) == pytest.approx(6.4)
    assert all(backoff(100, first) == MAX_BACKOFF_SECONDS for first in (0.1, 0.5, 2.0))


def test_the_error_code_is_read_in_one_place() -> None:
    hand_written = re.compile(r"""response(\.get\(|\[)["']Error["']""")
    home = ROOT / "chalicelib" / "aws" / "policy.py"
    sources = [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]
    sources += [path for folder in ("devstack", "ingest") for path in (ROOT / folder).rglob("*.py")]
    found = [
        str(path.relative_to(ROOT))
        for path in sources
        if path != home and hand_written.search(path.read_text(encoding="utf-8"))
    ]
    assert found == [], f"read the code with aws.policy.error_code: {found}"
    assert policy.error_code(refused("SlowDown")) == "SlowDown"
    assert policy.error_code(ValueError("not AWS")) == ""


def test_a_failed_call_is_described_and_a_cancellation_read_in_the_policy() -> None:
    assert policy.describe(refused("SlowDown")) == "SlowDown (no)"
    assert policy.describe(ValueError("bad row")) == "bad row"
    assert policy.describe(ValueError()) == "ValueError"
    cancelled = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "no"},
            "CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )
    codes = [reason["Code"] for reason in policy.cancellations(cancelled)]
    assert codes == ["ConditionalCheckFailed", "None"]
    assert policy.cancellations(refused("SlowDown")) == []
