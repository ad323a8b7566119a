"""The local stack's CloudWatch: the app's metrics, collected from the stack's output.

In AWS, CloudWatch Logs lifts the Embedded Metric Format documents out of each function's
log stream. Locally every process of the stack (the app, the local Lambda's worker
processes, the stack itself) writes to the stack's standard output, so :class:`StdoutRelay`
puts that output through a pipe: ordinary lines go on to the terminal, EMF documents go to
:class:`LocalMetrics` instead, and the end of a job is printed as one summary line::

    job report 9900001 01a0c450-… completed in 10.4 s (attempt 1, claimed after 0.2 s;
    load 0.1 s, metrics 0.0 s, …; 14 progress writes)

:class:`MetricsServer` answers ``GET /_local/metrics`` with counts and percentiles since
the stack started; the app serves it at its own address (``devstack/chalice_local.py``).
Nothing here is packaged.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

METRICS_PATH = "/_local/metrics"
METRICS_URL_ENV = "LOCAL_METRICS_URL"
SAMPLES_KEPT = 10_000  # per series: the percentiles are of the latest values
JOBS_KEPT = 200


def emf_document(line: str) -> dict[str, Any] | None:
    """The EMF document on ``line``, or ``None`` when it is any other output."""
    text = line.strip()
    if not (text.startswith("{") and '"_aws"' in text):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
        return None
    return document


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Series:
    """One metric under one set of dimensions, as CloudWatch would keep it."""

    name: str
    unit: str
    dimensions: dict[str, str]
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=SAMPLES_KEPT))

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low, self.high = min(self.low, value), max(self.high, value)
        self.recent.append(value)

    def to_json(self) -> dict[str, Any]:
        ordered = sorted(self.recent)
        shown: dict[str, Any] = {
            "name": self.name, "dimensions": self.dimensions, "unit": self.unit,
            "samples": self.count, "sum": self.total,
        }  # fmt: skip
        if ordered:
            shown |= {
                "min": self.low, "p50": percentile(ordered, 0.5),
                "p90": percentile(ordered, 0.9), "p99": percentile(ordered, 0.99),
                "max": self.high,
            }  # fmt: skip
        return shown


class LocalMetrics:
    """EMF documents seen since the stack started: series, and one summary per job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], Series] = {}
        self._claims: dict[str, float] = {}  # jobId → ms from start to claim
        self._jobs: deque[dict[str, Any]] = deque(maxlen=JOBS_KEPT)
        self.documents = 0
        self.since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def feed(self, document: dict[str, Any]) -> str | None:
        """Take one document; the summary line to print when it ends a job."""
        with self._lock:
            self.documents += 1
            for directive in document["_aws"].get("CloudWatchMetrics", []):
                self._add_directive(document, directive)
            return self._summary(document)

    def _add_directive(self, document: dict[str, Any], directive: dict[str, Any]) -> None:
        for keys in directive.get("Dimensions", []):
            dimensions = {key: str(document.get(key, "")) for key in keys}
            for metric in directive.get("Metrics", []):
                name, unit = metric["Name"], metric.get("Unit", "None")
                key = (name, tuple(sorted(dimensions.items())))
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = Series(name, unit, dimensions)
                raw = document.get(name)
                for value in raw if isinstance(raw, list) else [raw]:
                    if isinstance(value, int | float):
                        series.add(float(value))

    def _summary(self, document: dict[str, Any]) -> str | None:
        job_id = document.get("jobId")
        if not isinstance(job_id, str):
            return None
        if "StartToClaim" in document:
            self._claims[job_id] = _first(document["StartToClaim"])
            return None
        job_type = document.get("JobType", "job")
        if "JobDuration" in document:
            entry = {
                "jobId": job_id, "type": job_type, "idrssd": document.get("idrssd"),
                "outcome": document.get("outcome"), "reason": document.get("reason"),
                "attempt": document.get("attempt"),
                "durationMs": _first(document["JobDuration"]),
                "startToClaimMs": self._claims.pop(job_id, None),
                "stageMs": document.get("stageMs") or {},
                "progressWrites": _first(document.get("ProgressWrites", 0)),
            }  # fmt: skip
        elif "JobsCancelled" in document or ("JobsFailed" in document and "outcome" in document):
            outcome = "cancelled" if "JobsCancelled" in document else "failed"
            entry = {"jobId": job_id, "type": job_type, "idrssd": document.get("idrssd")}
            entry |= {"outcome": outcome, "reason": document.get("reason")}
            self._claims.pop(job_id, None)
        else:
            return None
        self._jobs.appendleft(entry)
        return summary_line(entry)

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_local/metrics`` answers."""
        with self._lock:
            series = sorted(
                self._series.values(), key=lambda s: (s.name, sorted(s.dimensions.items()))
            )
            return {
                "namespace": "BankResearch",
                "since": self.since,
                "documents": self.documents,
                "metrics": [item.to_json() for item in series],
                "jobs": list(self._jobs),
            }


def _first(value: Any) -> float:
    if isinstance(value, list):
        return float(value[0]) if value else 0.0
    return float(value) if isinstance(value, int | float) else 0.0


def summary_line(entry: dict[str, Any]) -> str:
    """One line per job for the ``make run`` output."""
    head = f"job {entry['type']} {entry.get('idrssd') or ''} {entry['jobId']}".replace("  ", " ")
    if "durationMs" not in entry:
        reason = f" ({entry['reason']})" if entry.get("reason") else ""
        return f"{head} {entry['outcome']}{reason}"
    outcome = entry["outcome"] + (f" ({entry['reason']})" if entry.get("reason") else "")
    details = [f"attempt {entry.get('attempt') or 1}"]
    if entry.get("startToClaimMs") is not None:
        details[0] += f", claimed after {entry['startToClaimMs'] / 1000:.1f} s"
    stages = ", ".join(f"{name} {ms / 1000:.1f} s" for name, ms in entry["stageMs"].items())
    if stages:
        details.append(stages)
    details.append(f"{int(entry['progressWrites'])} progress writes")
    return f"{head} {outcome} in {entry['durationMs'] / 1000:.1f} s ({'; '.join(details)})"


class StdoutRelay:
    """This process's standard output, and every child's started while it runs, through
    pipes: EMF documents to ``metrics``, the rest to the terminal as it was, a whole line
    at a time.

    File descriptor 1 is replaced, so children inherit a pipe with no change to how they
    are started (they must not buffer it: ``PYTHONUNBUFFERED``, set by the stack). A child
    that writes much, or in pieces (a traceback, a line and its newline apart), is given
    a pipe of its own (``child_output``): lines are read per pipe, so no other process's
    output ever lands inside one of its lines, and a metric document arrives intact.
    """

    SYNC = "\x00relay-sync\x00"

    def __init__(self, metrics: LocalMetrics) -> None:
        self._metrics = metrics
        self._saved: int | None = None
        self._terminal: Any = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._synced = threading.Condition()
        self._syncs = 0

    def start(self) -> StdoutRelay:
        sys.stdout.flush()
        self._saved = os.dup(1)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 1)
        os.close(write_end)
        self._terminal = os.fdopen(os.dup(self._saved), "w", encoding="utf-8", errors="replace")
        self._read(read_end)
        return self

    def child_output(self) -> int:
        """A pipe of its own for one child's output (give it as the child's stdout and
        stderr, then close this end): its lines are relayed whole."""
        read_end, write_end = os.pipe()
        self._read(read_end)
        return write_end

    def _read(self, read_end: int) -> None:
        thread = threading.Thread(
            target=self._relay, args=(read_end,), name="stdout-relay", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def sync(self, timeout: float = 5.0) -> None:
        """Return once everything this process wrote before is on the terminal."""
        with self._synced:
            wanted = self._syncs + 1
        sys.stdout.write(self.SYNC + "\n")
        sys.stdout.flush()
        with self._synced:
            self._synced.wait_for(lambda: self._syncs >= wanted, timeout)

    def _relay(self, read_end: int) -> None:
        with os.fdopen(read_end, "r", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.rstrip("\n") == self.SYNC:
                    with self._synced:
                        self._syncs += 1
                        self._synced.notify_all()
                    continue
                document = emf_document(line)
                shown = line if document is None else self._metrics.feed(document)
                if shown:
                    self._show(shown if shown.endswith("\n") else shown + "\n")

    def _show(self, line: str) -> None:
        with self._lock:
            try:
                self._terminal.write(line)
                self._terminal.flush()
            except (OSError, ValueError):
                pass  # the terminal went away; keep draining the pipe

    def stop(self, timeout: float = 2.0) -> None:
        """Give the terminal back; what is still in the pipes is relayed first."""
        if self._saved is None:
            return
        sys.stdout.flush()
        os.dup2(self._saved, 1)  # this process's write end closes; children's ended
        os.close(self._saved)
        self._saved = None
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            self._terminal.close()


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the app logs its own requests."""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0].rstrip("/") != METRICS_PATH:
            body, status = {"error": "No such page.", "code": "not_found"}, 404
        else:
            body, status = self.server.metrics.snapshot(), 200
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class MetricsServer(ThreadingHTTPServer):
    """``GET /_local/metrics`` on a loopback port of its own (the app proxies to it)."""

    daemon_threads = True

    def __init__(self, metrics: LocalMetrics, host: str = "127.0.0.1", port: int = 0) -> None:
        self.metrics = metrics
        super().__init__((host, port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, name="metrics", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{METRICS_PATH}"

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class LocalTelemetry:
    """What ``make run`` starts for its metrics: the relay and the server."""

    def __init__(self, host: str) -> None:
        self.metrics = LocalMetrics()
        self.server = MetricsServer(self.metrics, host)
        self.relay = StdoutRelay(self.metrics)

    def start(self) -> LocalTelemetry:
        self.server.start()
        self.relay.start()
        return self

    def child_output(self) -> int:
        return self.relay.child_output()

    def env(self) -> dict[str, str]:
        """For the app and the workers: where the app finds the figures, and unbuffered
        output (a pipe would otherwise hold lines back until a buffer fills)."""
        return {METRICS_URL_ENV: self.server.url, "PYTHONUNBUFFERED": "1"}

    def stop(self) -> None:
        self.relay.stop()
        self.server.stop()
