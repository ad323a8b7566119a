"""``bank-research``: the command line over the Bank Research HTTP API."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bank_research_cli import batches, jobs, render
from bank_research_cli.admin import (
    DEFAULT_BURST,
    DEFAULT_PER_DAY,
    DEFAULT_RATE,
    Limits,
    aws_problem,
    key_admin,
)
from bank_research_cli.api import Api
from bank_research_cli.errors import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ApiError,
    CliError,
    UsageError,
)
from bank_research_cli.transport import Transport, urllib_transport
from bank_research_cli.watch import StoppedWatching, display_for, watch

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
IDRSSD_HELP = "the bank's Federal Reserve RSSD ID, e.g. 9900001"
EXIT_BY_OUTCOME = {"completed": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}

EPILOG = """\
environment:
  BANK_RESEARCH_URL      the API's address (default http://127.0.0.1:8000, as `make run`)
  BANK_RESEARCH_API_KEY  sent as the x-api-key header: a program's own key, from
                         `bank-research admin key create NAME` (at the programs' address)
  BANK_RESEARCH_TOKEN    sent as the Authorization header: a signed-in person's ID token

exit codes:
  0    done (a watched job completed)
  1    the API refused the request (its sentence is printed), or the job failed
  2    bad command line, or no usable API: bad address, unreachable, credentials refused
  3    the watched job was cancelled
  130  Ctrl-C while watching: the job keeps running; the command to watch again is printed

--json prints one JSON document on stdout (progress and sentences go elsewhere):
  banks                      {"banks": [{"idrssd", "name", "city", "state", "synthetic",
                              "hasData", "latestQuarter", "totalAssets"}], "count": n}
  report, podcast            {"created": bool, "hasJob": true, "job": JOB}
  report, podcast, status --wait
                             {"job": JOB, "outcome": "completed|failed|cancelled"}
                             (+ "created" for report and podcast)
  status --type T            {"hasJob": false} or {"hasJob": true, "job": JOB}
  status (no --type)         {"report": <as above>, "podcast": <as above>}
  cancel                     {"hasJob": true, "job": JOB}
  history --type T           {"reports": [VERSION], "count": n} (or "podcasts"), newest first
  history (no --type)        {"report": <as above>, "podcast": <as above>}
  get report (no -o)         the report document; get podcast (no -o): the podcast document
  get ... -o FILE            {"path", "bytes", "format"|"contentType", "idrssd", "jobId"}
  on an error                {"error": "sentence", "code": "snake_case", "status": n|null}
  on Ctrl-C while watching   {"job": JOB, "outcome": "watching_stopped", "resume": "command"}
JOB is the API's job: jobId, idrssd, type, status, progress, stage, message, error,
errorCode, params, attempt, createdAt, updatedAt, startedAt, finishedAt, expiresAt, result.
VERSION is a finished report or podcast: jobId, generatedAt, asOf, bytes, url, and writer,
model (reports) or experts, durationSeconds (podcasts); get ... --job JOBID fetches one.
"""


@dataclass
class Context:
    api: Api
    stdout: IO[str]
    stderr: IO[str]
    json: bool
    sleep: Callable[[float], None]
    base_url_given: str | None  # repeated in the "watch again" command when it was typed
    now: Callable[[], float] = time.time  # this computer's clock (a job's elapsed time)

    def emit(self, document: Any) -> None:
        print(json.dumps(document, indent=2, ensure_ascii=False), file=self.stdout)

    def say(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def warn(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)


def _common_options() -> argparse.ArgumentParser:
    """Options accepted before or after the command (defaults resolved in ``main``)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    hide = argparse.SUPPRESS
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=hide,
        help=f"API address (BANK_RESEARCH_URL; default {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=hide,
        help="API key, sent as x-api-key (BANK_RESEARCH_API_KEY)",
    )
    group.add_argument(
        "--token",
        metavar="TOKEN",
        default=hide,
        help="token, sent as Authorization (BANK_RESEARCH_TOKEN)",
    )
    group.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=hide,
        help="seconds to wait for each answer (default 30)",
    )
    group.add_argument(
        "--json", action="store_true", default=hide, help="print one JSON document for scripts"
    )
    return common


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds from 0 to 3600")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="bank-research",
        description="Research reports and podcasts about U.S. banks, from the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, parents=[common])

    _job_commands(command)
    batches.add_commands(command, common)
    get = command("get", "Fetch a finished report or podcast.")
    _get_commands(get, common)
    admin = command("admin", "Administer the service: programs' API keys.")
    _admin_commands(admin, common)
    return parser


