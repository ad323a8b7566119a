"""Import benchmark past the profile's window: sixteen synthetic quarters, one run each.

    .venv/bin/python -m bench.window_bench [--banks N]     (default: 1000 banks)

The eight real quarters cover nine quarter-ends, less than the twelve a profile reads
(:data:`chalicelib.banks.records.WINDOW`), so on them each quarter costs a little more than
the one before: every bank holds one more quarter in its window. This bench generates
sixteen quarters of the synthetic sample (four years) and imports them oldest first into one
table in the local emulator, as quarterly updates come, and prints the seconds and CPU
seconds of each import: the cost rises while the banks' windows fill and is flat after the
twelfth quarter (the last four against quarters 9-12 is the figure to read).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from statistics import mean

from bench.real_import import Emulator, _line, _measured

QUARTERS = tuple(f"{year}{end}" for year in (2021, 2022, 2023, 2024) for end in
                 ("0331", "0630", "0930", "1231"))  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--banks", type=int, default=1000)
    args = parser.parse_args(argv)
    from ingest.sample import generate

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        out = generate(Path(folder) / "sample", args.banks, QUARTERS)
        paths = sorted(out.glob("FFIEC*"), key=lambda path: path.name[-4:] + path.name[-8:-4])
        emulator = Emulator()
        try:
            figures = []
            for number, path in enumerate(paths, start=1):
                figures.append(_measured(emulator, path))
                print(_line(f"quarter {number:2} {path.name[-8:]}", figures[-1]), flush=True)
        finally:
            emulator.stop()
    filling, full = figures[8:12], figures[12:]
    for key, label in (("seconds", "wall"), ("cpu", "importer CPU")):
        print(
            f"{label}: quarters 13-16 / quarters 9-12 x"
            f"{mean(f[key] for f in full) / mean(f[key] for f in filling):.2f}; "
            f"quarter 16 / quarter 1 x{full[-1][key] / figures[0][key]:.2f}"
        )
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
