"""Names, cities and states for prose, checked on every one of the real FFIEC panels."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from functools import cache
from pathlib import PurePath

import pytest

from chalicelib.banks import names
from tests.real_files import quarter_zip, shipped_quarters

WORD = re.compile(r"[A-Za-z0-9'.]+(?:[&/-][A-Za-z0-9'.]+)*")  # as names.py splits words


@cache
def panel() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Every name, city and state code in the eight shipped POR files, read from the zips."""
    found: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for quarter in shipped_quarters():
        with zipfile.ZipFile(quarter_zip(quarter)) as archive:
            member = next(n for n in archive.namelist() if " POR " in PurePath(n).name)
            text = archive.read(member).decode("latin-1")
        for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
            found[0].add(" ".join(row["Financial Institution Name"].split()))
            found[1].add(" ".join(row["Financial Institution City"].split()))
            found[2].add(row["Financial Institution State"].strip())
    return frozenset(found[0]), frozenset(found[1]), frozenset(found[2])


def test_the_panels_are_what_the_rules_were_made_for() -> None:
    bank_names, cities, _ = panel()
    assert len(bank_names) > 4000 and len(cities) > 2500
    everything = [*bank_names, *cities]
    assert all(not any(ch.islower() for ch in text) for text in everything)  # all capitals


@pytest.mark.parametrize(
    ("filed", "prose"),
    [
        ("JPMORGAN CHASE BANK, NATIONAL ASSOCIATION", "JPMorgan Chase Bank, National Association"),
        ("USAA FEDERAL SAVINGS BANK", "USAA Federal Savings Bank"),
        ("PNC BANK, NATIONAL ASSOCIATION", "PNC Bank, National Association"),
        ("BMO BANK NATIONAL ASSOCIATION", "BMO Bank National Association"),
        ("HSBC BANK USA, NATIONAL ASSOCIATION", "HSBC Bank USA, National Association"),
        ("TD BANK, N.A.", "TD Bank, N.A."),
        ("DEPOSITORY TRUST COMPANY, THE", "The Depository Trust Company"),
        ("BANK OF THE WEST", "Bank of the West"),
        ("BANK OF BIRD-IN-HAND", "Bank of Bird-in-Hand"),
        ("NORTH SHORE BANK, A CO-OPERATIVE BANK", "North Shore Bank, a Co-operative Bank"),
        ("BANCO POPULAR DE PUERTO RICO", "Banco Popular de Puerto Rico"),
        ("STATE BANK OF DE KALB", "State Bank of De Kalb"),
        ("PEOPLE'S BANK", "People's Bank"),
        ("O'BANNON BANKING COMPANY", "O'Bannon Banking Company"),
        ("1ST SOURCE BANK", "1st Source Bank"),
        ("FIRST FEDERAL SAVINGS BANK OF SC, INC.", "First Federal Savings Bank of SC, Inc."),
        ("MT. MCKINLEY BANK", "Mt. McKinley Bank"),
        ("SUMITOMO MITSUI TRUST BANK (U.S.A.) LIMITED",
         "Sumitomo Mitsui Trust Bank (U.S.A.) Limited"),
        ("F&M BANK", "F&M Bank"),
        ("MCCURTAIN COUNTY NATIONAL BANK", "McCurtain County National Bank"),
        ("BIG BEND BANKS, N.A. DBA MARFA NATIONAL BANK, THE",
         "Big Bend Banks, N.A. dba The Marfa National Bank"),
        ("Granite Peak Bank (SYNTHETIC)", "Granite Peak Bank (SYNTHETIC)"),  # cased as filed
    ],
)  # fmt: skip
def test_legal_names_are_cased_with_care(filed: str, prose: str) -> None:
    assert names.bank_name(filed) == prose


@pytest.mark.parametrize(
    ("filed", "short"),
    [
        ("JPMORGAN CHASE BANK, NATIONAL ASSOCIATION", "JPMorgan Chase Bank"),
        ("TD BANK, N.A.", "TD Bank"),
        ("MALVERN BANK NA", "Malvern Bank"),
        ("FIRST FEDERAL BANK, A FSB", "First Federal Bank"),
        ("INDEPENDENT BANK DBA INDEPENDENT FINANCIAL", "Independent Financial"),
        ("TRUST COMPANY OF TOLEDO, NATIONAL ASSOCIATION, THE", "The Trust Company of Toledo"),
        ("Granite Peak Bank (SYNTHETIC)", "Granite Peak Bank"),
    ],
)
def test_the_short_name_drops_the_legal_form(filed: str, short: str) -> None:
    assert names.short_name(filed) == short


