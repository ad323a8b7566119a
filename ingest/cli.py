"""Command line: import FFIEC call-report bulk files into the Banks table.

    python -m ingest PATH [--table NAME] [--no-reference]

PATH is a CDR "Call Reports -- Single Period" zip, a folder of them, or an unpacked folder.
The table name comes from ``--table`` or the ``BANKS_TABLE`` environment variable; AWS
access uses boto3's default session, so ``AWS_ENDPOINT_URL`` points it at the local
emulator. The reference list of real banks (``data/reference/real_banks.json``) is loaded
too unless ``--no-reference`` is given. Exit status: 0 done, 1 bad data or failed write,
2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from botocore.config import Config

from chalicelib.banks.errors import BankDataError

if TYPE_CHECKING:
    from ingest.importer import ImportSummary

# The importer's DynamoDB client: it sends items it built itself, so botocore's parameter
# validation (a tenth of an import's time) is skipped; throttling is retried patiently.
IMPORT_CONFIG = Config(
    parameter_validation=False, retries={"mode": "standard", "max_attempts": 10},
    max_pool_connections=16,
)  # fmt: skip


class ProgressBar:
    """A plain-text progress bar on stderr (one line per quarter when not a terminal)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._width = width
        self._last_label = ""
        self._tty = self._stream.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        share = done / total if total else 1.0
        filled = int(share * self._width)
        bar = "#" * filled + "." * (self._width - filled)
        text = f"[{bar}] {share:4.0%} quarter {label}  {done}/{total} bank-quarters"
        if self._tty:
            self._stream.write("\r" + text)
            if done >= total:
                self._stream.write("\n")
        elif label != self._last_label or done >= total:
            self._stream.write(text + "\n")
        self._last_label = label
        self._stream.flush()


def main(
    argv: Sequence[str] | None = None,
    on_imported: Callable[[ImportSummary], int] | None = None,
) -> int:
    """Import; then ``on_imported`` (e.g. start a refresh batch) gives the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Import FFIEC CDR call-report bulk files into the Banks table.",
    )
    parser.add_argument("path", help="zip, folder of zips, or unpacked folder of bulk files")
    parser.add_argument("--table", default=os.environ.get("BANKS_TABLE"), help="Banks table")
    parser.add_argument(
        "--no-reference", action="store_true", help="do not load the reference list of real banks"
    )
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("no table: pass --table NAME or set BANKS_TABLE")

    import boto3  # here, not at import time: the module stays cheap to import

    from ingest.importer import BankImporter

    table = boto3.resource("dynamodb", config=IMPORT_CONFIG).Table(args.table)
    importer = BankImporter(table, progress=ProgressBar())
    try:
        summary = importer.import_path(args.path)
        references = 0 if args.no_reference else importer.load_reference_banks()
    except BankDataError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print(summary.sentence(), file=sys.stderr)
    if references:
        print(f"Loaded {references} real banks by identifier only (no figures).", file=sys.stderr)
    return 0 if on_imported is None else on_imported(summary)
