"""Quarter arithmetic on ``yyyymmdd`` quarter-end strings (``20241231``)."""

from __future__ import annotations

QUARTER_ENDS = ("0331", "0630", "0930", "1231")


def is_quarter_end(quarter: str) -> bool:
    return quarter[4:] in QUARTER_ENDS


def label(quarter: str) -> str:
    """``20241231`` → ``2024-12-31``."""
    return f"{quarter[:4]}-{quarter[4:6]}-{quarter[6:]}"


def previous(quarter: str) -> str:
    """The quarter-end before ``quarter``."""
    year, index = int(quarter[:4]), QUARTER_ENDS.index(quarter[4:])
    return f"{year - 1}1231" if index == 0 else f"{year}{QUARTER_ENDS[index - 1]}"


def year_ago(quarter: str) -> str:
    """The same quarter-end a year earlier."""
    return f"{int(quarter[:4]) - 1}{quarter[4:]}"


def window(latest: str, count: int) -> list[str]:
    """``count`` quarter-ends up to and including ``latest``, oldest first."""
    quarters = [latest]
    while len(quarters) < count:
        quarters.append(previous(quarters[-1]))
    return quarters[::-1]
