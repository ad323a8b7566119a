"""How a job reads to a person: its outcome, its sentence, the command that watches it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACTIVE = ("pending", "running")


def outcome(job: dict[str, Any]) -> str:
    """``active``, ``completed``, ``cancelled`` or ``failed``.

    A cancelled job is ``failed`` with ``errorCode`` ``cancelled``; a server from before
    that contract says ``status: "cancelled"``. Both read as a cancellation.
    """
    status = job.get("status")
    if status in ACTIVE:
        return "active"
    if status == "completed":
        return "completed"
    if status == "cancelled" or job.get("errorCode") == "cancelled":
        return "cancelled"
    return "failed"


def sentence(job: dict[str, Any]) -> str:
    """The job's own words about how it ended (or where it is)."""
    text = job.get("error") or job.get("message") or ""
    if not text:
        text = {"cancelled": "Cancelled.", "failed": "The job failed."}.get(outcome(job), "")
    return _as_sentence(str(text))


STALLED_AFTER_BEATS = 1.5  # silence, in heartbeats, after which a run reads as stalled
WORKER = {"report": "the writer", "podcast": "the podcast maker"}


@dataclass(frozen=True)
class Life:
    """Where an active job is: ``queued``, ``working``, ``stalled`` (nothing heard from its
    run for more than 1.5 heartbeats) or ``retrying`` (its lease ran out); what to say, and
    the facts beside it (time elapsed or waited, the attempt once it was retried)."""

    phase: str
    words: str
    facts: str


def life(job: dict[str, Any], now: float) -> Life:
    """The page's reading of an active job (``jobLife`` in the page's words.js), as of
    ``now`` (epoch seconds)."""
    kind = str(job.get("type") or "job")
    created, beat = _epoch(job.get("createdAt")), _epoch(job.get("lastBeatAt"))
    attempt, attempts = int(job.get("attempt") or 0), int(job.get("maxAttempts") or 0)
    retried = f"attempt {attempt} of {attempts}" if attempt > 1 and attempts else ""

    def facts(lead: str) -> str:
        return " · ".join(part for part in (lead, retried) if part)

    if job.get("status") == "pending":
        waited = "" if created is None else f"waiting {span(now - created)}"
        return Life("queued", f"Waiting to start: the {kind} is queued.", facts(waited))
    elapsed = "" if created is None else f"{span(now - created)} elapsed"
    heartbeat = int(job.get("heartbeatSeconds") or 0)
    lease = int(job.get("leaseSeconds") or 0)
    if beat is not None and heartbeat > 0 and lease > 0:
        worker, lease_end = WORKER.get(kind, "the worker"), beat + lease
        if now > lease_end:
            more = f" Attempt {attempt + 1} of {attempts} will take over shortly."
            words = (
                f"No word from {worker} since {clock(beat)}.{more if attempt < attempts else ''}"
            )
            return Life("retrying", words, facts(elapsed))
        if now - beat > STALLED_AFTER_BEATS * heartbeat:
            then = "it will be retried" if attempt < attempts else f"the {kind} will be stopped"
            words = (
                f"No word from {worker} for {span(now - beat)}; {then} at {clock(lease_end)} "
                "if it does not recover."
            )
            return Life("stalled", words, facts(elapsed))
    text = _as_sentence(str(job.get("message") or job.get("stage") or ""))
    return Life("working", text, facts(elapsed))


def span(seconds: float) -> str:
    """``50 s``, ``2 min 05 s``, ``1 h 04 min``."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {total // 60 % 60:02d} min"


def clock(epoch: float) -> str:
    """A time of day on this computer's clock, to the minute: ``14:32``."""
    return datetime.fromtimestamp(epoch).strftime("%H:%M")


def took(job: dict[str, Any]) -> str:
    """How long a finished job took, from its start to its end (empty if unknown)."""
    created, finished = _epoch(job.get("createdAt")), _epoch(job.get("finishedAt"))
    return "" if created is None or finished is None else span(finished - created)


def progress_line(job: dict[str, Any], now: float | None = None) -> str:
    """One plain line: ``report 9900001   30%  Writing the capital section.`` (and where
    it stands once retried, stalled or waiting for a retry)."""
    label = f"{job.get('type', 'job')} {job.get('idrssd', '')}"
    percent = int(job.get("progress") or 0)
    state = outcome(job)
    text = str(job.get("message") or job.get("stage") or "")
    if state in ("failed", "cancelled"):
        text = sentence(job)
    elif state == "active":
        # A line per change: the server's words while it works or waits (a count of
        # seconds would change every poll), the stall or the wait for a retry once seen.
        current = life(job, time.time() if now is None else now)
        if current.phase in ("stalled", "retrying"):
            text = current.words
        attempt, attempts = int(job.get("attempt") or 0), int(job.get("maxAttempts") or 0)
        if attempt > 1 and attempts:
            text += f" (attempt {attempt} of {attempts})"
    return f"{label}  {percent:3d}%  {text}".rstrip()


def summary(job: dict[str, Any], now: float | None = None) -> str:
    """``status``'s line for one job."""
    kind, bank = job.get("type", "job"), job.get("idrssd", "")
    state = outcome(job)
    when = job.get("finishedAt") or job.get("updatedAt") or ""
    if state == "active":
        percent = int(job.get("progress") or 0)
        current = life(job, time.time() if now is None else now)
        facts = f" ({current.facts})" if current.facts else ""
        return (
            f"The {kind} job for bank {bank} is {job.get('status')}: {percent}%{facts}. "
            f"{current.words}"
        ).rstrip()
    if state == "completed":
        length = took(job)
        spent = f", in {length}" if length else ""
        return f"The {kind} for bank {bank} was finished at {_when(when)}{spent}."
    verb = "was cancelled" if state == "cancelled" else "failed"
    return f"The {kind} job for bank {bank} {verb} at {_when(when)}: {sentence(job)}"


def finished_line(job: dict[str, Any]) -> str:
    """What to say once a watched job has ended."""
    kind, bank = job.get("type", "job"), job.get("idrssd", "")
    state = outcome(job)
    if state == "completed":
        return f"The {kind} for bank {bank} is ready: {read_command(kind, bank)}"
    if state == "cancelled":
        return f"The {kind} job for bank {bank} was cancelled: {sentence(job)}"
    return f"The {kind} job for bank {bank} failed: {sentence(job)}"


def read_command(kind: str, bank: str) -> str:
    if kind == "podcast":
        return f"bank-research get podcast {bank} -o podcast-{bank}.mp3"
    return f"bank-research get report {bank}"


def watch_command(kind: str, bank: str, base_url: str | None = None) -> str:
    extra = f" --base-url {base_url}" if base_url else ""
    return f"bank-research status {bank} --type {kind} --wait{extra}"


def _when(iso: str) -> str:
    """``2026-12-01T07:07:53.319Z`` → ``2026-12-01 07:07:53 UTC``."""
    if len(iso) >= 19 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:19]} UTC"
    return iso or "an unknown time"


def epoch(iso: Any) -> float | None:
    """``2026-12-01T07:07:53.319Z`` → epoch seconds; None when absent or unreadable."""
    return _epoch(iso)


def _epoch(iso: Any) -> float | None:
    """``2026-12-01T07:07:53.319Z`` → epoch seconds; None when absent or unreadable."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."
