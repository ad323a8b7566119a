"""Signed S3 links against the emulator the local stack runs (moto server), fetched as a
browser fetches them: a plain HTTP GET, no credentials. The podcast's download link must be
saved as a file (``Content-Disposition: attachment``), its playing link must not."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.artifacts import ArtifactBucket, attachment
from chalicelib.podcasts.archive import MP3, download_name

BUCKET = "signed-links"
KEY = "podcasts/9900001/job.mp3"


@pytest.fixture
def bucket() -> Iterator[ArtifactBucket]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3: Any = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    artifacts = ArtifactBucket(s3, BUCKET)
    artifacts.put_bytes(KEY, b"ID3 not really an mp3", MP3)
    yield artifacts
    server.stop()


def fetch(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_the_download_link_is_saved_as_a_file_with_the_banks_name(
    bucket: ArtifactBucket,
) -> None:
    name = download_name({"bank": {"name": "Granite Peak Bank, N.A."}}, "9900001")
    assert name == "granite-peak-bank-n-a-podcast.mp3"
    headers, body = fetch(bucket.presigned_get(KEY, 60, MP3, download_as=name))
    assert headers["content-disposition"] == f'attachment; filename="{name}"'
    assert headers["content-type"] == MP3 and body == b"ID3 not really an mp3"


def test_the_playing_link_carries_no_disposition(bucket: ArtifactBucket) -> None:
    headers, _ = fetch(bucket.presigned_get(KEY, 60, MP3))
    assert "content-disposition" not in headers and headers["content-type"] == MP3


@pytest.mark.parametrize(
    ("podcast", "expected"),
    [
        ({"bank": {"name": "Banco Popular de Puerto Rico"}}, "banco-popular-de-puerto-rico"),
        ({"bank": {"name": "Caisse d\u2019\u00c9pargne \u00celes"}}, "caisse-depargne-iles"),
        ({"bank": {"name": "\u4e2d\u56fd\u94f6\u884c"}}, "bank-9900001"),  # no ASCII left
        ({}, "bank-9900001"),
        ({"bank": "not an object"}, "bank-9900001"),
    ],
)
def test_the_file_name_is_plain_ascii(podcast: dict[str, Any], expected: str) -> None:
    assert download_name(podcast, "9900001") == f"{expected}-podcast.mp3"


def test_an_unsafe_file_name_cannot_break_the_header() -> None:
    assert attachment('a"b\r\nc.mp3') == 'attachment; filename="a-b-c.mp3"'
    assert attachment("") == 'attachment; filename="download"'
