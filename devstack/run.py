"""``make run``: the embedded AWS emulator, the app's resources, the local Lambda, the app.

One process owns the emulator (moto's server on loopback, in memory: no state on disk for
the server to watch) and the local Lambda endpoint (``devstack.lambda_local``: the
workers' ``Invoke`` API, their worker processes, retries and failure queue); the app runs
as its child (``devstack.chalice_local``, ``chalice local`` without its kept-alive delay)
and reaches the local Lambda through ``AWS_ENDPOINT_URL_LAMBDA``.

Ready means ready: the app answers 503 ``starting`` on every ``/api`` route until the
tables, the data and the workers are up; then the stack prints "…is running at…", tells
the app (a word on its standard input) and checks ``GET /api/health``.
Output is written a whole line at a time. Ctrl-C stops everything within a few seconds,
however much the emulator holds (the process ends without freeing it object by object).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from chalicelib.config import MAX_SETTING_DIGITS
from chalicelib.errors import ConfigError
from chalicelib.jobs.rules import Timing
from chalicelib.numbers import whole_number
from devstack import bank_data, stage
from devstack.emulator import Emulator
from devstack.identity import IdentityError, LocalIdentity, access_sentence, create_identity
from devstack.lambda_local.endpoint import LambdaEndpoint
from devstack.lambda_local.functions import (
    Catalog,
    FunctionSpec,
    build_catalog,
    invoke_configs,
    load_json,
)
from devstack.lambda_local.service import LocalLambda
from devstack.lambda_local.settings import LambdaSettings, SettingError
from devstack.metrics_local import LocalTelemetry
from devstack.resources import INFRA_TEMPLATE, ResourceNames, create_all
from ingest.cli import IMPORT_CONFIG

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGION = "us-east-1"
PR_SET_PDEATHSIG = 1  # prctl option: signal this process when its parent dies


def local_stage_env() -> dict[str, str]:
    """The ``local`` stage's variables in ``.chalice/config.json`` (one place for names)."""
    return stage.stage_env()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def emulator_env(endpoint: str) -> dict[str, str]:
    """What boto3 needs to talk to the emulator: its URL and placeholder credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
    }


def aws_session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
    )


def prepare_resources(
    endpoint: str, names: ResourceNames, say: Callable[[str], None], data: str = "real"
) -> None:
    """Create the tables, bucket and queue; load ``data`` (``BANK_DATA``) into an empty
    Banks table."""
    session = aws_session()
    create_all(
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("s3", endpoint_url=endpoint),
        names,
        sqs_client=session.client("sqs", endpoint_url=endpoint),
    )
    banks = session.resource("dynamodb", endpoint_url=endpoint, config=IMPORT_CONFIG).Table(
        names.banks_table
    )
    if not banks.scan(Limit=1).get("Items"):
        emulated = bank_data.EmulatedTable(names.banks_table)
        say(bank_data.load(data, banks, emulated, os.environ, say).sentence)


def start_describing(env: dict[str, str]) -> subprocess.Popen[str]:
    """Ask a worker process what the app registers (it imports the app; this one never
    does), while the emulator is being filled."""
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.lambda_local.worker", "--describe"],
        cwd=ROOT,
        env=stage.with_stage(env, stage.stage_env()),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent,
    )


def read_catalog(describing: subprocess.Popen[str], names: ResourceNames) -> Catalog:
    output, _ = describing.communicate(timeout=120)
    lines = [line for line in output.splitlines() if line.strip()]
    if describing.returncode != 0 or not lines:
        raise RuntimeError("The app could not be imported to find its functions (see above).")
    return build_catalog(
        json.loads(lines[-1]), stage.chalice_config(), load_json(INFRA_TEMPLATE), names.queues()
    )


def worker_env(base: dict[str, str], spec: FunctionSpec) -> dict[str, str]:
    """A worker process's environment: the stack's, with the function's variables (the
    worker process adds Lambda's own)."""
    return stage.with_stage(base, spec.environment)


