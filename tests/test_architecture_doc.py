"""docs/ARCHITECTURE.md stays true to the code where that can be checked: every file it
names exists, and every package of the project is named in it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
SKIPPED = {".venv", ".git", "node_modules", "out", "test-output", ".chalice", "__pycache__"}
# Where a short path in the document (``jobs/store.py``, ``web/static/session.js``) lives.
HOMES = ("", "chalicelib/", "chalicelib/web/static/")
# Names of things that are not files of the repository: S3 keys, URLs, items.
NOT_FILES = re.compile(r"^(/|assets/|reports/\{|podcasts/\{|INDEX/)")
A_PATH = re.compile(r"^[\w./-]+(\.py|\.json|\.js|/)$")


def _files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if not SKIPPED & set(path.relative_to(ROOT).parts) and path.is_file()
    ]


def _named_paths(text: str) -> set[str]:
    quoted = {match.strip() for match in re.findall(r"`([^`\n]+)`", text)}
    return {name for name in quoted if A_PATH.match(name) and not NOT_FILES.match(name)}


def test_every_file_the_architecture_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = {path.name for path in _files()}
    missing = []
    for named in sorted(_named_paths(text)):
        if "/" not in named.rstrip("/"):
            found = (
                (ROOT / named).exists() or named in names or (ROOT / "chalicelib" / named).exists()
            )
        else:
            found = any((ROOT / home / named).exists() for home in HOMES)
        if not found:
            missing.append(named)
    assert missing == [], f"docs/ARCHITECTURE.md names files that do not exist: {missing}"


def test_every_package_is_named_in_the_architecture() -> None:
    text = DOC.read_text(encoding="utf-8")
    packages = sorted(
        init.parent.relative_to(ROOT)
        for init in ROOT.rglob("__init__.py")
        if not SKIPPED & set(init.relative_to(ROOT).parts)
        and init.parts[len(ROOT.parts)] != "tests"
    )
    unnamed = [str(package) for package in packages if f"{package.name}/" not in text]
    assert unnamed == [], f"packages docs/ARCHITECTURE.md does not name: {unnamed}"
