"""Artifacts in S3: immutable objects, one set per job, under ``{kind}/{idrssd}/{jobId}.…``.

Nothing here decides what is "latest": that is the job's publication, recorded in the
Jobs table in the same transaction as its completion (``chalicelib/jobs/store.py``). An
object of a run that never completed is referenced by nothing; the run deletes it when it
learns it lost its job, and the bucket's lifecycle rule removes whatever is left.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.policy import error_code

MISSING = {"NoSuchKey", "404", "NotFound"}


class ArtifactBucket:
    """Puts, gets, deletes and signs objects of the artifacts bucket."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put_json(self, key: str, document: dict[str, Any]) -> int:
        """Store a JSON document; returns its size in bytes."""
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        self.put_bytes(key, body, "application/json")
        return len(body)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def get_json(self, key: str) -> dict[str, Any] | None:
        """The document, or ``None`` when there is no such object (one ``GetObject``)."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in MISSING:
                return None
            raise
        document: dict[str, Any] = json.loads(response["Body"].read())
        return document

    def delete(self, keys: Iterable[str]) -> None:
        """Best effort: an object left behind is harmless and the lifecycle rule removes it."""
        for key in keys:
            with contextlib.suppress(Exception):
                self._s3.delete_object(Bucket=self._bucket, Key=key)

    def presigned_get(
        self, key: str, expires_seconds: int, content_type: str, download_as: str | None = None
    ) -> str:
        """A short-lived link to the object. Signing is local: no AWS call.

        With ``download_as`` S3 answers ``Content-Disposition: attachment`` with that file
        name (``ResponseContentDisposition``, part of the signature), so that a browser
        saves the object instead of playing it in a tab."""
        params = {"Bucket": self._bucket, "Key": key, "ResponseContentType": content_type}
        if download_as is not None:
            params["ResponseContentDisposition"] = attachment(download_as)
        url: str = self._s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_seconds
        )
        return url


def attachment(file_name: str) -> str:
    """``attachment; filename="…"`` for a name of letters, digits, dots and hyphens only
    (anything else becomes a hyphen): no quoting or encoding rules to get wrong."""
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", file_name).strip("-") or "download"
    return f'attachment; filename="{safe}"'
