"""eSpeak NG, the local voice engine: the ``espeakng-loader`` wheel's bundled library
through ctypes where the platform has it (x86_64), the ``espeak-ng`` program otherwise."""

from __future__ import annotations

import ctypes
import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.experts import Voice
from chalicelib.logs import log
from chalicelib.podcasts.audio import Clip
from chalicelib.podcasts.errors import (
    LINE_UNREAD,
    VOICE_MISSING,
    VOICES_MISSING,
    VOICES_UNUSABLE,
    SpeechError,
)
from chalicelib.podcasts.script import WORDS_PER_MINUTE

# eSpeak takes any length; shorter calls keep memory flat and cancellation prompt.
MAX_CHARS = 1000
PROGRAM_TIMEOUT_SECONDS = 120
# What people read (no voice engine here) and what whoever runs the service can do about it.
NO_ENGINE = VOICES_MISSING
NO_ENGINE_DETAIL = (
    "No speech engine is installed for podcasts on this machine: install eSpeak NG "
    "(pip install espeakng-loader==0.2.4 on x86_64 Linux, or apt-get install espeak-ng), "
    "or set VOICE_ENGINE=polly to use Amazon Polly."
)

# espeak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE = 1
_EE_OK = 0

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def voice_candidates(name: str) -> list[str]:
    """``en-gb+m4`` → ``["en-gb+m4", "en+m4", "en"]``: the library finds voices by file
    name, and British English's file is ``en`` (the program resolves the alias itself)."""
    language, _, variant = name.partition("+")
    suffix = f"+{variant}" if variant else ""
    candidates = [name]
    base = language.split("-")[0]
    if base != language:
        candidates.append(base + suffix)
    candidates.append(base)
    return list(dict.fromkeys(candidates))


class _Library:
    """The process's one eSpeak NG instance: its state is global, so calls are serialized."""

    def __init__(self, library_path: str, data_dir: str) -> None:
        self.lock = threading.Lock()
        self._lib = ctypes.CDLL(library_path)
        self._lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ]  # fmt: skip
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetVoiceByName.restype = ctypes.c_int
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self._lib.espeak_Synth.restype = ctypes.c_int
        # espeak_Initialize wants the folder that holds ``espeak-ng-data``.
        parent = str(Path(data_dir).parent).encode()
        rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, parent, 0)
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        self.sample_rate = rate
        self._chunks: list[bytes] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept alive as long as the library
        self._lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # 0 = go on

    def set_voice(self, name: str) -> str:
        if name == self._voice:
            return name
        for candidate in voice_candidates(name):
            if self._lib.espeak_SetVoiceByName(candidate.encode()) == _EE_OK:
                self._voice = name
                return candidate
        raise SpeechError(
            VOICE_MISSING,
            detail=f"eSpeak NG has no voice '{name}'; check the expert panel's voices "
            "(chalicelib/experts.py) against the installed eSpeak NG data.",
        )

    def speak(self, text: str, words_per_minute: int) -> bytes:
        self._lib.espeak_SetParameter(_RATE, words_per_minute, 0)
        self._chunks = []
        encoded = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        status = self._lib.espeak_Synth(
            buffer, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if status != _EE_OK:
            raise SpeechError(
                LINE_UNREAD, detail=f"espeak_Synth answered {status} (the eSpeak NG library)."
            )
        return b"".join(self._chunks)


_library: _Library | None = None
_library_lock = threading.Lock()


def _shared_library(library_path: str, data_dir: str) -> _Library:
    global _library
    with _library_lock:
        if _library is None:
            _library = _Library(library_path, data_dir)
        return _library


class EspeakLibraryEngine:
    """eSpeak NG in process, from the ``espeakng-loader`` wheel (no system package)."""

    name = "espeak-ng-library"
    max_chars = MAX_CHARS

    def __init__(
        self, library_path: str, data_dir: str, words_per_minute: int = WORDS_PER_MINUTE
    ) -> None:
        self._library = _shared_library(library_path, data_dir)
        self._words_per_minute = words_per_minute

    def synthesize(self, text: str, voice: Voice) -> Clip:
        library = self._library
        with library.lock:
            library.set_voice(voice.espeak_voice)
            pcm = library.speak(text, self._words_per_minute)
        return Clip(pcm, library.sample_rate)


Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


class EspeakProgramEngine:
    """The ``espeak-ng`` program (Debian package ``espeak-ng``): one process per line."""

    name = "espeak-ng-program"
    max_chars = MAX_CHARS

    def __init__(
        self, program: str, words_per_minute: int = WORDS_PER_MINUTE, run: Runner = subprocess.run
    ) -> None:
        self._program = program
        self._words_per_minute = words_per_minute
        self._run = run

    def synthesize(self, text: str, voice: Voice) -> Clip:
        with tempfile.TemporaryDirectory(prefix="podcast-") as folder:
            target = os.path.join(folder, "line.wav")
            command = [
                self._program, "-v", voice.espeak_voice, "-s", str(self._words_per_minute),
                "-w", target, "--stdin",
            ]  # fmt: skip
            try:
                # The text goes through stdin: never parsed as options, no argv limits.
                # chalice's test client swaps os.environ for a plain dict: pass it on.
                finished = self._run(
                    command,
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=PROGRAM_TIMEOUT_SECONDS,
                    env=dict(os.environ),
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SpeechError(
                    VOICES_MISSING,
                    detail=f"The espeak-ng program could not be run ({exc}); check that it "
                    "is installed and working.",
                ) from exc
            if finished.returncode != 0 or not os.path.exists(target):
                detail = finished.stderr.decode("utf-8", "replace").strip()[:200]
                log(
                    logging.ERROR, "espeak-ng failed", returncode=finished.returncode, stderr=detail
                )
                raise SpeechError(
                    LINE_UNREAD,
                    detail=f"espeak-ng could not read a line in the voice "
                    f"'{voice.espeak_voice}' (exit {finished.returncode}): check that "
                    "espeak-ng and its English voices are installed.",
                )
            with open(target, "rb") as handle:
                return read_wav(handle.read())


def read_wav(data: bytes) -> Clip:
    with wave.open(io.BytesIO(data)) as reader:
        if reader.getsampwidth() != 2 or reader.getnchannels() != 1:
            raise SpeechError(
                VOICES_UNUSABLE,
                detail=f"eSpeak NG wrote {reader.getnchannels()} channel(s) of "
                f"{reader.getsampwidth() * 8}-bit audio; 16-bit mono was expected.",
            )
        return Clip(reader.readframes(reader.getnframes()), reader.getframerate())


def _loader_paths() -> tuple[str, str] | None:
    """The wheel's library and data, where the wheel is installed (x86_64 only)."""
    try:
        import espeakng_loader
    except ImportError:
        return None
    library, data = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    if not (os.path.exists(library) and os.path.isdir(data)):
        return None
    return str(library), str(data)


def find_espeak(
    loader_paths: Callable[[], tuple[str, str] | None] = _loader_paths,
    which: Callable[[str], str | None] = shutil.which,
) -> EspeakLibraryEngine | EspeakProgramEngine:
    """The best eSpeak NG available here, or ``SpeechError`` saying what to install."""
    paths = loader_paths()
    if paths is not None:
        try:
            return EspeakLibraryEngine(*paths)
        except OSError as exc:
            log(logging.WARNING, "espeakng-loader library unusable", error=str(exc))
    program = which("espeak-ng")
    if program:
        return EspeakProgramEngine(program)
    raise SpeechError(NO_ENGINE, detail=NO_ENGINE_DETAIL)
