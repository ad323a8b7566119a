"""``bank-research batch``: research for many banks at once, started, watched, cancelled
and retried; how a batch reads to a person (its counts, rate and time left)."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from bank_research_cli import render
from bank_research_cli.errors import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Transient,
    UsageError,
)
from bank_research_cli.jobs import epoch, span

if TYPE_CHECKING:
    from bank_research_cli.cli import Context

POLL_SECONDS = 2.0  # a batch moves bank by bank; every 2 s is often enough to see it move
GIVE_UP_AFTER = 300.0  # seconds of nothing but busy answers before saying so
MAX_NAMED = 250  # the API's own bound on banks named in one batch
DONE_STATES = ("completed", "failed", "skipped", "cancelled")
STATE = re.compile(r"^[A-Za-z]{2}$")
RSSD = re.compile(r"^[1-9][0-9]{0,9}$")
QUARTER = re.compile(r"^(latest|[0-9]{8})$")


@dataclass(frozen=True)
class Reading:
    """Where a batch stands: banks done (completed, failed, skipped or cancelled) of its
    total, and, once some are done, banks per minute and the time left at that pace."""

    done: int
    total: int
    per_minute: float | None
    left_seconds: float | None


def reading(batch: dict[str, Any], now: float) -> Reading:
    """The batch's pace from its own start (``createdAt``) to its end or to ``now``."""
    total = int(batch.get("total") or 0)
    done = sum(int(batch.get(state) or 0) for state in DONE_STATES)
    began = epoch(batch.get("createdAt"))
    ended = epoch(batch.get("finishedAt")) or now
    if began is None or done == 0 or ended <= began:
        return Reading(done, total, None, None)
    per_minute = done / ((ended - began) / 60)
    left = None if batch.get("status") != "running" else (total - done) / per_minute * 60
    return Reading(done, total, per_minute, left)


def counts_text(batch: dict[str, Any]) -> str:
    """``3 completed, 1 failed, 0 skipped of 5``, with what is still waiting or cancelled."""
    parts = [
        f"{int(batch.get(state) or 0)} {state}" for state in ("completed", "failed", "skipped")
    ]
    text = f"{', '.join(parts)} of {int(batch.get('total') or 0)}"
    for state in ("running", "queued", "cancelled"):
        if int(batch.get(state) or 0):
            text += f", {batch[state]} {state}"
    return text


def pace_text(current: Reading) -> str:
    if current.per_minute is None:
        return ""
    pace = f"{current.per_minute:.1f} banks/min"
    return (
        pace if current.left_seconds is None else f"{pace}, about {span(current.left_seconds)} left"
    )


def progress_line(batch: dict[str, Any], now: float) -> str:
    """One plain line: ``batch 0193…  running  3 completed, … of 5  (2.0 banks/min, …)``."""
    pace = pace_text(reading(batch, now))
    line = f"batch {batch.get('batchId', '')}  {batch.get('status', '')}  {counts_text(batch)}"
    return f"{line}  ({pace})" if pace else line


def summary(batch: dict[str, Any], now: float) -> str:
    """What to say of a batch: its quarter, state, counts and pace."""
    state = {"running": "is running", "completed": "finished", "cancelled": "was cancelled"}
    verb = state.get(str(batch.get("status")), str(batch.get("status")))
    quarter = render.quarter(batch.get("quarter"))
    pace = pace_text(reading(batch, now))
    text = f"Batch {batch.get('batchId')} ({batch.get('type')}s, data of {quarter}) {verb}: "
    return text + counts_text(batch) + (f" ({pace})." if pace else ".")


def outcome_code(batch: dict[str, Any]) -> int:
    """Non-zero when a bank failed (1) or the batch was cancelled (3)."""
    if int(batch.get("failed") or 0):
        return EXIT_FAILED
    return EXIT_CANCELLED if batch.get("status") == "cancelled" else EXIT_OK


# Parsing the command line --------------------------------------------------------------


