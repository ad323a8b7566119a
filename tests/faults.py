"""Faults injected into AWS calls through botocore's event hooks, for the fault suite.

A ``FaultInjector`` attaches to boto3 clients (or to a session, for clients made after)
and, for the next N calls of an operation that match a predicate over the call's
parameters, can:

- ``throttle`` / ``server_error``: answer with a throttling or 5xx error *as if botocore's
  own retries were used up* (the call never reaches the emulator, nothing is applied);
- ``conflict``: cancel a ``TransactWriteItems`` as DynamoDB does when another transaction
  was writing one of its items (``TransactionConflict``; nothing is applied);
- ``lose_response``: apply the call, then lose its response, so that botocore retries it
  (the retry meets the state the first attempt left: a conditional write then fails);
- ``leave_unprocessed``: a ``BatchWriteItem`` or ``BatchGetItem`` that applies (reads) only
  the first half of its requests (or the first ``keep``) and answers the rest as
  ``UnprocessedItems`` / ``UnprocessedKeys``, as DynamoDB does when it throttles part of a
  batch;
- ``before``: run code just before the call goes out — to stall it while something else
  happens (a cancel, a newer run), or to move a fake clock as a slow call would.

Works against moto's in-process backend (``mock_aws``), whose responder is botocore's
``before-send`` handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto.core.models import botocore_stubber

Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class Rule:
    operation: str
    kind: str  # "error" | "lose" | "before" | "unprocessed"
    times: int
    when: Predicate
    status: int = 400
    code: str = ""
    keep: int | None = None  # requests a batch call processes ("unprocessed"; None: half)
    action: Callable[[], None] | None = None
    reasons: list[dict[str, str]] | None = None  # a cancelled transaction's, one per write
    fired: int = 0


@dataclass
class FaultInjector:
    rules: list[Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, *targets: Any) -> FaultInjector:
        """Hook into clients (``client.meta.events``) or sessions (``session.events``)."""
        for target in targets:
            events = target.events if hasattr(target, "events") else target.meta.events
            events.register_first("before-parameter-build", self._choose)
            events.register_first("before-call", self._before_call)
            events.register_first("before-send", self._before_send)
            # Before boto3's own DynamoDB handlers turn typed values into Python ones, so that
            # what is held back reads as the rest of the answer does.
            events.register_first("after-call.dynamodb", self._after_call)
        return self

    # What to inject ---------------------------------------------------------------------

    def throttle(
        self,
        operation: str,
        times: int = 1,
        when: Predicate | None = None,
        code: str = "ProvisionedThroughputExceededException",
    ) -> Rule:
        return self._add(Rule(operation, "error", times, when or _always, 400, code))

    def server_error(
        self, operation: str, times: int = 1, when: Predicate | None = None, status: int = 500
    ) -> Rule:
        code = "InternalServerError" if status == 500 else "ServiceUnavailable"
        return self._add(Rule(operation, "error", times, when or _always, status, code))

    def refuse(
        self, operation: str, code: str, times: int = 1, when: Predicate | None = None
    ) -> Rule:
        """A permanent refusal (403 ``AccessDenied`` and the like): not worth retrying."""
        return self._add(Rule(operation, "error", times, when or _always, 403, code))

    def conflict(self, times: int = 1, when: Predicate | None = None) -> Rule:
        """The first write of a two-write transaction met another transaction."""
        reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
        return self._add(Rule("TransactWriteItems", "error", times, when or _always, 400,
                              "TransactionCanceledException", reasons=reasons))  # fmt: skip

    def lose_response(self, operation: str, times: int = 1, when: Predicate | None = None) -> Rule:
        return self._add(Rule(operation, "lose", times, when or _always))

    def leave_unprocessed(
        self, operation: str, times: int = 1, when: Predicate | None = None,
        keep: int | None = None,
    ) -> Rule:  # fmt: skip
        assert operation in _BATCH_PARTS, operation
        return self._add(Rule(operation, "unprocessed", times, when or _always, keep=keep))

    def before(
        self,
        operation: str,
        action: Callable[[], None],
        times: int = 1,
        when: Predicate | None = None,
    ) -> Rule:
        return self._add(Rule(operation, "before", times, when or _always, action=action))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    # botocore handlers ------------------------------------------------------------------

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def _choose(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        with self._lock:
            for rule in self.rules:
                if rule.operation == model.name and rule.fired < rule.times and rule.when(params):
                    rule.fired += 1
                    context["fault"] = rule
                    if rule.kind == "unprocessed":
                        context["unprocessed"] = _hold_back(model.name, params, rule.keep)
                    return

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        rule: Rule | None = context.get("fault")
        if rule is None:
            return None
        if rule.kind == "before":
            context.pop("fault")
            assert rule.action is not None
            rule.action()
            return None
        if rule.kind != "error":
            return None
        context.pop("fault")
        parsed: dict[str, Any] = {
            "Error": {"Code": rule.code, "Message": f"injected {rule.code}"},
            "ResponseMetadata": {"HTTPStatusCode": rule.status, "HTTPHeaders": {}},
        }
        if rule.reasons is not None:
            parsed["CancellationReasons"] = rule.reasons
        return AWSResponse("https://fault.invalid", rule.status, {}, None), parsed

    def _after_call(
        self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        held = context.pop("unprocessed", None)
        if held is not None:
            parsed[_BATCH_PARTS[model.name][1]] = held

    def _before_send(self, request: Any, event_name: str, **_: Any) -> Any:
        context = request.context or {}
        rule: Rule | None = context.get("fault")
        if rule is None or rule.kind != "lose":
            return None
        context.pop("fault")
        botocore_stubber(event_name=event_name, request=request)  # applied…
        raise ReadTimeoutError(endpoint_url=request.url)  # …and its answer lost


# The batch operations: the part of a table's request that can be left over, and the key
# of the answer that hands it back.
_BATCH_PARTS = {
    "BatchWriteItem": (None, "UnprocessedItems"),
    "BatchGetItem": ("Keys", "UnprocessedKeys"),
}


def _hold_back(operation: str, params: dict[str, Any], kept: int | None) -> dict[str, Any]:
    """Take all but the first half (or ``kept``) of each table's requests out of
    ``params``; what to answer as unprocessed (in the shape the call was given, as DynamoDB
    hands it back)."""
    part = _BATCH_PARTS[operation][0]
    held: dict[str, Any] = {}
    for table, request in params["RequestItems"].items():
        requests = request[part] if part else request
        cut = (len(requests) + 1) // 2 if kept is None else kept
        keep, rest = requests[:cut], requests[cut:]
        if not rest:
            continue
        if part:
            request[part] = keep
            held[table] = {**request, part: rest}
        else:
            params["RequestItems"][table] = keep
            held[table] = rest
    return held


def _always(_: dict[str, Any]) -> bool:
    return True


# Predicates over a call's parameters, naming the job-core write they select -------------------


def is_claim(params: dict[str, Any]) -> bool:
    return "#attempt = #attempt + :one" in params.get("UpdateExpression", "")


def is_progress(params: dict[str, Any]) -> bool:
    return "#progress = :progress" in params.get("UpdateExpression", "")


def is_owned_failure(params: dict[str, Any]) -> bool:
    update = params.get("UpdateExpression", "")
    return "#status = :failed" in update and ":delivery" in str(params.get("ConditionExpression"))


def key_ends_with(suffix: str) -> Predicate:
    return lambda params: str(params.get("Key", "")).endswith(suffix)
