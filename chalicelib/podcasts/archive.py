"""Podcasts in S3: ``podcasts/{idrssd}/{jobId}.mp3`` and ``.json`` beside it, immutable per
job; which one is served is the job's publication (docs/ARCHITECTURE.md, "Owned
publication"). The MP3 and the script are stored before the completion publishes them."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from chalicelib.artifacts import ArtifactBucket
from chalicelib.jobs.model import Job, JobType, Publication, PublicationSource
from chalicelib.podcasts.errors import NoPodcast

PREFIX = "podcasts"
AUDIO_URL_SECONDS = 300
MP3 = "audio/mpeg"


def podcast_url(idrssd: str, job_id: str | None = None) -> str:
    base = f"/api/research/{idrssd}/podcast"
    return base if job_id is None else f"/api/research/{idrssd}/podcasts/{job_id}"


def audio_url(idrssd: str) -> str:
    return f"/api/research/{idrssd}/podcast/audio"


def document_key(idrssd: str, job_id: str) -> str:
    return f"{PREFIX}/{idrssd}/{job_id}.json"


def audio_key(idrssd: str, job_id: str) -> str:
    return f"{PREFIX}/{idrssd}/{job_id}.mp3"


class PodcastArchive:
    def __init__(self, bucket: ArtifactBucket, publications: PublicationSource) -> None:
        self._bucket = bucket
        self._publications = publications

    def store(self, job: Job, podcast: dict[str, Any], mp3: bytes) -> Publication:
        """Store the audio, then the script beside it; returns their publication."""
        keys = {
            "audio": audio_key(job.idrssd, job.job_id),
            "document": document_key(job.idrssd, job.job_id),
        }
        self._bucket.put_bytes(keys["audio"], mp3, MP3)
        try:
            self._bucket.put_json(keys["document"], podcast)
        except Exception:
            self._bucket.delete([keys["audio"]])  # nothing will ever reference it
            raise
        summary = {
            "generatedAt": podcast.get("generatedAt"),
            "asOf": podcast.get("asOf"),
            "experts": [expert["id"] for expert in podcast.get("experts", [])],
            "durationSeconds": podcast.get("durationSeconds"),
            "engine": podcast.get("engine"),
            "writer": podcast.get("writer"),
            "bytes": len(mp3),
            "url": podcast_url(job.idrssd, job.job_id),
        }
        return Publication(job.idrssd, JobType.PODCAST, job.job_id, job.created_at, keys, summary)

    def latest(self, idrssd: str) -> dict[str, Any]:
        """The latest published podcast as the API shows it; ``NoPodcast`` if none."""
        return self._shown(idrssd, self._publications.latest(idrssd, JobType.PODCAST))

    def version(self, idrssd: str, job_id: str) -> dict[str, Any]:
        publication = self._publications.version(idrssd, JobType.PODCAST, job_id)
        return self._shown(idrssd, publication, job_id)

    def history(self, idrssd: str) -> list[dict[str, Any]]:
        return [p.to_api() for p in self._publications.history(idrssd, JobType.PODCAST)]

    def presigned_audio_url(self, idrssd: str, expires_seconds: int = AUDIO_URL_SECONDS) -> str:
        """A short-lived S3 link to the latest podcast's MP3 (one ``GetItem``, then signing)."""
        publication = self._publications.latest(idrssd, JobType.PODCAST)
        if publication is None:
            raise NoPodcast(idrssd)
        return self._bucket.presigned_get(publication.keys["audio"], expires_seconds, MP3)

    def _shown(
        self, idrssd: str, publication: Publication | None, job_id: str | None = None
    ) -> dict[str, Any]:
        podcast = (
            None if publication is None else self._bucket.get_json(publication.keys["document"])
        )
        if podcast is None or publication is None:
            raise NoPodcast(idrssd, job_id)
        # audioSrc lets a page play the MP3 directly: an <audio> element cannot send the
        # API key or token that audioUrl may require. downloadSrc is the same object signed
        # to be saved as a file (a plain link to audioSrc would play it in a tab).
        key = publication.keys["audio"]
        return {
            **podcast,
            "audioUrl": audio_url(idrssd),
            "audioSrc": self._bucket.presigned_get(key, AUDIO_URL_SECONDS, MP3),
            "downloadSrc": self._bucket.presigned_get(
                key, AUDIO_URL_SECONDS, MP3, download_as=download_name(podcast, idrssd)
            ),
        }


def download_name(podcast: dict[str, Any], idrssd: str) -> str:
    """``granite-peak-bank-podcast.mp3``: the bank's name in lower-case ASCII words."""
    bank = podcast.get("bank")
    name = str(bank.get("name") or "") if isinstance(bank, dict) else ""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return f"{slug or f'bank-{idrssd}'}-podcast.mp3"
