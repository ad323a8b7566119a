"""The synthetic sample generator is deterministic and the committed sample is its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sample import DEFAULT_OUT, bank_specs, generate, main


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


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--quarters", "2"], "--quarters must list quarter ends"),
        (["--quarters", "20240331,20240231"], "not '20240231'"),
        (["--banks", "-1"], "--banks must be a whole number"),
        (["--banks", "0"], "--banks must be a whole number"),
        (["--banks", "²"], "--banks must be a whole number"),
        (["--banks", "1" * 5_000], "--banks must be a whole number"),
        (["--seed", "x"], "--seed must be a whole number"),
    ],
)
def test_bad_arguments_are_answered_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    assert main([str(tmp_path / "out"), *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert says in captured.err and captured.err.strip().endswith(".")
    assert not (tmp_path / "out").exists()  # nothing written


def test_good_arguments_write_the_sample(tmp_path: Path) -> None:
    assert main([str(tmp_path / "out"), "--banks", "3", "--quarters", "20240630,20240331"]) == 0
    assert len(list((tmp_path / "out").glob("FFIEC CDR Call Bulk All Schedules *"))) == 2