def derived_settings(settings: LambdaSettings, env: Mapping[str, str]) -> dict[str, str]:
    """The app's job timings, scaled with Lambda's, where neither the stage nor the
    environment sets them: the claim window follows the workers' maximum event age, and
    under a time scale the lease, heartbeat and retry grace shrink too, so that a retry
    still finds a dead run's lease lapsed, and within the grace, as it would in AWS."""
    stage_vars = stage.stage_env()

    def unset(name: str) -> bool:
        return name not in env and name not in stage_vars

    derived: dict[str, str] = {}
    configs = invoke_configs(load_json(INFRA_TEMPLATE)).values()
    ages = [config.max_event_age_seconds for config in configs if config.on_failure_logical_id]
    if ages and unset("JOB_MAX_EVENT_AGE_SECONDS"):
        derived["JOB_MAX_EVENT_AGE_SECONDS"] = str(settings.scaled_whole_seconds(max(ages)))
    if settings.time_scale == 1:
        return derived
    lease = max(2, settings.scaled_whole_seconds(Timing.lease_seconds))
    if unset("JOB_LEASE_SECONDS"):
        derived["JOB_LEASE_SECONDS"] = str(lease)
    else:
        given = {**stage_vars, **env}["JOB_LEASE_SECONDS"]
        lease = whole_number(given, MAX_SETTING_DIGITS) or 0  # a bad value: the app says so
    heartbeat = min(lease - 1, settings.scaled_whole_seconds(Timing.heartbeat_seconds))
    if unset("JOB_HEARTBEAT_SECONDS") and heartbeat >= 1:
        derived["JOB_HEARTBEAT_SECONDS"] = str(heartbeat)
    if unset("JOB_RETRY_GRACE_SECONDS"):  # it covers Lambda's retry delays, scaled alike
        grace = max(1, settings.scaled_whole_seconds(Timing.retry_grace_seconds))
        derived["JOB_RETRY_GRACE_SECONDS"] = str(grace)
    return derived


def start_local_lambda(
    catalog: Catalog, settings: LambdaSettings, env: dict[str, str], endpoint: str, port: int,
    say: Callable[[str], None], output: Callable[[], int] | None = None,
) -> LambdaEndpoint:  # fmt: skip
    session = aws_session()
    sqs = session.client("sqs", endpoint_url=endpoint)

    def send_record(queue: str, body: str) -> str:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        return str(sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"])

    local_lambda = LocalLambda(
        catalog,
        settings,
        environment=lambda spec: worker_env(env, spec),
        send_record=send_record,
        queue_client=lambda: session.client("sqs", endpoint_url=endpoint),
        say=say,
        output=output,
    )
    lambda_endpoint = LambdaEndpoint(local_lambda, HOST, port)
    url = lambda_endpoint.start()
    functions = ", ".join(sorted(spec.short_name for spec in catalog.functions.values()))
    scale = "" if settings.time_scale == 1 else f", times scaled by {settings.time_scale:g}"
    say(
        f"Local Lambda ready at {url} ({functions}; up to {settings.concurrency} worker "
        f"processes{scale})"
    )
    return lambda_endpoint


def wait_until_serving(url: str, child: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    return False


def health_of(base: str) -> dict[str, Any] | None:
    """``GET /api/health``'s answer (200 or 503 alike), or None while nothing answers."""
    try:
        with urllib.request.urlopen(base + "api/health", timeout=5) as answer:
            return dict(json.loads(answer.read()))
    except urllib.error.HTTPError as refused:
        try:
            return dict(json.loads(refused.read()))
        except ValueError:
            return None
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None


def declare_ready(
    base: str, child: subprocess.Popen[bytes], timeout: float = 60
) -> dict[str, Any] | None:
    """Tell the app that the stack is up, then wait for its own health check to agree
    (or say why not: no bank data, say). None if the app never answered."""
    assert child.stdin is not None
    child.stdin.write(b"ready\n")
    child.stdin.flush()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        health = health_of(base)
        if health is not None and health.get("code") not in ("starting", "busy"):
            return health
        time.sleep(0.1)
    return None


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the stack as Ctrl-C does, so that the server child never
    outlives it; SIGINT is handled even when the stack was started with it ignored (as a
    shell does for a background job)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def _die_with_parent() -> None:
    """In a child: ask Linux to end it if the stack itself is killed outright."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the signal handlers above still cover an orderly stop


_say_lock = threading.Lock()


def _say(text: str) -> None:
    """One whole line at a time (``print`` writes the text and the newline apart, and
    another thread's line could land between them)."""
    with _say_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 5000))
    )
    parser.add_argument("--lambda-port", type=int, default=int(os.environ.get("LAMBDA_PORT", 3001)))
    return parser.parse_args(argv)


def busy_port(args: argparse.Namespace) -> str | None:
    """A sentence about the first port that is taken, if any."""
    for port, role, variable in (
        (args.port, "the web server", "PORT"),
        (args.emulator_port, "the AWS emulator", "EMULATOR_PORT"),
        (args.lambda_port, "the local Lambda", "LAMBDA_PORT"),
    ):
        if not port_is_free(port):
            return (
                f"Port {port} on {HOST} is already in use, so {role} cannot start there. "
                f"Stop the program using it (perhaps another `make run`) or choose another "
                f"port, for example `make run {variable}={port + 1}`."
            )
    return None


