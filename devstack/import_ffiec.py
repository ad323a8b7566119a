"""``make import FFIEC=<zip-or-folder>``: load FFIEC bulk files into the local stack or AWS.

Locally it writes to the running ``make run`` emulator; with ``--aws`` it uses boto3's
usual credentials and region, and the table named by ``--table`` or ``BANKS_TABLE``.
``--refresh`` (``make import ... REFRESH=1``) then starts a batch of reports for the newest
quarter imported, on the local stack's API (``devstack.refresh``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from devstack import refresh
from devstack.run import HOST, emulator_env, local_stage_env, port_is_free
from ingest import cli as import_cli

if TYPE_CHECKING:
    from ingest.importer import ImportSummary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", help="FFIEC bulk zip, folder of zips, or unpacked folder")
    parser.add_argument("--aws", action="store_true", help="import into AWS, not the emulator")
    parser.add_argument("--table", help="the Banks table (default: the local stage's)")
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 5000))
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="then start a batch of reports for the newest quarter imported (local stack)",
    )
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("PORT", 8000)))
    args = parser.parse_args(argv)
    if args.refresh and args.aws:
        print(
            "--refresh starts the batch on the local stack; for AWS, import without it, then "
            "run: bank-research batch start --base-url URL",
            file=sys.stderr,
        )
        return 2
    table = args.table or os.environ.get("BANKS_TABLE")
    if not args.aws:
        if port_is_free(args.emulator_port):
            print(
                f"No local stack is running on port {args.emulator_port}: start it with "
                "`make run` in another terminal, then import again (or pass --aws).",
                file=sys.stderr,
            )
            return 2
        os.environ.update(emulator_env(f"http://{HOST}:{args.emulator_port}"))
        table = table or local_stage_env()["BANKS_TABLE"]
    if not table:
        print("Name the Banks table: --table NAME or BANKS_TABLE=NAME.", file=sys.stderr)
        return 2

    def started(summary: ImportSummary) -> int:
        if not summary.quarters:
            print("No quarter was imported, so no batch was started.", file=sys.stderr)
            return 1
        return refresh.start_batch(max(summary.quarters), args.api_port)

    return import_cli.main([args.path, "--table", table], started if args.refresh else None)


if __name__ == "__main__":
    sys.exit(main())
