"""The synthetic sample generator is deterministic and the committed sample is its output."""

from __future__ import annotations

from pathlib import Path

from ingest.sample import DEFAULT_OUT, bank_specs, generate


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_two_runs_give_identical_bytes_equal_to_the_committed_sample(tmp_path: Path) -> None:
    first = _files(generate(tmp_path / "a"))
    second = _files(generate(tmp_path / "b"))
    assert first == second
    assert first == _files(DEFAULT_OUT)
    assert "SYNTHETIC" in first["Readme.txt"].decode()


def test_ids_and_names_are_synthetic() -> None:
    specs = bank_specs(5000)
    assert all(spec.name.endswith(" (SYNTHETIC)") for spec in specs)
    assert min(spec.idrssd for spec in specs) == 9_900_001
    assert max(spec.idrssd for spec in specs) < 10**10
    assert len({spec.idrssd for spec in specs}) == 5000
    assert {spec.filing_type for spec in specs[:25]} == {"031", "041", "051"}
