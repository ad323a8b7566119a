"""A script line as a voice engine should read it. Pure functions, no AWS.

The script keeps names as prose writes them (``USAA Federal Savings Bank``, ``Mt. McKinley
Bank``); a voice engine left alone reads an abbreviation with vowels as a word (eSpeak NG
says "USAA" as "yoosa", "CIBC" as "sibk", "UMB" as "um") and a short form as letters
("Mt." as "M T"). So a line is rewritten just before it is spoken: a word in capitals is
spelt letter by letter, written ``U.S.A.A`` (dots between the letters and none after, which
eSpeak NG reads as letters without the pause a final dot brings), the short forms of
Mount, Saint, Fort, Company and the like are said in full, and "&" is "and". What the
listener reads in the transcript stays as written.
"""

from __future__ import annotations

import re

# Capitals said as words, not spelt.
SAID_AS_WORDS = frozenset({"ESSA", "SEMO", "CECL", "NIM", "SOFR", "LIBOR", "FICO", "NASA"})
# Roman numerals in names (Bank II): left to the engine.
_NUMERALS = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII"})
SHORT_FORMS = {
    "Co.": "Company", "Corp.": "Corporation", "Inc.": "Incorporated", "Ltd.": "Limited",
    "Bros.": "Brothers",
}  # fmt: skip
# Before a name: Mt. McKinley, Mt Washington, Ft. Worth, St. Louis.
BEFORE_NAMES = {"Mt": "Mount", "Ft": "Fort", "St": "Saint"}

_CAPITALS = re.compile(r"\b[A-Z]{2,8}\b")
_BEFORE_NAME = re.compile(r"\b(Mt|Ft|St)\.?(?= [A-Z])")
_SHORT = re.compile("|".join(re.escape(form) for form in SHORT_FORMS) + r"(?=\W|$)")


def speakable(text: str) -> str:
    """``USAA Federal Savings Bank`` → ``U.S.A.A Federal Savings Bank``; ``Mt. McKinley
    Bank & Trust`` → ``Mount McKinley Bank and Trust``."""
    spoken = _SHORT.sub(lambda match: SHORT_FORMS[match.group()], text)
    spoken = _BEFORE_NAME.sub(lambda match: BEFORE_NAMES[match[1]], spoken)
    spoken = spoken.replace(" & ", " and ")
    return _CAPITALS.sub(_spelt, spoken)


def _spelt(match: re.Match[str]) -> str:
    word = match.group()
    if word in SAID_AS_WORDS or word in _NUMERALS:
        return word
    return ".".join(word)
