"""Import ``app.py`` afresh in a process of its own, with only the settings a test gives:
what the app decides at import (its routes' protection, its document's security) follows
the environment it was imported in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def printed_by_app(script: str, env: dict[str, str]) -> Any:
    """Run ``script`` (which imports ``app``) and parse the JSON of its last line."""
    environment = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **env}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