def _admin_commands(admin: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    groups = admin.add_subparsers(dest="area", required=True, metavar="key")
    key = groups.add_parser(
        "key",
        help="one API key and usage plan per program",
        description="Issue, revoke and list programs' API keys (with your AWS credentials).",
        parents=[common],
    )
    actions = key.add_subparsers(dest="action", required=True, metavar="create|revoke|list")
    create = actions.add_parser("create", help="issue a key for a program", parents=[common])
    create.add_argument("name", metavar="NAME", help="the program, e.g. nightly-export")
    create.add_argument("--rate", type=float, default=DEFAULT_RATE, help="requests/s (default 20)")
    create.add_argument("--burst", type=int, default=DEFAULT_BURST, help="burst (default 40)")
    create.add_argument(
        "--per-day", type=int, default=DEFAULT_PER_DAY, help="daily quota (default 100000)"
    )
    revoke = actions.add_parser("revoke", help="revoke a program's key", parents=[common])
    revoke.add_argument("name", metavar="NAME")
    actions.add_parser("list", help="the programs' keys", parents=[common])
    for parser in (create, revoke, *actions.choices.values()):
        parser.set_defaults(handler=run_admin_key)


Command = Callable[[str, str], argparse.ArgumentParser]


def _job_commands(command: Command) -> None:
    banks = command("banks", "Find banks by name, city, state or the start of an RSSD ID.")
    banks.add_argument("query", nargs="+", metavar="QUERY")
    banks.set_defaults(handler=run_banks)

    report = command("report", "Start a research report job for a bank (or join the running one).")
    report.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    report.add_argument("--wait", action="store_true", help="watch the job to its end")
    report.set_defaults(handler=run_start, kind="report")

    podcast = command("podcast", "Start a podcast job about a bank's latest report.")
    podcast.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    podcast.add_argument(
        "--experts",
        required=True,
        metavar="A,B",
        help="1 to 4 expert ids, comma-separated (e.g. credit,capital)",
    )
    podcast.add_argument("--wait", action="store_true", help="watch the job to its end")
    podcast.set_defaults(handler=run_start, kind="podcast")

    status = command("status", "Show a bank's current or last jobs.")
    status.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    status.add_argument(
        "--type", choices=("report", "podcast"), help="one job type (both if absent)"
    )
    status.add_argument(
        "--wait", action="store_true", help="watch the job to its end (needs --type)"
    )
    status.set_defaults(handler=run_status)

    cancel = command("cancel", "Cancel a bank's active job.")
    cancel.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    cancel.add_argument("--type", choices=("report", "podcast"), required=True)
    cancel.set_defaults(handler=run_cancel)

    history = command("history", "List a bank's finished reports and podcasts, newest first.")
    history.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    history.add_argument("--type", choices=("report", "podcast"), help="one kind (both if absent)")
    history.set_defaults(handler=run_history)


def _get_commands(get: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    what = get.add_subparsers(dest="what", required=True, metavar="report|podcast")
    job_help = "a past version, by the job id that made it (see: bank-research history)"
    get_report = what.add_parser("report", help="the latest report", parents=[common])
    get_report.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    get_report.add_argument("--job", metavar="JOBID", help=job_help)
    get_report.add_argument(
        "--format",
        choices=("markdown", "html", "json"),
        help="markdown (default), a standalone html page, or json",
    )
    get_report.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    get_report.set_defaults(handler=run_get_report)
    get_podcast = what.add_parser("podcast", help="the latest podcast", parents=[common])
    get_podcast.add_argument("idrssd", metavar="IDRSSD", help=IDRSSD_HELP)
    get_podcast.add_argument("--job", metavar="JOBID", help=job_help)
    get_podcast.add_argument(
        "-o", "--output", metavar="FILE.mp3", help="download the MP3 (without it: the transcript)"
    )
    get_podcast.set_defaults(handler=run_get_podcast)


def main(
    argv: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    transport: Transport = urllib_transport,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> int:
    env = os.environ if env is None else env
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        ctx = Context(
            api=Api(
                getattr(args, "base_url", None) or env.get("BANK_RESEARCH_URL") or DEFAULT_BASE_URL,
                api_key=getattr(args, "api_key", None) or env.get("BANK_RESEARCH_API_KEY"),
                token=getattr(args, "token", None) or env.get("BANK_RESEARCH_TOKEN"),
                transport=transport,
                timeout=getattr(args, "timeout", 30.0),
                sleep=sleep,
            ),
            stdout=out,
            stderr=err,
            json=as_json,
            sleep=sleep,
            base_url_given=getattr(args, "base_url", None),
            now=now,
        )
        code: int = args.handler(ctx, args)
        return code
    except CliError as error:
        print(error.sentence, file=err, flush=True)
        if as_json:
            print(json.dumps(error.to_json(), ensure_ascii=False), file=out)
        return error.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=err)
        return EXIT_INTERRUPTED


def run_banks(ctx: Context, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    answer = ctx.api.search_banks(query)
    if ctx.json:
        ctx.emit(answer)
    elif not answer["banks"]:
        ctx.say(f"No bank matches '{query}'.")
    else:
        ctx.say(render.bank_table(answer["banks"]))
    return EXIT_OK


def run_start(ctx: Context, args: argparse.Namespace) -> int:
    experts = None
    if args.kind == "podcast":
        experts = [item.strip() for item in args.experts.split(",") if item.strip()]
    started = ctx.api.start(args.idrssd, args.kind, experts)
    answer, job = started.body, started.body["job"]
    bank = str(job.get("idrssd", args.idrssd))
    verb = "Started a" if answer.get("created") else "Joined the active"
    line = f"{verb} {args.kind} job for bank {bank} ({job.get('jobId')})."
    if not args.wait:
        if ctx.json:
            ctx.emit(answer)
        else:
            resume = jobs.watch_command(args.kind, bank, ctx.base_url_given)
            ctx.say(f"{line} Watch it with: {resume}")
        return EXIT_OK
    if not ctx.json:
        ctx.say(line)
    created = {"created": bool(answer.get("created"))}
    return _watch_and_report(ctx, job, None, started.retry_after, created)


def run_status(ctx: Context, args: argparse.Namespace) -> int:
    if args.wait and not args.type:
        raise UsageError("Say which job to watch: add --type report or --type podcast.", "usage")
    kinds = [args.type] if args.type else ["report", "podcast"]
    polls = {kind: ctx.api.job_status(args.idrssd, kind) for kind in kinds}
    if args.wait:
        poll = polls[args.type]
        body = poll.body or {}  # no ETag was sent, so the answer is never a 304
        if not body.get("hasJob"):
            raise ApiError(
                f"Bank {args.idrssd} has no {args.type} job to watch; start one with "
                f"bank-research {args.type} {args.idrssd} --wait.",
                "no_job",
            )
        return _watch_and_report(ctx, body["job"], poll.etag, poll.retry_after, {})
    if ctx.json:
        ctx.emit(polls[args.type].body if args.type else {k: p.body for k, p in polls.items()})
        return EXIT_OK
    for kind, poll in polls.items():
        body = poll.body or {}
        if body.get("hasJob"):
            ctx.say(jobs.summary(body["job"], ctx.now()))
        else:
            ctx.say(f"Bank {args.idrssd} has had no {kind} job in the last day.")
    return EXIT_OK


def _watch_and_report(
    ctx: Context,
    job: dict[str, Any],
    etag: str | None,
    first_delay: float | None,
    extra: dict[str, Any],
) -> int:
    """Watch to the end, then say how it ended; Ctrl-C leaves the job running."""
    stream = ctx.stderr if ctx.json else ctx.stdout
    display = display_for(stream, quiet=ctx.json, now=ctx.now)
    try:
        final = watch(
            ctx.api,
            job,
            display,
            etag=etag,
            first_delay=first_delay,
            sleep=ctx.sleep,
        )
    except StoppedWatching as stopped:
        display.close()
        return _stopped(ctx, stopped.job)
    except BaseException:
        display.close()
        raise
    display.close()
    state = jobs.outcome(final)
    if ctx.json:
        ctx.emit({**extra, "job": final, "outcome": state})
    elif state == "completed":
        ctx.say(jobs.finished_line(final))
    else:
        ctx.warn(jobs.finished_line(final))
    return EXIT_BY_OUTCOME[state]


def _stopped(ctx: Context, job: dict[str, Any]) -> int:
    resume = jobs.watch_command(str(job["type"]), str(job["idrssd"]), ctx.base_url_given)
    ctx.warn(
        f"Stopped watching; the {job['type']} job for bank {job['idrssd']} keeps running. "
        f"Watch it again with: {resume}"
    )
    if ctx.json:
        ctx.emit({"job": job, "outcome": "watching_stopped", "resume": resume})
    return EXIT_INTERRUPTED


def run_cancel(ctx: Context, args: argparse.Namespace) -> int:
    answer = ctx.api.cancel(args.idrssd, args.type)
    if ctx.json:
        ctx.emit(answer)
    else:
        ctx.say(
            f"Cancelled the {args.type} job for bank {answer['job'].get('idrssd', args.idrssd)}."
        )
    return EXIT_OK


def run_history(ctx: Context, args: argparse.Namespace) -> int:
    kinds = [args.type] if args.type else ["report", "podcast"]
    answers = {kind: ctx.api.library(args.idrssd, kind) for kind in kinds}
    if ctx.json:
        ctx.emit(answers[args.type] if args.type else answers)
        return EXIT_OK
    blocks = []
    for kind, answer in answers.items():
        entries = answer[f"{kind}s"]
        if not entries:
            blocks.append(f"Bank {args.idrssd} has no finished {kind}s.")
            continue
        table = render.report_versions if kind == "report" else render.podcast_versions
        count = f"{len(entries)} {kind}{'' if len(entries) == 1 else 's'}"
        blocks.append(f"Bank {args.idrssd}: {count}, newest first.\n{table(entries)}")
    found = [kind for kind, answer in answers.items() if answer[f"{kind}s"]]
    if found:
        blocks.append(f"Get one with: bank-research get {found[0]} {args.idrssd} --job JOBID")
    ctx.say("\n\n".join(blocks))
    return EXIT_OK


def run_get_report(ctx: Context, args: argparse.Namespace) -> int:
    if ctx.json and args.format in ("markdown", "html") and not args.output:
        raise UsageError(
            f"--json prints the report as JSON; to get {args.format}, drop --json or add -o FILE.",
            "usage",
        )
    fmt = args.format or ("json" if ctx.json else "markdown")
    report = ctx.api.report(args.idrssd, args.job)
    if fmt == "markdown":
        text = render.report_markdown(report)
    elif fmt == "html":
        text = render.report_html(report)
    else:
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if not args.output:
        ctx.stdout.write(text if text.endswith("\n") else text + "\n")
        return EXIT_OK
    size = _write(Path(args.output), text.encode("utf-8"))
    if ctx.json:
        ctx.emit(
            {
                "path": args.output,
                "bytes": size,
                "format": fmt,
                "idrssd": report.get("idrssd"),
                "jobId": report.get("jobId"),
                "asOf": report.get("asOf"),
            }
        )
    else:
        ctx.say(
            f"Wrote the report for bank {report.get('idrssd', args.idrssd)} (data as of "
            f"{render.quarter(report.get('asOf'))}, {fmt}, {size} bytes) to {args.output}."
        )
    return EXIT_OK


def run_get_podcast(ctx: Context, args: argparse.Namespace) -> int:
    if not args.output:
        podcast = ctx.api.podcast(args.idrssd, args.job)
        if ctx.json:
            ctx.emit(podcast)
        else:
            ctx.say(render.transcript(podcast))
        return EXIT_OK
    # A past version plays from its own signed link; the latest from the audio route.
    source = None
    if args.job is not None:
        source = str(ctx.api.podcast(args.idrssd, args.job).get("audioSrc") or "") or None
        if source is None:
            raise ApiError("The service sent no audio for that podcast.", "no_audio")
    audio = ctx.api.podcast_audio(args.idrssd, source)
    size = _write(Path(args.output), audio.body)
    if ctx.json:
        document = {
            "path": args.output,
            "bytes": size,
            "contentType": audio.content_type,
            "idrssd": args.idrssd,
        }
        ctx.emit(document if args.job is None else {**document, "jobId": args.job})
    else:
        ctx.say(f"Wrote the podcast for bank {args.idrssd} ({size} bytes) to {args.output}.")
    return EXIT_OK


def _write(path: Path, data: bytes) -> int:
    """Write whole or not at all: a failed download never leaves half a file behind."""
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CliError(
            f"Could not write {path}: {error.strerror or error}.", "write_failed"
        ) from error
    return len(data)


def run_admin_key(ctx: Context, args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    keys = key_admin(ctx.api.auth_config())
    try:
        if args.action == "create":
            limits = Limits(args.rate, args.burst, args.per_day)
            document: Any = keys.create(args.name, limits)
        elif args.action == "revoke":
            document = keys.revoke(args.name)
        else:
            document = {"keys": keys.list()}
    except (BotoCoreError, ClientError) as error:
        raise aws_problem(error) from error
    if ctx.json:
        ctx.emit(document)
    elif args.action == "create":
        limits_text = f"{args.rate:g} requests/s, bursts of {args.burst}, {args.per_day:,} a day"
        ctx.say(f"Created the key of '{args.name}' (id {document['id']}; {limits_text}).")
        ctx.say(f"Its value, shown this once: {document['value']}")
        ctx.warn("The program sends it as the x-api-key header; keep it out of shared places.")
    elif args.action == "revoke":
        ctx.say(f"Revoked the key of '{args.name}': it is refused from now on.")
    else:
        for entry in document["keys"]:
            state = "enabled" if entry["enabled"] else "disabled"
            ctx.say(f"{entry['name']:<24} {entry['id']:<14} {state:<9} {entry['created']}")
        if not document["keys"]:
            ctx.say("No program has a key yet: bank-research admin key create NAME.")
    return EXIT_OK


def entry_point() -> None:
    """The console script: exit with the command's code."""
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. `bank-research banks bank | head -1`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FAILED)
