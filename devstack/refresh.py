"""``make import ... REFRESH=1``: once a quarter has landed, start a batch of reports for it
on the running local stack (``POST /api/batches``), or say why not and how to start it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bank_research_cli.api import Api
from bank_research_cli.errors import CliError
from bank_research_cli.transport import Transport, urllib_transport
from devstack.run import HOST, port_is_free


def start_command(quarter: str, base_url: str | None = None) -> str:
    """The command that starts the same batch by hand."""
    extra = f" --base-url {base_url}" if base_url else ""
    return f"bank-research batch start --quarter {quarter}{extra}"


def start_batch(
    quarter: str,
    api_port: int,
    *,
    transport: Transport = urllib_transport,
    stream: TextIO | None = None,
    is_free: Callable[[int], bool] = port_is_free,
) -> int:
    """Start the report batch of ``quarter`` on the local stack at ``api_port``.

    The import has landed whatever happens here: 0 once the batch is started, 1 (with
    what to do) when the stack is not running or refused it."""
    out = stream or sys.stderr
    base_url = f"http://{HOST}:{api_port}"
    given = None if api_port == 8000 else base_url
    if is_free(api_port):
        print(
            f"The import landed, but no batch was started: the local stack's API is not "
            f"running on port {api_port}. Start it with `make run`, then: "
            f"{start_command(quarter, given)}",
            file=out,
        )
        return 1
    try:
        batch = Api(base_url, transport=transport).start_batch(
            {"type": "report", "quarter": quarter}
        )
    except CliError as error:
        print(
            f"The import landed, but the batch was not started: {error.sentence} "
            f"Once that is settled: {start_command(quarter, given)}",
            file=out,
        )
        return 1
    print(
        f"Started batch {batch['batchId']}: reports for {batch['total']} banks with figures "
        f"for {quarter}. Watch it with: bank-research batch status {batch['batchId']} --wait"
        + (f" --base-url {given}" if given else ""),
        file=out,
    )
    return 0
