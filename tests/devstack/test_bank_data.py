"""BANK_DATA and the cache of the real import: a stale cache is never served."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack import bank_data
from devstack import run as stack


def test_real_data_is_the_default_and_a_bad_choice_is_a_sentence() -> None:
    assert bank_data.choice({}) == "real"
    assert bank_data.choice({"BANK_DATA": " Sample "}) == "sample"
    assert bank_data.choice({"BANK_DATA": "none"}) == "none"
    with pytest.raises(bank_data.BankDataError) as caught:
        bank_data.choice({"BANK_DATA": "synthetic"})
    message = str(caught.value)
    assert "'synthetic'" in message and "BANK_DATA=real" in message and "BANK_DATA=none" in message


def test_make_run_refuses_a_bad_choice_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    monkeypatch.setenv("BANK_DATA", "everything")
    ports = ["--port", "0", "--emulator-port", "0", "--lambda-port", "0"]
    assert stack.main(ports, say=said.append) == 2
    assert said and "is not a choice of bank data" in said[0]


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of what the key is made of: the data files and the import code."""
    root = tmp_path / "project"
    for folder in ("ingest", "chalicelib/banks"):
        shutil.copytree(bank_data.ROOT / folder, root / folder)
    data = root / "data" / "ffiec"
    data.mkdir(parents=True)
    (data / "one.zip").write_bytes(b"quarter one")
    (data / "SHA256SUMS").write_text("…")
    return root, data


def test_the_cache_key_moves_with_the_data_and_the_import_code(tmp_path: Path) -> None:
    root, data = _project(tmp_path)
    key = bank_data.cache_key(data, root)
    assert bank_data.cache_key(data, root) == key  # the same files, the same key
    (data / "one.zip").write_bytes(b"quarter one, corrected")
    changed_data = bank_data.cache_key(data, root)
    assert changed_data != key
    (data / "two.zip").write_bytes(b"quarter two")
    more_data = bank_data.cache_key(data, root)
    assert more_data not in (key, changed_data)
    with (root / "ingest" / "refresh.py").open("a") as source:
        source.write("\n# a change to how profiles are computed\n")
    assert bank_data.cache_key(data, root) not in (key, changed_data, more_data)


def test_the_cache_keeps_only_the_current_key_and_reads_a_damaged_file_as_a_miss(
    tmp_path: Path,
) -> None:
    old = bank_data.ItemCache(tmp_path, "old")
    old.write([{"pk": {"S": "BANK#1"}, "sk": {"S": "PROFILE"}}])
    new = bank_data.ItemCache(tmp_path, "new")
    assert new.read() is None  # another key is a miss, never the old items
    new.write([{"pk": {"S": "BANK#2"}, "sk": {"S": "PROFILE"}}])
    assert new.read() == [{"pk": {"S": "BANK#2"}, "sk": {"S": "PROFILE"}}]
    assert not old.path.exists()  # only the current data's cache is kept
    new.path.write_bytes(b"not zlib")
    assert new.read() is None
    assert not list(tmp_path.glob("*.tmp"))  # written beside and renamed


def test_the_cache_lives_outside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANK_DATA_CACHE", raising=False)
    folder = bank_data.cache_dir({"XDG_CACHE_HOME": "/var/tmp/cache"})
    assert folder == Path("/var/tmp/cache/bank-research")
    assert bank_data.ROOT not in bank_data.cache_dir({}).parents  # chalice local watches it
    assert bank_data.cache_dir({"BANK_DATA_CACHE": "/x"}) == Path("/x")