def serve_app(
    args: argparse.Namespace, env: dict[str, str], output: int | None = None
) -> subprocess.Popen[bytes]:
    """The app, answering 503 starting on /api until it reads "ready" on its stdin;
    ``output`` (closed once handed over) takes its stdout and stderr."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "devstack.chalice_local", "--stage", stage.STAGE,
             "--host", HOST, "--port", str(args.port), "--wait-until-ready"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, preexec_fn=_die_with_parent,
            stdout=output, stderr=None if output is None else subprocess.STDOUT,
        )  # fmt: skip
    finally:
        if output is not None:
            os.close(output)


def _settings_or_problem(args: argparse.Namespace) -> LambdaSettings | str:
    """The local Lambda's settings, or a sentence saying why the stack cannot start."""
    problem = busy_port(args)
    if problem is not None:
        return problem
    try:
        bank_data.choice(os.environ)
        return LambdaSettings.from_env(os.environ)
    except (SettingError, bank_data.BankDataError) as error:
        return str(error)


def _stack_names(stage_env: dict[str, str]) -> ResourceNames:
    return ResourceNames(
        jobs_table=stage_env["JOBS_TABLE"],
        banks_table=stage_env["BANKS_TABLE"],
        artifacts_bucket=stage_env["ARTIFACTS_BUCKET"],
        failed_events_queue=stage_env.get("FAILED_EVENTS_QUEUE", ResourceNames.failed_events_queue),
        batch_queue=stage_env.get("BATCH_QUEUE", ResourceNames.batch_queue),
    )


STOP_GRACE_SECONDS = 2.0  # how long the app may take to stop before it is killed


def _stop_app(child: subprocess.Popen[bytes] | None) -> None:
    if child is not None and child.poll() is None:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: list[str] | None = None, say: Callable[[str], None] = _say) -> int:
    args = parse_args(argv)
    settings = _settings_or_problem(args)
    if isinstance(settings, str):
        say(settings)
        return 2

    _stop_on_signals()
    stage_env = local_stage_env()
    names = _stack_names(stage_env)
    emulator = Emulator(args.emulator_port)
    endpoint = emulator.start()
    telemetry = LocalTelemetry(HOST).start()  # EMF lines out of the output: metrics, summaries
    child: subprocess.Popen[bytes] | None = None
    lambda_endpoint: LambdaEndpoint | None = None
    try:
        env, identity = _stack_env(endpoint, stage_env, settings, args.lambda_port)
        env.update(telemetry.env())
        # The app and a worker load the code while the emulator is being filled; nothing
        # reaches them before the line saying the stack is running.
        describing = start_describing(env)
        child = serve_app(args, env, telemetry.child_output())
        prepare_resources(endpoint, names, say, bank_data.choice(os.environ))
        say(f"AWS emulator ready at {endpoint} (in memory; state is gone when you stop)")
        catalog = read_catalog(describing, names)
        lambda_endpoint = start_local_lambda(
            catalog, settings, env, endpoint, args.lambda_port, say, telemetry.child_output
        )
        url = f"http://{HOST}:{args.port}/"
        # The page answers while /api says "starting"; once the stack is up, the app's own
        # health check has the last word.
        if wait_until_serving(url, child):
            _announce(url, child, access_sentence(identity), telemetry.relay.sync, say)
        return child.wait()
    except IdentityError as problem:
        say(str(problem))
        return 2
    except ConfigError as problem:  # such as an API_AUTH that is no mode
        say(problem.message)
        return 2
    except KeyboardInterrupt:
        say("Stopping…")
        return 0
    finally:
        # All at once: each part waits on its own (a server's poll, a process's exit).
        stopping = [lambda: _stop_app(child), emulator.stop]
        if lambda_endpoint is not None:
            stopping.append(lambda_endpoint.stop)
        _all_at_once(stopping)
        telemetry.stop()


def _stack_env(
    endpoint: str, stage_env: dict[str, str], settings: LambdaSettings, lambda_port: int
) -> tuple[dict[str, str], LocalIdentity | None]:
    """The environment the app and the local Lambda run in, against the emulator, and the
    sign-in identity made for it (``None`` when no one signs in)."""
    env = {**os.environ, **emulator_env(endpoint)}
    env.pop("AWS_PROFILE", None)
    # Sign-in (API_AUTH=cognito) before the app starts: it is told the pool at import.
    identity = create_identity(endpoint, stage.with_stage(env, stage_env), aws_session())
    env.update(identity.env(endpoint) if identity else {})
    env.update(derived_settings(settings, env))
    env["AWS_ENDPOINT_URL_LAMBDA"] = f"http://{HOST}:{lambda_port}"
    return env, identity


def _announce(
    url: str,
    child: subprocess.Popen[bytes],
    access: str,
    sync: Callable[[], None],
    say: Callable[[str], None],
) -> None:
    """The line first (on the terminal: synced), then /api opens: nothing answers 200
    before it is printed."""
    say(f"Bank Research is running at {url} (Ctrl-C stops everything)")
    say(access)
    sync()
    health = declare_ready(url, child)
    if health is not None and not health.get("ready"):
        say(f"Not ready for research yet: {health.get('error')}")


def _all_at_once(steps: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=step, name="stopping") for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is stopped: end without freeing the emulator's memory object by object,
    # which takes many seconds once it holds gigabytes.
    os._exit(code)