def add_commands(command: Callable[[str, str], argparse.ArgumentParser],
                 common: argparse.ArgumentParser) -> None:  # fmt: skip
    batch = command("batch", "Research for many banks at once: start, watch, cancel, retry.")
    actions = batch.add_subparsers(dest="action", required=True,
                                   metavar="start|status|cancel|retry|list")  # fmt: skip

    def action(name: str, text: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=text, description=text, parents=[common])

    start = action("start", "Start reports for every bank with the latest figures, or some.")
    start.add_argument("--quarter", default="latest", help="latest (default) or YYYYMMDD")
    start.add_argument("--state", metavar="XX", help="only banks in this state, e.g. AK")
    start.add_argument("--min-assets", metavar="N", help="total assets at least N (thousands $)")
    start.add_argument("--max-assets", metavar="N", help="total assets at most N (thousands $)")
    start.add_argument("--bank", metavar="ID", nargs="+", action="extend", dest="banks",
                       help="only these banks (RSSD IDs; up to 250)")  # fmt: skip
    start.add_argument("--wait", action="store_true", help="watch the batch to its end")
    start.set_defaults(handler=run_start)
    for name, text, handler in (
        ("status", "Show a batch's counts, pace and failures.", run_status),
        ("cancel", "Cancel a batch's banks that have not started.", run_cancel),
        ("retry", "Run a batch's failed banks again.", run_retry),
    ):
        one = action(name, text)
        one.add_argument("batch_id", metavar="BATCH_ID", help="as batch start printed it")
        if name != "cancel":
            one.add_argument("--wait", action="store_true", help="watch the batch to its end")
        one.set_defaults(handler=handler)
    action("list", "The newest batches first.").set_defaults(handler=run_list)


def request_of(args: argparse.Namespace) -> dict[str, Any]:
    """The ``POST /api/batches`` body, or a sentence saying what to change."""
    if not QUARTER.match(args.quarter):
        raise UsageError(
            f"'{args.quarter}' is not a quarter: give latest or its last day as YYYYMMDD.", "usage"
        )
    request: dict[str, Any] = {"type": "report", "quarter": args.quarter}
    banks = args.banks or []
    wrong = [bank for bank in banks if not RSSD.match(bank)]
    if wrong:
        raise UsageError(f"'{wrong[0]}' is not an RSSD ID (digits, such as 9900001).", "usage")
    if len(set(banks)) > MAX_NAMED:
        raise UsageError(
            f"A batch names at most {MAX_NAMED} banks; use --state or asset sizes for more.",
            "usage",
        )
    if banks:
        request["banks"] = sorted(set(banks))
    found: dict[str, Any] = {}
    if args.state is not None:
        if not STATE.match(args.state):
            raise UsageError(f"'{args.state}' is not a state: give its two letters, e.g. AK.",
                             "usage")  # fmt: skip
        found["state"] = args.state.upper()
    for name, text in (("minAssets", args.min_assets), ("maxAssets", args.max_assets)):
        if text is not None:
            found[name] = _amount(text)
    if found.get("minAssets", 0) > found.get("maxAssets", float("inf")):
        raise UsageError("--min-assets is above --max-assets: no bank could match.", "usage")
    if found:
        request["filter"] = found
    return request


def _amount(text: str) -> int:
    if not text.isdigit():
        raise UsageError(
            f"'{text}' is not an amount: give total assets in thousands of dollars, e.g. 500000.",
            "usage",
        )
    return int(text)


# Watching --------------------------------------------------------------------------------


