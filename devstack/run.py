"""``make run``: the embedded AWS emulator, the app's tables and bucket, and ``chalice local``.

One process owns the emulator (moto's server on loopback, in memory: no state on disk for
the server to watch); ``chalice local`` runs as its child against it. Ctrl-C stops both.
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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import boto3

from devstack.emulator import Emulator
from devstack.resources import ResourceNames, create_all
from ingest.importer import BankImporter

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "ffiec"
HOST = "127.0.0.1"
REGION = "us-east-1"
PR_SET_PDEATHSIG = 1  # prctl option: signal this process when its parent dies


def local_stage_env() -> dict[str, str]:
    """The ``local`` stage's variables in ``.chalice/config.json`` (one place for names)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env: dict[str, str] = config["stages"]["local"]["environment_variables"]
    return env


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


def prepare_resources(endpoint: str, names: ResourceNames, say: Callable[[str], None]) -> None:
    """Create the tables and bucket; load the synthetic sample into an empty Banks table."""
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
    )
    create_all(
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("s3", endpoint_url=endpoint),
        names,
    )
    banks = session.resource("dynamodb", endpoint_url=endpoint).Table(names.banks_table)
    if not banks.scan(Limit=1).get("Items"):
        importer = BankImporter(banks)
        summary = importer.import_path(SAMPLE)
        references = importer.load_reference_banks()
        say(f"{summary.sentence()} Also {references} real banks by identifier only.")


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
    """In the server child: ask Linux to end it if the stack itself is killed outright."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the signal handlers above still cover an orderly stop


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None, say: Callable[[str], None] = _say) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 5000))
    )
    args = parser.parse_args(argv)

    for port, role, variable in (
        (args.port, "the web server", "PORT"),
        (args.emulator_port, "the AWS emulator", "EMULATOR_PORT"),
    ):
        if not port_is_free(port):
            say(
                f"Port {port} on {HOST} is already in use, so {role} cannot start there. "
                f"Stop the program using it (perhaps another `make run`) or choose another "
                f"port, for example `make run {variable}={port + 1}`."
            )
            return 2

    _stop_on_signals()
    stage_env = local_stage_env()
    names = ResourceNames(
        jobs_table=stage_env["JOBS_TABLE"],
        banks_table=stage_env["BANKS_TABLE"],
        artifacts_bucket=stage_env["ARTIFACTS_BUCKET"],
    )
    emulator = Emulator(args.emulator_port)
    endpoint = emulator.start()
    child: subprocess.Popen[bytes] | None = None
    try:
        prepare_resources(endpoint, names, say)
        env = {**os.environ, **emulator_env(endpoint)}
        env.pop("AWS_PROFILE", None)
        say(f"AWS emulator ready at {endpoint} (in memory; state is gone when you stop)")
        child = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chalice"),
                "local",
                "--stage",
                "local",
                "--no-autoreload",
                "--host",
                HOST,
                "--port",
                str(args.port),
            ],
            cwd=ROOT,
            env=env,
            preexec_fn=_die_with_parent,
        )
        url = f"http://{HOST}:{args.port}/"
        if wait_until_serving(f"http://{HOST}:{args.port}/api/openapi.json", child):
            say(f"Bank Research is running at {url} (Ctrl-C stops everything)")
        return child.wait()
    except KeyboardInterrupt:
        say("Stopping…")
        return 0
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
