"""Whole numbers written by people or programs: ASCII digits only, of a bounded length.

``str.isdigit()`` accepts '²' (which ``int()`` then refuses) and ``int()`` accepts other
scripts' digits ('٣', a full-width '5'), signs, spaces and underscores, and refuses more than 4 300
digits with an error of its own: none of that is a number this service was sent on purpose.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")  # not \d, which matches every script's digits


def whole_number(text: str, max_digits: int) -> int | None:
    """``text`` as a whole number of at most ``max_digits`` ASCII digits, else ``None``."""
    if len(text) > max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)
