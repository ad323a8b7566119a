"""Lambda's invocation semantics over the worker pool.

- **Asynchronous** (``Event``): queued, delivered when a process is free (over the
  concurrency limit events wait, as throttled events do), retried after a function error
  or a timeout up to ``MaximumRetryAttempts`` times, about 1 and then 2 minutes later,
  while younger than ``MaximumEventAgeInSeconds``; then an invocation record goes to the
  on-failure queue. Every delivery of one event keeps its request id, as in Lambda.
- **Synchronous** (``RequestResponse``): runs now and answers the handler's result or its
  error object; over the concurrency limit, the caller is throttled.
- **SQS event source mappings**: a poller per queue runs the handler on each batch and
  deletes the batch only when the handler returned.

Every delivery is one log line and one entry of :meth:`LocalLambda.listing`.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.lambda_local.functions import REGION, Catalog, FunctionSpec, QueueSource
from devstack.lambda_local.process import Execution, Pool, Slot, WorkerProcess
from devstack.lambda_local.settings import LambdaSettings

# Lambda waits about one minute before the first retry and two before the second.
RETRY_DELAYS_SECONDS = (60.0, 120.0)
LISTING_SIZE = 500
PAYLOAD_SHOWN_BYTES = 4096

Say = Callable[[str], None]
SendRecord = Callable[[str, str], str]  # (queue name, body) -> message id
Environment = Callable[[FunctionSpec], Mapping[str, str]]


def iso_now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_from_ms(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class QueuedEvent:
    spec: FunctionSpec
    payload: Any
    request_id: str
    received: float  # monotonic
    duplicate: bool = False
    attempts: int = 0
    last: Execution | None = None


@dataclass
class Delivery:
    """One entry of the listing (the JSON shape of ``GET /_local/lambda/invocations``)."""

    function: str
    request_id: str
    attempt: int
    trigger: str
    payload: Any
    duplicate: bool = False
    pid: int | None = None
    cold_start: bool = False
    started_at: str = field(default_factory=iso_now)
    duration_ms: int | None = None
    outcome: str = "running"
    result: Any = None
    error: dict[str, Any] | None = None
    next_step: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "requestId": self.request_id,
            "attempt": self.attempt,
            "trigger": self.trigger,
            "duplicate": self.duplicate,
            "payload": _shown(self.payload),
            "startedAt": self.started_at,
            "durationMs": self.duration_ms,
            "outcome": self.outcome,
            "pid": self.pid,
            "coldStart": self.cold_start,
            "result": _shown(self.result),
            "error": self.error,
            "next": self.next_step,
        }


def _shown(value: Any) -> Any:
    size = len(json.dumps(value, default=str))
    return value if size <= PAYLOAD_SHOWN_BYTES else {"truncated": True, "bytes": size}


def destination_record(event: QueuedEvent, condition: str) -> dict[str, Any]:
    """The invocation record Lambda sends to an on-failure destination."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_now(),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{event.spec.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": event.payload,
    }
    if event.last is not None:
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        record["responsePayload"] = event.last.payload
    return record


