"""The client installs on its own: one package, no import of the app or the local stack."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_project_installs_only_the_client_package_as_bank_research() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["setuptools"]["packages"] == ["bank_research_cli"]
    assert project["project"]["scripts"] == {"bank-research": "bank_research_cli.cli:entry_point"}
    assert "rich" not in (ROOT / "requirements.txt").read_text(encoding="utf-8")  # not in Lambdas


def test_the_client_imports_nothing_of_the_app(tmp_path: Path) -> None:
    probe = (
        "import sys, bank_research_cli.cli, bank_research_cli.watch;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('chalicelib', 'devstack', 'app', 'chalice', 'boto3', 'botocore', 'rich')))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    found = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {probe}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "[]"  # Rich too is imported only to draw a bar
