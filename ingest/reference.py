"""The list of real banks known by identifier only (``data/reference/real_banks.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REFERENCE_FILE = Path(__file__).resolve().parents[1] / "data" / "reference" / "real_banks.json"


@dataclass(frozen=True)
class ReferenceBank:
    idrssd: str
    name: str
    city: str
    state: str


def read_reference_banks(path: Path | str = REFERENCE_FILE) -> list[ReferenceBank]:
    """The real banks of the reference file (RSSD id, name, city, state; no figures)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        ReferenceBank(str(int(bank["idrssd"])), bank["name"], bank["city"], bank["state"])
        for bank in document["banks"]
    ]


def reference_ids(path: Path | str = REFERENCE_FILE) -> frozenset[str]:
    """RSSD ids of the reference banks; empty when the file is not there."""
    try:
        return frozenset(bank.idrssd for bank in read_reference_banks(path))
    except FileNotFoundError:
        return frozenset()