@pytest.mark.parametrize(
    ("filed", "prose"),
    [
        ("COLUMBUS", "Columbus"),
        ("WINSTON-SALEM", "Winston-Salem"),
        ("WINSTON SALEM", "Winston-Salem"),
        ("MC LEAN", "McLean"),
        ("MCKINNEY", "McKinney"),
        ("ST. LOUIS", "St. Louis"),
        ("O'FALLON", "O'Fallon"),
        ("COEUR D'ALENE", "Coeur d'Alene"),
        ("LAND O'LAKES", "Land O'Lakes"),
        ("FOND DU LAC", "Fond du Lac"),
        ("CITY OF INDUSTRY", "City of Industry"),
        ("WEST DES MOINES", "West Des Moines"),
        ("DE KALB", "De Kalb"),
        ("Denver", "Denver"),
    ],
)
def test_cities_are_title_cased(filed: str, prose: str) -> None:
    assert names.city_name(filed) == prose


def test_states_and_territories_have_names() -> None:
    assert names.state_name("OH") == "Ohio"
    assert names.state_name("PR") == "Puerto Rico"
    assert names.state_name("VI") == "U.S. Virgin Islands"
    assert names.state_name("DC") == "District of Columbia"
    assert names.state_name("Ohio") == "Ohio"  # already a name
    assert names.state_name("0") == ""  # what FFIEC files for a bank outside any state
    assert names.place("COLUMBUS", "OH") == "Columbus, Ohio"
    assert names.place("POHNPEI", "0") == "Pohnpei"


def test_every_state_code_in_the_panels_has_a_name() -> None:
    _, _, states = panel()
    unnamed = {code for code in states if not names.state_name(code)}
    # Only the Bank of the Federated States of Micronesia, filed with state "0".
    assert unnamed == {"0"}


def test_every_real_name_keeps_its_letters_and_its_known_tokens() -> None:
    bank_names, _, _ = panel()
    for filed in bank_names:
        prose = names.bank_name(filed)
        assert sorted(ch for ch in prose.upper() if ch.isalnum()) == sorted(
            ch for ch in filed.upper() if ch.isalnum()
        ), filed
        for word in WORD.findall(prose):
            upper = word.upper()
            if upper in names.KNOWN:
                assert word == names.KNOWN[upper], (filed, prose)
            assert word not in {"Jpmorgan", "Usaa", "N.a.", "Pnc", "Bmo", "Hsbc", "Fsb", "Ssb"}


def test_abbreviations_stay_in_capitals_and_words_do_not_shout() -> None:
    bank_names, _, _ = panel()
    small = names.SMALL_WORDS | names.PARTICLES | {"DBA"}
    for filed in bank_names:
        prose = names.bank_name(filed)
        if re.search(r",\s*THE\b", filed):  # "X, THE" reads "The X": words move
            continue
        for filed_word, word in zip(WORD.findall(filed), WORD.findall(prose), strict=True):
            letters = "".join(ch for ch in filed_word if ch.isalpha())
            if not letters or filed_word.rstrip(".") in names.SHORT_FORMS:
                continue
            initials = re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", filed_word) or "&" in filed_word
            if initials or not set(letters) & set("AEIOUY"):
                if not re.fullmatch(r"\d+(ST|ND|RD|TH)", filed_word):
                    assert word == filed_word, (filed, prose)  # FNB, SSB, N.A. stay
            elif len(letters) > 2 and filed_word.upper() not in names.KNOWN:
                assert not word.isupper(), (filed, prose)  # BANK reads Bank
            if filed_word.upper() not in small and filed_word.upper() not in names.KNOWN:
                assert word[:1] == filed_word[:1], (filed, prose)  # no word starts lower


def test_no_real_city_is_mis_cased() -> None:
    _, cities, _ = panel()
    for filed in cities:
        prose = names.city_name(filed)
        assert prose[:1].isupper(), filed
        assert prose.replace("-", " ").replace(" ", "").upper() == filed.replace("-", " ").replace(
            " ", ""
        ), filed
        assert not re.search(r"-[a-z]", prose), prose  # Winston-Salem
        assert not re.search(r"\bO'[a-z]", prose), prose  # O'Fallon
        assert not re.search(r"\bMc[a-z]", prose), prose  # McKinney
        assert not re.search(r"\b[A-Z]{2,}", prose), prose  # no word left in capitals
        for word in prose.split()[1:]:
            if word[:1].islower():
                assert word in {"of", "in", "on", "du", "the", "and", "at"} or word.startswith(
                    "d'"
                ), prose


def test_the_short_names_of_real_banks_end_with_no_legal_form() -> None:
    bank_names, _, _ = panel()
    forms = tuple(form.upper() for form in names.LEGAL_FORMS)
    for filed in bank_names:
        short = names.short_name(filed).upper()
        assert short and not short.endswith(tuple(f", {form}" for form in forms)), filed
        assert not short.endswith(" NATIONAL ASSOCIATION"), filed
