"""Lines are spoken as a listener should hear them: capitals spelt, short forms said in full."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from chalicelib.podcasts.pronounce import speakable


@pytest.mark.parametrize(
    ("line", "spoken"),
    [
        ("We look at USAA Federal Savings Bank.", "We look at U.S.A.A Federal Savings Bank."),
        ("CIBC Bank USA and UMB Bank", "C.I.B.C Bank U.S.A and U.M.B Bank"),
        ("Mt. McKinley Bank & Trust Co.", "Mount McKinley Bank and Trust Company"),
        ("Peoples Bank Mt Washington, St. Louis", "Peoples Bank Mount Washington, Saint Louis"),
        ("TD Bank, N.A. and F&M Bank", "T.D Bank, N.A. and F&M Bank"),  # initials stay
        ("ESSA Bank's NIM", "ESSA Bank's NIM"),  # said as words
        ("a return on assets of 1.93%", "a return on assets of 1.93%"),
    ],
)  # fmt: skip
def test_capitals_are_spelt_and_short_forms_said(line: str, spoken: str) -> None:
    assert speakable(line) == spoken


PHONEMES = textwrap.dedent(
    """
    import ctypes, json, sys
    from pathlib import Path
    import espeakng_loader
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    data = str(Path(espeakng_loader.get_data_path()).parent).encode()
    lib.espeak_Initialize(2, 0, data, 0)
    lib.espeak_SetVoiceByName(b"en-us")
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [
        ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    out = {}
    for text in json.loads(sys.stdin.read()):
        pointer, parts = ctypes.c_char_p(text.encode()), []
        while pointer.value:
            parts.append(lib.espeak_TextToPhonemes(ctypes.byref(pointer), 1, 0).decode())
        out[text] = " | ".join(parts)
    print(json.dumps(out))
    """
)


def phonemes(texts: list[str]) -> dict[str, Any]:
    """What eSpeak NG would say (its phoneme mnemonics), in a process of its own: the
    library's state is global, and the engine under test may hold it."""
    pytest.importorskip("espeakng_loader")
    done = subprocess.run(
        [sys.executable, "-c", PHONEMES],
        input=json.dumps(texts), capture_output=True, text=True, timeout=60,
        env=dict(os.environ), check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_espeak_spells_the_abbreviations_it_would_say_as_words() -> None:
    said = phonemes(["USAA", "U.S.A.A", "CIBC", "C.I.B.C", "U.M.B Bank", "Mount McKinley"])
    assert said["USAA"] == "j'u:zA:"  # "yoosa": why capitals are spelt
    assert said["U.S.A.A"].count(",") >= 3  # four letters, stressed one by one
    assert "s'Ibk" in said["CIBC"] and "s'Ibk" not in said["C.I.B.C"]
    assert "|" not in said["U.M.B Bank"]  # no pause between the letters and the next word
    assert said["Mount McKinley"].startswith("m'aUnt")
