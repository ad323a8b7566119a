"""Bank names, cities and states as prose writes them. Pure functions, no AWS.

FFIEC files names and cities in upper case ("JPMORGAN CHASE BANK, NATIONAL ASSOCIATION",
"COLUMBUS", "OH"). Prose reads better cased, but casing a legal name by rule alone gets
it wrong ("Jpmorgan", "Usaa", "N.a."), so a name is cased word by word with care:

* a word whose case is known (:data:`KNOWN`: JPMorgan, USAA, N.A., FSB, ...) takes it;
* a word without a vowel (FNB, SSB, HSBC), a two-letter word that is no English word
  (state codes, initials: "KS BANK", "OF PA"), initials with dots (U.S.A.) and words joined
  by "&" (F&M) are abbreviations and stay upper case;
* small words inside a name are lower case ("Bank of the West"), "Mc" and "O'" names are
  cased as names are (McHenry, O'Fallon), ordinals read "1st", and each part of a
  hyphenated word is cased alone (Winston-Salem);
* a name filed as "DEPOSITORY TRUST COMPANY, THE" reads "The Depository Trust Company";
* a name or city that already holds lower-case letters was cased by whoever filed it and
  is kept as it is.

The legal name as filed stays where a name is shown as a record (a page header, as FDIC
BankFind shows it); these forms are for sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# USPS codes of the states, the District of Columbia, the territories and the freely
# associated states, whose banks file call reports too.
STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "UM": "U.S. Minor Outlying Islands",
    "FM": "Federated States of Micronesia", "MH": "Marshall Islands", "PW": "Palau",
}  # fmt: skip
_STATE_NAMES = frozenset(STATES.values())

# Words whose case is known: the form the institution itself uses (JPMorgan, SoFi), or an
# abbreviation that has a vowel and would otherwise be cased as a word (USAA, BMO, UMB).
# Chosen from the names in the real FFIEC panels (a test checks every one of them there).
KNOWN: dict[str, str] = {
    word.upper(): word
    for word in (
        # Abbreviations with a vowel: said letter by letter, written in capitals.
        "USAA", "BMO", "CIBC", "UMB", "TIAA", "MUFG", "UBS", "AIG", "ADP", "AMG", "ANZ",
        "BOKF", "OZK", "BNY", "SEI", "KEB", "BNA", "BOC", "BOM", "CBI", "CIBM", "CUSB",
        "ACNB", "ACB", "ANB", "AVB", "INB", "NVE", "OMB", "ONB", "OSB", "SENB", "SLA", "TIB",
        "UNB", "YNB", "ESB", "FSA", "ESSA", "USA", "SEMO", "NBKC", "FCNB", "LCNB", "MCNB",
        "FNBC", "CBBC", "CTBC", "DMB", "HTLF", "BAC", "LCA", "TAB", "WEX",
        # Brands that write themselves in camel case.
        "JPMorgan", "BlackRock", "SoFi", "BancFirst", "BankFirst", "BankPlus", "BankSouth",
        "BankUnited", "BankFinancial", "BayFirst", "CapStar", "ChoiceOne", "ConnectOne",
        "CrossFirst",
        "CorTrust", "EagleBank", "EverBank", "EverTrust", "FirstBank", "FineMark",
        "HarborOne", "HomeStreet", "HomeTrust", "InsBank", "KeyBank", "LinkBank",
        "MainStreet", "MidFirst", "MidWestOne", "MountainOne", "MutualOne", "NexBank",
        "NorthPointe", "OceanFirst", "OneUnited", "PlainsCapital", "PrimeSouth",
        "PriorityOne", "PromiseOne", "ServisFirst", "SmartBank", "TowneBank", "TruPoint",
        "WebBank", "WesBanco", "CFBank", "GNBank", "TNBank", "InBank", "MidAmerica", "CBank",
        "GBank",
        "5Star", "i3",
        # Forms of words in legal names.
        "Co-operative", "dba",
    )
}  # fmt: skip

# Lower case inside a name or a city ("Bank of the West", "Fond du Lac", "Bird in Hand").
SMALL_WORDS = frozenset({"OF", "THE", "AND", "IN", "AT", "ON", "FOR", "A", "AN", "BY", "TO"})
# Romance particles: lower case after another name word ("Banco Popular de Puerto Rico",
# "Prairie du Chien"), capitalised first or after a small word ("Bank of De Kalb").
PARTICLES = frozenset({"DE", "DU", "DO", "DA", "DEL", "DELLA", "DOS"})
# Two-letter words that are words, not abbreviations: cased as words.
TWO_LETTER_WORDS = SMALL_WORDS | PARTICLES | {"CO", "EL", "LA", "LE", "MY", "GO", "UP", "NO"}
# "MT WASHINGTON", "ST CHARLES": the usual short forms of Mount, Saint and Fort.
SHORT_FORMS = {"MT": "Mt", "ST": "St", "FT": "Ft"}
# The legal form that follows a name ("…, NATIONAL ASSOCIATION"), left out where a name is
# said in passing (the podcast): "JPMorgan Chase Bank".
LEGAL_FORMS = (
    "NATIONAL ASSOCIATION", "N.A.", "N. A.", "NA", "FSB", "F.S.B.", "SSB", "S.S.B.", "SB",
    "S.B.", "FA", "F.A.", "INC.", "INC", "LTD.", "A FEDERAL SAVINGS BANK", "A FSB",
    "A SAVINGS AND LOAN ASSOCIATION", "A STATE CHARTERED SAVINGS BANK",
    "A NATIONAL BANKING ASSOCIATION", "A CO-OPERATIVE BANK",
)  # fmt: skip

# Cities whose name FFIEC files without its hyphen.
CITIES: dict[str, str] = {"WINSTON SALEM": "Winston-Salem", "FUQUAY VARINA": "Fuquay-Varina"}

_VOWELS = frozenset("AEIOUY")
_INITIALS = re.compile(r"^(?:[A-Z]\.)+[A-Z]?$")  # N.A., U.S.A., F.S.B, G.W.
_ORDINAL = re.compile(r"^(\d+)(ST|ND|RD|TH)$")
# A word: letters, digits, dots and apostrophes, joined by "&" (F&M), "-" (Winston-Salem)
# or "/"; a lone "&" or "-" between words is not one.
_WORD = re.compile(r"[A-Z0-9'.]+(?:[&/-][A-Z0-9'.]+)*", re.IGNORECASE)
_JOINTS = re.compile(r"([/-]|(?<=[A-Z]{2})\.(?=[A-Z]{2}))", re.IGNORECASE)  # not "N.A."
_THE_LAST = re.compile(r"^(?P<name>.+),\s*THE$")
_DBA = re.compile(r"\s+DBA\s+", re.IGNORECASE)
_SYNTHETIC = " (SYNTHETIC)"

WordCaser = Callable[[str, bool, str], str]


def state_name(code: str) -> str:
    """``OH`` → ``Ohio``; a name already spelt out is kept; anything else (FFIEC writes
    ``0`` for a bank outside any state) is empty."""
    text = code.strip()
    if text in _STATE_NAMES:
        return text
    return STATES.get(text.upper(), "")


def city_name(city: str) -> str:
    """``COLUMBUS`` → ``Columbus``, ``WINSTON-SALEM`` → ``Winston-Salem``, ``MC LEAN`` →
    ``McLean``, ``COEUR D'ALENE`` → ``Coeur d'Alene``, ``FOND DU LAC`` → ``Fond du Lac``."""
    text = " ".join(city.split())
    if not _upper_case(text):
        return text
    if text in CITIES:
        return CITIES[text]
    text = re.sub(r"\bMC (?=[A-Z])", "MC", text)  # FFIEC splits McLean as "MC LEAN"
    return _case_words(text, _city_word)


def bank_name(legal: str) -> str:
    """A legal name as it reads in a sentence: ``JPMORGAN CHASE BANK, NATIONAL
    ASSOCIATION`` → ``JPMorgan Chase Bank, National Association``; ``DEPOSITORY TRUST
    COMPANY, THE`` → ``The Depository Trust Company``."""
    text = " ".join(legal.split())
    if not _upper_case(text):
        return text
    return " dba ".join(_case_words(_the_first(part), _name_word) for part in _DBA.split(text))


def short_name(legal: str) -> str:
    """The name said in passing: the trade name when the bank files one ("… DBA FIRST
    BANK TEXAS"), without the legal form after it: ``JPMorgan Chase Bank``."""
    text = " ".join(legal.split()).removesuffix(_SYNTHETIC)
    name = bank_name(_DBA.split(text)[-1])
    upper = name.upper()
    for form in sorted(LEGAL_FORMS, key=len, reverse=True):
        for joint in (", ", " "):
            if upper.endswith(joint + form) and len(upper) > len(joint + form):
                return name[: -len(joint + form)].rstrip(" ,")
    return name


def place(city: str, state: str) -> str:
    """``Columbus, Ohio``: the city and the state's name, either alone when the other is
    unknown."""
    return ", ".join(part for part in (city_name(city), state_name(state)) if part)


# -- casing -------------------------------------------------------------------------------------


def _upper_case(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not any(ch.islower() for ch in text)


def _the_first(name: str) -> str:
    """``DEPOSITORY TRUST COMPANY, THE`` → ``THE DEPOSITORY TRUST COMPANY``."""
    moved = _THE_LAST.match(name)
    return f"THE {moved['name']}" if moved else name


def _case_words(text: str, case_word: WordCaser) -> str:
    """Each word of ``text`` cased by ``case_word``, told whether it is the first word and
    which word came before it; what lies between words is kept."""
    pieces: list[str] = []
    last, previous = 0, ""
    for index, match in enumerate(_WORD.finditer(text)):
        word = match.group()
        pieces += [text[last : match.start()], _case_joined(word, index == 0, previous, case_word)]
        previous, last = word.upper(), match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def _case_joined(word: str, first: bool, previous: str, case_word: WordCaser) -> str:
    """A word; the parts of a joined one (Bird-in-Hand) each cased as words of their own."""
    upper = word.upper()
    if upper in KNOWN:
        return KNOWN[upper]
    if "&" in upper:
        return upper  # F&M, AB&T: initials
    parts = _JOINTS.split(upper)
    if len(parts) == 1:
        return case_word(upper, first, previous)
    cased: list[str] = []
    for index, part in enumerate(parts):
        joint = index % 2 == 1
        before = parts[index - 2] if index >= 2 else previous
        cased.append(part if joint else case_word(part, first and index == 0, before))
    return "".join(cased)


def _name_word(upper: str, first: bool, previous: str) -> str:
    if upper in KNOWN:
        return KNOWN[upper]
    bare = upper.rstrip(".")
    if not first and upper in SMALL_WORDS:
        return upper.lower()
    if not first and bare in PARTICLES and previous not in SMALL_WORDS:
        return upper.lower()
    if _abbreviation(upper):
        return upper
    if bare in SHORT_FORMS:
        return SHORT_FORMS[bare] + upper[len(bare) :]
    return _proper(upper)


def _city_word(upper: str, first: bool, previous: str) -> str:
    if not first and (upper in SMALL_WORDS or upper in PARTICLES - {"DE"}):
        return upper.lower()  # City of Industry, Fond du Lac (but De Pere stays)
    bare = upper.rstrip(".")
    if bare in SHORT_FORMS:
        return SHORT_FORMS[bare] + upper[len(bare) :]
    cased = _proper(upper)
    return "d" + cased[1:] if not first and upper.startswith("D'") else cased  # Coeur d'Alene


def _abbreviation(upper: str) -> bool:
    """Written in capitals: initials, a word with no vowel, or two letters that are no
    English word (a state's code, a bank's initials)."""
    if _INITIALS.match(upper):
        return True
    letters = "".join(ch for ch in upper if ch.isalpha())
    if not letters or "'" in upper or letters in SHORT_FORMS or _ORDINAL.match(upper):
        return False
    if not _VOWELS.intersection(letters):
        return True  # FNB, 1NB, B2
    return len(letters) == 2 and upper.isalpha() and letters not in TWO_LETTER_WORDS


def _proper(upper: str) -> str:
    """One word as a name: ``MCHENRY`` → ``McHenry``, ``O'FALLON`` → ``O'Fallon``,
    ``PEOPLE'S`` → ``People's``, ``1ST`` → ``1st``."""
    ordinal = _ORDINAL.match(upper)
    if ordinal:
        return ordinal[1] + ordinal[2].lower()
    if upper.startswith("MC") and len(upper) > 3 and upper[2].isalpha():
        return "Mc" + _capitalised(upper[2:])
    for prefix in ("O'", "D'"):
        if upper.startswith(prefix) and len(upper) > 2:
            return prefix + _capitalised(upper[2:])
    return _capitalised(upper)


def _capitalised(upper: str) -> str:
    """First letter upper, the rest lower (after an apostrophe too: "People's")."""
    return upper[:1] + upper[1:].lower()
