"""Podcasts in S3: ``podcasts/{idrssd}/{jobId}.mp3`` and ``.json`` beside it, behind a
``latest.json`` pointer written only once both are whole (see ``LatestArchive``)."""

from __future__ import annotations

from typing import Any

from chalicelib.artifacts import LatestArchive
from chalicelib.podcasts.errors import NoPodcast

AUDIO_URL_SECONDS = 600
MP3 = "audio/mpeg"


def podcast_url(idrssd: str) -> str:
    return f"/api/research/{idrssd}/podcast"


def audio_url(idrssd: str) -> str:
    return f"/api/research/{idrssd}/podcast/audio"


class PodcastArchive(LatestArchive):
    prefix = "podcasts"

    def audio_key(self, idrssd: str, job_id: str) -> str:
        return f"{self.prefix}/{idrssd}/{job_id}.mp3"

    def save(self, podcast: dict[str, Any], mp3: bytes) -> str:
        """Store the audio, then the document, then move ``latest``; returns the audio key."""
        idrssd, job_id = podcast["idrssd"], podcast["jobId"]
        key = self.audio_key(idrssd, job_id)
        self._put_bytes(key, mp3, MP3)
        self._publish(idrssd, job_id, {**podcast, "audioKey": key}, {"audioKey": key})
        return key

    def latest(self, idrssd: str) -> dict[str, Any]:
        """The latest finished podcast as the API shows it; ``NoPodcast`` if none."""
        podcast = self._latest_document(idrssd)
        if podcast is None:
            raise NoPodcast(idrssd)
        shown = {name: value for name, value in podcast.items() if name != "audioKey"}
        # audioSrc lets a page play the MP3 directly: an <audio> element cannot send the
        # API key or token that audioUrl may require. Signing is local: no AWS call.
        audio_src = self._presigned_get(str(podcast["audioKey"]), AUDIO_URL_SECONDS, MP3)
        return {**shown, "audioUrl": audio_url(idrssd), "audioSrc": audio_src}

    def presigned_audio_url(self, idrssd: str, expires_seconds: int = AUDIO_URL_SECONDS) -> str:
        """A short-lived S3 link to the latest podcast's MP3 (one GetObject, then signing)."""
        pointer = self._latest_pointer(idrssd)
        if pointer is None or not pointer.get("audioKey"):
            raise NoPodcast(idrssd)
        return self._presigned_get(str(pointer["audioKey"]), expires_seconds, MP3)