class LocalLambda:
    """The functions of a :class:`Catalog`, run in a pool of worker processes."""

    def __init__(
        self,
        catalog: Catalog,
        settings: LambdaSettings,
        environment: Environment,
        send_record: SendRecord | None = None,
        queue_client: Callable[[], Any] | None = None,
        say: Say = print,
        output: Callable[[], int] | None = None,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self._environment = environment
        self._send_record = send_record
        self._queue_client = queue_client
        self._say = say
        self._output = output  # a pipe of its own for each worker process's output
        self._condition = threading.Condition()
        self._pool = Pool(settings.concurrency, self._condition)
        self._heap: list[tuple[float, int, QueuedEvent]] = []
        self._sequence = itertools.count()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._running: set[WorkerProcess] = set()
        self._deliveries: deque[Delivery] = deque(maxlen=LISTING_SIZE)
        self._records: deque[dict[str, Any]] = deque(maxlen=LISTING_SIZE)
        self._log_lock = threading.Lock()

    # Lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._spawn_thread(self._dispatch_loop, "local-lambda-dispatcher")
        for source in self.catalog.queue_sources:
            # As SQS's event source: at most ``maximum_concurrency`` invocations at once,
            # each poller waiting for its invocation before it receives again.
            for n in range(source.maximum_concurrency or 1):
                poll = functools.partial(self._poll_queue, source)
                self._spawn_thread(poll, f"esm-{source.queue}-{n}")
        for note in self.catalog.skipped:
            self._say(f"local lambda: {note}")
        consumed = {source.queue for source in self.catalog.queue_sources}
        destinations = {spec.on_failure_queue for spec in self.catalog.functions.values()}
        for queue in sorted(name for name in destinations if name is not None):
            if queue not in consumed:
                self._say(
                    f"local lambda: no SQS handler in the app consumes {queue} yet, so its "
                    "records stay in the queue (GET /_local/lambda/invocations lists them)."
                )

    def _spawn_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop dispatching and end every worker process, busy ones included."""
        with self._condition:
            self._stopping = True
            running = list(self._running)
            self._condition.notify_all()
        idle = self._pool.close()
        for process in running:
            process.kill()
        for process in idle:  # all told at once, then each given what is left of a second
            process.close_input()
        deadline = time.monotonic() + 1.0
        for process in idle:
            process.stop(grace=max(0.0, deadline - time.monotonic()))

    # Invoking --------------------------------------------------------------------------

    def invoke_event(self, spec: FunctionSpec, payload: Any) -> str:
        """Queue an asynchronous event; its request id, as Lambda answers it."""
        request_id = str(uuid.uuid4())
        now = time.monotonic()
        events = [QueuedEvent(spec, payload, request_id, now)]
        if self.settings.fault_for("duplicate", spec.name, spec.short_name, payload, 1):
            events.append(QueuedEvent(spec, payload, request_id, now, duplicate=True))
        with self._condition:
            for event in events:
                heapq.heappush(self._heap, (now, next(self._sequence), event))
            self._condition.notify_all()
        return request_id

    def invoke_sync(
        self, spec: FunctionSpec, payload: Any, trigger: str = "RequestResponse", wait: bool = False
    ) -> tuple[str, Execution] | None:
        """Run now; ``None`` when every process is busy and ``wait`` is false (throttled)."""
        with self._condition:
            slot, evicted = self._pool.try_reserve(spec.name)
            while slot is None and wait and not self._stopping:
                self._condition.wait(timeout=1.0)
                slot, evicted = self._pool.try_reserve(spec.name)
        if slot is None:
            return None
        if evicted is not None:
            evicted.stop()
        event = QueuedEvent(spec, payload, str(uuid.uuid4()), time.monotonic())
        execution = self._run(event, slot, trigger)
        return event.request_id, execution

    # The asynchronous queue ------------------------------------------------------------

    def _expiry(self, event: QueuedEvent) -> float:
        return event.received + self.settings.scaled(event.spec.max_event_age_seconds)

    def _dispatch_loop(self) -> None:
        while True:
            expired: QueuedEvent | None = None
            with self._condition:
                if self._stopping:
                    return
                if not self._heap:
                    self._condition.wait()
                    continue
                due, _, event = self._heap[0]
                now = time.monotonic()
                if due > now:
                    self._condition.wait(timeout=due - now)
                    continue
                if now >= self._expiry(event):
                    heapq.heappop(self._heap)
                    expired = event
                else:
                    slot, evicted = self._pool.try_reserve(event.spec.name)
                    if slot is None:  # throttled: wait for a process, or for the age limit
                        self._condition.wait(timeout=max(0.05, self._expiry(event) - now))
                        continue
                    heapq.heappop(self._heap)
            if expired is not None:
                self._give_up(expired, "EventAgeExceeded")
                continue
            if evicted is not None:
                evicted.stop()
            threading.Thread(
                target=self._deliver, args=(event, slot), name="delivery", daemon=True
            ).start()

    def _deliver(self, event: QueuedEvent, slot: Slot) -> None:
        self._run(event, slot, "Event")

    def _run(self, event: QueuedEvent, slot: Slot, trigger: str) -> Execution:
        """One delivery: a process from the slot, the invocation, the log line, what next."""
        spec = event.spec
        event.attempts += 1
        delivery = Delivery(
            spec.name, event.request_id, event.attempts, trigger, event.payload, event.duplicate
        )
        process: WorkerProcess | None = slot.process
        try:
            if process is None:
                output = None if self._output is None else self._output()
                process = WorkerProcess(spec, self._environment(spec), output)
        except OSError as exc:
            execution = Execution(
                "error", {"errorType": "Runtime.StartError", "errorMessage": str(exc)}
            )
            self._pool.release(slot, None)
            return self._finish(event, delivery, execution, trigger)
        delivery.pid, delivery.cold_start = process.pid, slot.cold
        with self._condition:
            self._running.add(process)
        with self._log_lock:
            self._deliveries.append(delivery)
        execution = process.invoke(self._request(event), self.settings.scaled(spec.timeout_seconds))
        with self._condition:
            self._running.discard(process)
        self._pool.release(slot, process if execution.outcome in ("ok", "error") else None)
        return self._finish(event, delivery, execution, trigger)

    def _request(self, event: QueuedEvent) -> dict[str, Any]:
        spec = event.spec
        fault, after = None, 0.0
        for kind in ("raise", "hang", "kill"):
            rule = self.settings.fault_for(
                kind, spec.name, spec.short_name, event.payload, event.attempts
            )
            if rule is not None:
                fault, after = kind, rule.after
                break
        return {
            "requestId": event.request_id,
            "payload": event.payload,
            "invokedFunctionArn": spec.arn,
            "fault": fault,
            "faultAfter": after,
        }

    def _finish(
        self, event: QueuedEvent, delivery: Delivery, execution: Execution, trigger: str
    ) -> Execution:
        with self._log_lock:
            if execution.started_ms:
                delivery.started_at = iso_from_ms(execution.started_ms)
            delivery.duration_ms = execution.duration_ms
            delivery.outcome = execution.outcome
            delivery.result = None if execution.failed else execution.payload
            delivery.error = execution.payload if execution.failed else None
        if self._stopping:  # killed by the stack's own shutdown: nothing follows
            return execution
        # After the outcome is visible: a retry or a record follows this delivery.
        next_step = self._after(event, execution) if trigger == "Event" else None
        with self._log_lock:
            delivery.next_step = next_step
        self._say(_log_line(delivery, execution))
        return execution

    def _after(self, event: QueuedEvent, execution: Execution) -> str | None:
        """Schedule a retry after a failed delivery, or give the event up."""
        if not execution.failed:
            return None
        event.last = execution
        if event.attempts > event.spec.max_retries:
            return self._give_up(event, "RetriesExhausted")
        delay = self.settings.scaled(RETRY_DELAYS_SECONDS[min(event.attempts, 2) - 1])
        due = min(time.monotonic() + delay, self._expiry(event))
        with self._condition:
            heapq.heappush(self._heap, (due, next(self._sequence), event))
            self._condition.notify_all()
        return f"retry in {delay:.1f} s"

    def _give_up(self, event: QueuedEvent, condition: str) -> str:
        queue = event.spec.on_failure_queue
        record = destination_record(event, condition)
        if queue is None or self._send_record is None:
            step = f"discarded ({condition}; no on-failure destination)"
        else:
            try:
                message_id = self._send_record(queue, json.dumps(record))
            except Exception as exc:  # the emulator is gone (shutting down) or refused it
                step = f"could not be sent to {queue} ({condition}): {exc}"
            else:
                step = f"sent to {queue} ({condition})"
                with self._log_lock:
                    self._records.append(
                        {
                            "queue": queue,
                            "messageId": message_id,
                            "sentAt": iso_now(),
                            "record": record,
                        }
                    )
        if condition == "EventAgeExceeded":
            self._say(
                f"local lambda: {event.spec.name} request {event.request_id} is older than "
                f"its maximum age after {event.attempts} attempts: {step}"
            )
        return step

    # The SQS event source mappings -----------------------------------------------------

    def _poll_queue(self, source: QueueSource) -> None:
        assert self._queue_client is not None
        client = self._queue_client()
        spec = self.catalog.functions[source.function]
        url = client.get_queue_url(QueueName=source.queue)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{spec.arn.split(':')[4]}:{source.queue}"
        visibility = max(1, round(self.settings.scaled(spec.timeout_seconds)) + 1)
        while not self._stopping:
            try:
                messages = client.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(10, source.batch_size),
                    WaitTimeSeconds=1,
                    VisibilityTimeout=visibility,
                    AttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                if self._stopping:
                    return
                time.sleep(1.0)  # the emulator is restarting or gone: poll again later
                continue
            if not messages:
                continue
            event = {"Records": [_sqs_record(message, arn) for message in messages]}
            ran = self.invoke_sync(spec, event, trigger="SQS", wait=True)
            if ran is None or ran[1].failed:
                continue  # every message becomes visible again after its timeout
            done = _not_handed_back(messages, ran[1].payload)
            if done:
                client.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(done)
                    ],
                )

    # Listing ---------------------------------------------------------------------------

    def listing(self) -> dict[str, Any]:
        with self._log_lock:
            deliveries = sorted(
                (delivery.to_json() for delivery in self._deliveries),
                key=lambda entry: entry["startedAt"],
                reverse=True,
            )
            records = list(reversed(self._records))
        with self._condition:
            queued = len(self._heap)
            busy, idle = self._pool.busy, self._pool.idle_count()
        return {
            "invocations": deliveries,
            "failures": records,
            "queued": queued,
            "processes": {"busy": busy, "idle": idle, "limit": self._pool.limit},
            "timeScale": self.settings.time_scale,
        }


def _not_handed_back(messages: list[dict[str, Any]], answer: Any) -> list[dict[str, Any]]:
    """The messages to delete: all but those the handler named in ``batchItemFailures``
    (ReportBatchItemFailures: a partial batch failure)."""
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if not isinstance(failures, list):
        return messages
    again = {str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)}
    return [message for message in messages if message["MessageId"] not in again]


def _sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """A message as an SQS event source mapping hands it to Lambda."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _log_line(delivery: Delivery, execution: Execution) -> str:
    """One line per delivery: function, request id, attempt, duration, outcome."""
    attempt = f"attempt {delivery.attempt}" + (" (duplicate)" if delivery.duplicate else "")
    line = (
        f"local lambda: {delivery.function} request {delivery.request_id} {attempt}: "
        f"{execution.outcome} in {execution.duration_ms} ms"
    )
    if execution.failed:
        message = str((execution.payload or {}).get("errorMessage", ""))[:200]
        line += f" ({execution.error_type}: {message}"
        line += f"; process {execution.pid} {execution.detail})" if execution.detail else ")"
    if delivery.next_step:
        line += f"; {delivery.next_step}"
    return line
