"""Seconds from ``make run`` to the page serving real banks: cold cache, then warm.

    .venv/bin/python -m bench.run_bench [--runs N]

Starts the local stack as ``make run`` does (``python -m devstack.run``, the default
``BANK_DATA=real``) on free ports with a cache folder of its own, and times until a search
for JPMorgan answers with its figures: first with an empty cache (the stack imports the
eight quarters and writes the cache), then N times with the warm cache (goal: under 30 s).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "/api/banks?q=jpmorgan"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serves_real_banks(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + PROBE, timeout=2) as response:
            banks = json.loads(response.read())["banks"]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return False
    return any(bank["idrssd"] == "852218" and bank["hasData"] for bank in banks)


def start_once(cache: str, timeout: float = 600) -> float:
    """Seconds until the stack serves real banks; the stack is stopped afterwards."""
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update({"BANK_DATA": "real", "BANK_DATA_CACHE": cache})
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.run", "--port", str(port),
         "--emulator-port", str(_free_port()), "--lambda-port", str(_free_port())],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        while not _serves_real_banks(f"http://127.0.0.1:{port}"):
            if process.poll() is not None or time.perf_counter() - started > timeout:
                raise RuntimeError("the local stack did not serve real banks")
            time.sleep(0.25)
        return time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    with tempfile.TemporaryDirectory() as cache:
        print(f"cold cache: {start_once(cache):6.1f} s to serving real banks", flush=True)
        warm = [start_once(cache) for _ in range(runs)]
    print("warm cache: " + ", ".join(f"{seconds:.1f} s" for seconds in warm) +
          f" (best {min(warm):.1f} s, goal under 30 s)")  # fmt: skip


if __name__ == "__main__":
    main()
