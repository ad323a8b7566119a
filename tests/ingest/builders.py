"""Small hand-made bulk files for parser and importer tests."""

from __future__ import annotations

from pathlib import Path

POR_HEADER = (
    '"IDRSSD"\t"FDIC Certificate Number"\t"Financial Institution Name"\t'
    '"Financial Institution City"\t"Financial Institution State"\t'
    '"Financial Institution Filing Type"\t\r\n'
)

# Minimal columns per schedule for an RCON (041/051) filer.
DEFAULT_CODES: dict[str, tuple[str, ...]] = {
    "RC": ("RCON2170", "RCON2948", "RCON3210", "RCON2200", "RCONB528", "RCON3123"),
    "RI": ("RIAD4074", "RIAD4079", "RIAD4093", "RIAD4340"),
    "RCN": ("RCON1403", "RCON1407"),
    "RCRI": ("RCOA7204", "RCOAP793"),
    "RIBI": ("RIAD4635", "RIAD4605"),
}


def mmddyyyy(quarter: str) -> str:
    return f"{quarter[4:6]}{quarter[6:]}{quarter[:4]}"


def por_file(folder: Path, quarter: str, banks: list[tuple[str, str]]) -> Path:
    """POR with (idrssd, quoted-name-cell) rows."""
    lines = [POR_HEADER]
    for idrssd, name_cell in banks:
        lines.append(f'{idrssd}\t{int(idrssd) % 100000}\t{name_cell}\t"Town"\t"KS"\t041\t\r\n')
    path = folder / f"FFIEC CDR Call Bulk POR {mmddyyyy(quarter)}.txt"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


def schedule_file(
    folder: Path,
    quarter: str,
    schedule: str,
    codes: tuple[str, ...],
    rows: list[list[str]],
    suffix: str = "",
) -> Path:
    """A schedule file: quoted IDRSSD header, caption row, rows with trailing tabs."""
    lines = ['"IDRSSD"\t' + "\t".join(codes) + "\t\r\n"]
    lines.append("\t" + "\t".join(f'"CAPTION {code}"' for code in codes) + "\t\r\n")
    lines.extend("\t".join(row) + "\t\r\n" for row in rows)
    path = folder / f"FFIEC CDR Call Schedule {schedule} {mmddyyyy(quarter)}{suffix}.txt"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


def simple_quarter(
    folder: Path,
    quarter: str,
    banks: dict[str, dict[str, str]],
    names: dict[str, str] | None = None,
) -> Path:
    """A complete minimal quarter: ``banks[idrssd][code] = cell text`` (missing → blank)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = names or {}
    por_file(
        folder,
        quarter,
        [(idrssd, f'"{names.get(idrssd, f"Bank {idrssd} (SYNTHETIC)")}"') for idrssd in banks],
    )
    for schedule, codes in DEFAULT_CODES.items():
        rows = [
            [idrssd, *(values.get(code, "") for code in codes)] for idrssd, values in banks.items()
        ]
        schedule_file(folder, quarter, schedule, codes, rows)
    return folder


def bank_values(
    assets: int = 1000,
    equity: int = 100,
    deposits: int = 800,
    loans: int = 600,
    net_income_ytd: int = 10,
    **extra: str,
) -> dict[str, str]:
    values = {
        "RCON2170": str(assets),
        "RCON2948": str(assets - equity),
        "RCON3210": str(equity),
        "RCON2200": str(deposits),
        "RCONB528": str(loans),
        "RCON3123": "9",
        "RIAD4074": str(net_income_ytd * 3),
        "RIAD4079": "5",
        "RIAD4093": str(net_income_ytd * 2),
        "RIAD4340": str(net_income_ytd),
        "RCON1403": "6",
        "RCON1407": "2",
        "RCOA7204": "9.5000%",
        "RCOAP793": "12.25%",
        "RIAD4635": "4",
        "RIAD4605": "1",
    }
    values.update(extra)
    return values
