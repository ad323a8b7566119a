"""The local stack's emulator alone, for benchmarks: ``python -m bench.emulator PORT``.

It starts moto's server as ``make run`` does (``devstack.emulator``), creates the tables,
bucket and queue from ``infra/resources.json``, prints ``ready`` and serves until it is
stopped, so that a benchmark can import into it from another process, as ``make import``
does, and read its CPU time and memory from ``/proc``.
"""

from __future__ import annotations

import signal
import sys

from devstack.emulator import Emulator
from devstack.resources import ResourceNames, create_all
from devstack.run import aws_session


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    emulator = Emulator(int(args[0]))
    url = emulator.start()
    session = aws_session()
    create_all(
        session.client("dynamodb", endpoint_url=url),
        session.client("s3", endpoint_url=url),
        ResourceNames(),
        sqs_client=session.client("sqs", endpoint_url=url),
    )
    print("ready", url, flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    emulator.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