class Display(Protocol):
    def show(self, batch: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class PlainDisplay:
    """One line per change, for logs and pipes."""

    def __init__(self, stream: IO[str], now: Callable[[], float]) -> None:
        self.stream, self.now, self.last = stream, now, ""

    def show(self, batch: dict[str, Any]) -> None:
        line = progress_line(batch, self.now())
        # The pace changes every poll; a new line only when the counts do.
        key = counts_text(batch) + str(batch.get("status"))
        if key != self.last:
            self.last = key
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class SilentDisplay:
    def show(self, batch: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class RichDisplay:
    """A live bar of the banks done of the total, with the counts, the pace and time left."""

    def __init__(self, stream: IO[str], now: Callable[[], float]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}  {task.fields[pace]}"),
            console=Console(file=stream),
        )
        self.task: Any = None
        self.now = now
        self.progress.start()

    def show(self, batch: dict[str, Any]) -> None:
        current = reading(batch, self.now())
        fields: dict[str, Any] = {"counts": counts_text(batch), "pace": pace_text(current)}
        if self.task is None:
            self.task = self.progress.add_task("batch", total=current.total or 1, **fields)
        self.progress.update(self.task, completed=current.done, total=current.total or 1,
                             **fields)  # fmt: skip

    def close(self) -> None:
        self.progress.stop()


def display_for(stream: IO[str], quiet: bool, now: Callable[[], float]) -> Display:
    if stream.isatty():
        try:
            return RichDisplay(stream, now)
        except ImportError:
            return PlainDisplay(stream, now)
    return SilentDisplay() if quiet else PlainDisplay(stream, now)


def watch(ctx: Context, batch: dict[str, Any], display: Display,
          clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:  # fmt: skip
    """Poll the batch every 2 s until it is no longer running; busy answers are waited out."""
    busy_since: float | None = None
    display.show(batch)
    while batch.get("status") == "running":
        ctx.sleep(POLL_SECONDS)
        try:
            batch = ctx.api.batch(str(batch["batchId"]), attempts=1)
        except Transient:
            busy_since = clock() if busy_since is None else busy_since
            if clock() - busy_since > GIVE_UP_AFTER:
                raise
            continue
        busy_since = None
        display.show(batch)
    return batch


# The commands ------------------------------------------------------------------------------


def run_start(ctx: Context, args: argparse.Namespace) -> int:
    batch = ctx.api.start_batch(request_of(args))
    if not ctx.json:
        ctx.say(
            f"Started batch {batch['batchId']}: reports for {batch['total']} banks, data of "
            f"{render.quarter(batch.get('quarter'))}."
        )
    return _follow(ctx, batch, args.wait)


def run_status(ctx: Context, args: argparse.Namespace) -> int:
    batch = ctx.api.batch(args.batch_id)
    if args.wait:
        return _follow(ctx, batch, True)
    failures = ctx.api.batch_failures(args.batch_id) if int(batch.get("failed") or 0) else []
    if ctx.json:
        ctx.emit({"batch": batch, "failures": failures})
        return EXIT_OK
    ctx.say(summary(batch, ctx.now()))
    _say_failures(ctx, args.batch_id, failures)
    return EXIT_OK


def run_cancel(ctx: Context, args: argparse.Namespace) -> int:
    batch = ctx.api.cancel_batch(args.batch_id)
    if ctx.json:
        ctx.emit({"batch": batch})
    else:
        ctx.say(f"Cancelled batch {args.batch_id}: banks already being researched finish. "
                + counts_text(batch) + ".")  # fmt: skip
    return EXIT_OK


def run_retry(ctx: Context, args: argparse.Namespace) -> int:
    batch = ctx.api.retry_batch(args.batch_id)
    if not ctx.json:
        ctx.say(f"Retrying the failed banks of batch {args.batch_id}: {counts_text(batch)}.")
    return _follow(ctx, batch, args.wait)


def run_list(ctx: Context, args: argparse.Namespace) -> int:
    answer = ctx.api.batches()
    if ctx.json:
        ctx.emit(answer)
        return EXIT_OK
    rows = [("Batch ID", "Started", "Data", "Status", "Done", "Failed")]
    for batch in answer["batches"]:
        current = reading(batch, ctx.now())
        rows.append((str(batch.get("batchId", "")), render.written(batch.get("createdAt")),
                     render.quarter(batch.get("quarter")), str(batch.get("status", "")),
                     f"{current.done}/{current.total}", str(batch.get("failed", 0))))  # fmt: skip
    ctx.say(render.table(rows) if answer["batches"] else "No batch has been started yet.")
    return EXIT_OK


def _follow(ctx: Context, batch: dict[str, Any], wait: bool) -> int:
    """Without ``--wait``: the batch as answered. With it: watched to its end, then one line
    and its failures; the exit code says whether a bank failed."""
    if not wait:
        if ctx.json:
            ctx.emit({"batch": batch})
        else:
            ctx.say(f"Watch it with: bank-research batch status {batch['batchId']} --wait")
        return EXIT_OK
    display = display_for(ctx.stderr if ctx.json else ctx.stdout, ctx.json, ctx.now)
    try:
        final = watch(ctx, batch, display)
    except BaseException as stopped:
        display.close()
        if not isinstance(stopped, KeyboardInterrupt):
            raise
        ctx.warn(f"Stopped watching; batch {batch['batchId']} keeps running. Watch it again "
                 f"with: bank-research batch status {batch['batchId']} --wait")  # fmt: skip
        return EXIT_INTERRUPTED
    display.close()
    failures = ctx.api.batch_failures(str(final["batchId"])) if final.get("failed") else []
    if ctx.json:
        ctx.emit({"batch": final, "failures": failures})
    else:
        ctx.say(summary(final, ctx.now()))
        _say_failures(ctx, str(final["batchId"]), failures)
    return outcome_code(final)


def _say_failures(ctx: Context, batch_id: str, failures: list[dict[str, Any]]) -> None:
    for failure in failures:
        bank = f"bank {failure.get('idrssd')}"
        if failure.get("bankName"):  # a server before names were kept sends none
            bank = f"{failure['bankName']} ({bank})"
        ctx.warn(f"  {bank}: {failure.get('message') or 'it failed.'}")
    if failures:
        ctx.warn(f"Run them again with: bank-research batch retry {batch_id}")
