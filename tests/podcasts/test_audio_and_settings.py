"""Joining, resampling and encoding PCM; the podcast's settings."""

from __future__ import annotations

import io
from typing import Any

import pytest
from mutagen.mp3 import MP3

from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.podcasts.audio import (
    PAUSE_BETWEEN_SPEAKERS_SECONDS,
    Clip,
    Turn,
    encode_mp3,
    join,
    join_timed,
    resample,
    rms,
    silence,
)
from tests.conftest import NAMES
from tests.podcasts.support import tone


def test_a_pause_goes_between_speakers_only() -> None:
    a, b = Clip(tone(1.0), 16000), Clip(tone(0.5), 16000)
    joined = join([Turn("host", a), Turn("host", b), Turn("credit", a)])
    assert joined.sample_rate == 16000
    assert joined.seconds == pytest.approx(2.5 + PAUSE_BETWEEN_SPEAKERS_SECONDS)


def test_each_turn_starts_where_the_joined_audio_says() -> None:
    a, b = Clip(tone(1.0), 16000), Clip(tone(0.5, 22050), 22050)
    joined, starts = join_timed([Turn("host", a), Turn("host", a), Turn("credit", b)])
    pause = PAUSE_BETWEEN_SPEAKERS_SECONDS
    assert starts == [0.0, 1.0, pytest.approx(2.0 + pause, abs=0.01)]
    assert joined.seconds == pytest.approx(2.5 + pause, abs=0.01)
    assert join_timed([]) == (Clip(b"", 16000), [])


def test_clips_at_other_rates_are_resampled_to_the_common_one() -> None:
    wide, narrow = Clip(tone(1.0, 22050), 22050), Clip(tone(1.0), 16000)
    joined = join([Turn("host", wide), Turn("host", narrow), Turn("host", wide)])
    assert joined.sample_rate == 22050 and joined.seconds == pytest.approx(3.0, abs=0.01)
    down = resample(Clip(tone(2.0, 22050), 22050), 16000)
    assert down.seconds == pytest.approx(2.0, abs=0.001)
    assert rms(down.pcm) == pytest.approx(rms(tone(2.0, 22050)), rel=0.05)


def test_silence_has_no_energy_and_a_tone_has_some() -> None:
    assert rms(silence(1.0, 16000)) == 0.0 and rms(b"") == 0.0
    assert rms(tone(1.0)) > 4000


def test_the_mp3_is_mono_64_kbps_and_as_long_as_the_pcm() -> None:
    clip = Clip(tone(30.0, 22050), 22050)
    data = encode_mp3(clip)
    assert data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # an MPEG frame header first
    info: Any = MP3(io.BytesIO(data)).info
    assert info.channels == 1 and info.bitrate == 64_000 and info.sample_rate == 22050
    assert info.length == pytest.approx(30.0, abs=0.2)
    assert len(data) == pytest.approx(30 * 64_000 / 8, rel=0.03)


def settings(**env: str) -> Settings:
    return Settings.from_env({**NAMES.as_env(), **env})


def test_the_podcast_writer_follows_the_report_writer_unless_set() -> None:
    assert settings().podcast_writer == "template" and settings().voice_engine == "polly"
    bedrock = settings(REPORT_WRITER="bedrock", BEDROCK_MODEL_ID="m")
    assert bedrock.podcast_writer == "bedrock"
    mixed = settings(REPORT_WRITER="bedrock", BEDROCK_MODEL_ID="m", PODCAST_WRITER="template")
    assert mixed.podcast_writer == "template"
    assert settings(VOICE_ENGINE="espeak").voice_engine == "espeak"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"VOICE_ENGINE": "festival"}, "VOICE_ENGINE must be one of polly, espeak"),
        ({"PODCAST_WRITER": "gpt"}, "PODCAST_WRITER must be one of"),
        ({"PODCAST_WRITER": "bedrock"}, "With PODCAST_WRITER=bedrock, set BEDROCK_MODEL_ID"),
    ],
)
def test_bad_podcast_settings_are_sentences(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        settings(**env)
