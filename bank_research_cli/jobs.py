"""How a job reads to a person: its outcome, its sentence, the command that watches it."""

from __future__ import annotations

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


def progress_line(job: dict[str, Any]) -> str:
    """One plain line: ``report 9900001   30%  Writing the capital section``."""
    label = f"{job.get('type', 'job')} {job.get('idrssd', '')}"
    percent = int(job.get("progress") or 0)
    state = outcome(job)
    text = str(job.get("message") or job.get("stage") or "")
    if state in ("failed", "cancelled"):
        text = sentence(job)
    return f"{label}  {percent:3d}%  {text}".rstrip()


def summary(job: dict[str, Any]) -> str:
    """``status``'s line for one job."""
    kind, bank = job.get("type", "job"), job.get("idrssd", "")
    state = outcome(job)
    when = job.get("finishedAt") or job.get("updatedAt") or ""
    if state == "active":
        percent = int(job.get("progress") or 0)
        return (
            f"The {kind} job for bank {bank} is {job.get('status')}: {percent}%, "
            f"{_as_sentence(str(job.get('message') or job.get('stage') or ''))}"
        ).rstrip()
    if state == "completed":
        return f"The {kind} for bank {bank} was finished at {_when(when)}."
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


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."
