"""Run a program that compares moto's answers before and after one of the emulator's patches.

Each patch is process-wide and the comparison needs moto's own behaviour first, so each
program runs in a process of its own and prints its findings as one JSON document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.e2e.local_stack import ROOT


def run_program(program: str, given: Any = None) -> Any:
    """The JSON ``program`` prints (``given``, when there is one, is its standard input)."""
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True,
        input=None if given is None else json.dumps(given),
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
    )  # fmt: skip
    return json.loads(done.stdout)
