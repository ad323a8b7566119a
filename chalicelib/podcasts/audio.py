"""PCM arithmetic and MP3 encoding: 16-bit signed little-endian mono throughout.

Pure Python over ``array`` (no numpy in the Lambda package); the heavy step, encoding,
is LAME's. Speech is quiet most of the time, so loudness checks sample with a stride.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

BIT_RATE_KBPS = 64
PAUSE_BETWEEN_SPEAKERS_SECONDS = 0.45
SILENCE_RMS = 50.0  # of 32767: well under the quietest speech, well over rounding noise


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM at ``sample_rate``."""

    pcm: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


def _samples(pcm: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":  # pragma: no cover - PCM is little-endian on the wire
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":  # pragma: no cover
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def silence(seconds: float, sample_rate: int) -> bytes:
    return bytes(2 * round(seconds * sample_rate))


def resample(clip: Clip, sample_rate: int) -> Clip:
    """Linear interpolation to ``sample_rate``: plenty for speech, and rarely needed (only
    when one podcast mixes engines)."""
    if clip.sample_rate == sample_rate or not clip.pcm:
        return Clip(clip.pcm, sample_rate)
    source = _samples(clip.pcm)
    count = max(1, round(len(source) * sample_rate / clip.sample_rate))
    step = (len(source) - 1) / max(1, count - 1)
    out = array("h", bytes(2 * count))
    last = len(source) - 1
    for index in range(count):
        position = index * step
        left = int(position)
        right = min(left + 1, last)
        fraction = position - left
        out[index] = round(source[left] + (source[right] - source[left]) * fraction)
    return Clip(_to_bytes(out), sample_rate)


def rms(pcm: bytes, stride: int = 4) -> float:
    """Root mean square of the samples (every ``stride``-th), 0 for no audio."""
    samples = _samples(pcm)[::stride]
    if not samples:
        return 0.0
    return math.sqrt(sum(value * value for value in samples) / len(samples))


@dataclass(frozen=True)
class Turn:
    """One script line's audio, tagged with its speaker so that pauses go between speakers."""

    speaker: str
    clip: Clip


def join(turns: Sequence[Turn], pause_seconds: float = PAUSE_BETWEEN_SPEAKERS_SECONDS) -> Clip:
    """All turns at one sample rate (the most common one), a pause where the speaker changes."""
    return join_timed(turns, pause_seconds)[0]


def join_timed(
    turns: Sequence[Turn], pause_seconds: float = PAUSE_BETWEEN_SPEAKERS_SECONDS
) -> tuple[Clip, list[float]]:
    """:func:`join`, and the second at which each turn starts in the joined clip (for a
    transcript that follows the audio)."""
    if not turns:
        return Clip(b"", 16000), []
    rates = [turn.clip.sample_rate for turn in turns]
    rate = max(set(rates), key=rates.count)
    parts: list[bytes] = []
    starts: list[float] = []
    length = 0  # bytes so far: 16-bit mono, two bytes a sample
    previous: str | None = None
    for turn in turns:
        if previous is not None and turn.speaker != previous:
            parts.append(silence(pause_seconds, rate))
            length += len(parts[-1])
        starts.append(round(length / 2 / rate, 2))
        parts.append(resample(turn.clip, rate).pcm)
        length += len(parts[-1])
        previous = turn.speaker
    return Clip(b"".join(parts), rate), starts


def encode_mp3(clip: Clip, bit_rate_kbps: int = BIT_RATE_KBPS) -> bytes:
    """One mono MP3 (constant bit rate); LAME picks the MPEG version for the sample rate."""
    import lameenc  # a compiled wheel: imported where used, so that the API never loads it

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bit_rate_kbps)
    encoder.set_in_sample_rate(clip.sample_rate)
    encoder.set_channels(1)
    # 5 = LAME's "good" preset: ample for 64 kbps speech, at half the time of 2.
    encoder.set_quality(5)
    return bytes(encoder.encode(clip.pcm)) + bytes(encoder.flush())
