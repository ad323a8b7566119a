"""What the deployment holds: the app and its libraries, never the importer or the tools."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path, PurePosixPath

from tests.deploy.conftest import Packaged

ROOT = Path(__file__).resolve().parents[2]
NEVER_DEPLOYED = ("ingest", "devstack", "deploy", "bench", "scripts", "tests")


def _imported_packages(source: str) -> set[str]:
    """The top-level packages a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_lambda_code_never_imports_the_importer_or_the_tools() -> None:
    """Checked on the source tree, so that it holds without packaging."""
    modules = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            _imported_packages(path.read_text()) & {*NEVER_DEPLOYED}
        )
        for path in modules
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_deployment_zip_holds_no_importer_code(packaged: Packaged) -> None:
    with zipfile.ZipFile(packaged.path.parent / "deployment.zip") as archive:
        names = archive.namelist()
        ours = [name for name in names if name == "app.py" or name.startswith("chalicelib/")]
        sources = {name: archive.read(name).decode() for name in ours if name.endswith(".py")}
    assert "chalicelib/banks/table.py" in names and "app.py" in names
    assert "chalicelib/api/boundary.py" in names and "chalicelib/aws/policy.py" in names
    assert "chalicelib/jobs/failures.json" in names  # the failure words, read at import
    assert [name for name in names if name.split("/")[0] in NEVER_DEPLOYED] == []
    # The bank-data part holds its read side only (sources, and bytecode if any was built).
    bank_modules = {
        PurePosixPath(name).name.split(".")[0]
        for name in ours
        if name.startswith("chalicelib/banks/") and name.endswith((".py", ".pyc"))
    }
    assert bank_modules == {
        "__init__",
        "catalog",
        "context",
        "errors",
        "lookup",
        "names",
        "quarters",  # quarter arithmetic, shared with the reports and the importer
        "records",
        "search",
        "table",
    }
    for name, source in sources.items():
        assert not _imported_packages(source) & {*NEVER_DEPLOYED}, name


def test_api_gateway_compresses_responses_above_a_kilobyte(packaged: Packaged) -> None:
    assert packaged.properties("RestAPI")["MinimumCompressionSize"] == 1024
