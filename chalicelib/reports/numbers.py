"""How figures read in prose: dollars from thousands, percents, changes, quarters."""

from __future__ import annotations

from datetime import date

# A blank whose cause the caller did not say: true of every blank. The writers say which
# blank it is where they know (ReportFacts.shown: "not reported", "not available").
MISSING = "not available"


def money(thousands: float | None) -> str:
    """``9855651`` (thousands) → ``$9.86 billion``."""
    if thousands is None:
        return MISSING
    dollars = float(thousands) * 1000
    sign = "-" if dollars < 0 else ""
    dollars = abs(dollars)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if dollars >= size:
            value = dollars / size
            digits = 2 if value < 10 else 1
            return f"{sign}${value:,.{digits}f} {word}"
    return f"{sign}${dollars:,.0f}"


def pct(value: float | None, digits: int = 2) -> str:
    return MISSING if value is None else f"{value:.{digits}f}%"


def points(change: float) -> str:
    """A change of a percentage, in words: ``up 0.16 percentage points``."""
    if abs(change) < 0.005:
        return "unchanged"
    direction = "up" if change > 0 else "down"
    return f"{direction} {abs(change):.2f} percentage points"


def growth_words(rate: float | None) -> str:
    """A growth rate in words: ``up 8.7%`` / ``down 6.9%`` / ``flat``."""
    if rate is None:
        return MISSING
    if abs(rate) < 0.05:
        return "flat"
    return f"{'up' if rate > 0 else 'down'} {abs(rate):.1f}%"


def quarter_end(yyyymmdd: str) -> str:
    """``20241231`` → ``December 31, 2024``."""
    moment = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    return f"{moment:%B} {moment.day}, {moment.year}"


def quarter_label(yyyymmdd: str) -> str:
    """``20241231`` → ``Q4 2024``."""
    return f"Q{(int(yyyymmdd[4:6]) - 1) // 3 + 1} {yyyymmdd[:4]}"
