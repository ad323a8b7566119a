"""Artifacts in S3: one set of objects per job, behind a per-bank ``latest.json`` pointer.

The pointer is written last, so it only ever names an artifact that is whole; a failed or
cancelled run leaves it (and so the previous artifact) untouched. Reports and podcasts
share this pattern; each names its own prefix.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

MISSING = {"NoSuchKey", "404", "NotFound"}


class LatestArchive:
    """JSON documents (and their binary companions) under ``{prefix}/{idrssd}/``."""

    prefix = "artifacts"

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def document_key(self, idrssd: str, job_id: str) -> str:
        return f"{self.prefix}/{idrssd}/{job_id}.json"

    def latest_key(self, idrssd: str) -> str:
        return f"{self.prefix}/{idrssd}/latest.json"

    def exists(self, idrssd: str) -> bool:
        """Whether the bank has a finished artifact (one ``HeadObject``)."""
        try:
            self._s3.head_object(Bucket=self._bucket, Key=self.latest_key(idrssd))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise
        return True

    def _publish(
        self,
        idrssd: str,
        job_id: str,
        document: dict[str, Any],
        pointer_extras: dict[str, Any] | None = None,
    ) -> str:
        """Store the document, then point ``latest`` at it; returns the document's key.

        Companion objects (audio) must be stored before this is called; ``pointer_extras``
        lets a reader find them from the pointer alone.
        """
        key = self.document_key(idrssd, job_id)
        self._put_json(key, document)
        pointer = {"key": key, "jobId": job_id, **(pointer_extras or {})}
        self._put_json(self.latest_key(idrssd), pointer)
        return key

    def _latest_pointer(self, idrssd: str) -> dict[str, Any] | None:
        return self._get_json(self.latest_key(idrssd))

    def _latest_document(self, idrssd: str) -> dict[str, Any] | None:
        pointer = self._latest_pointer(idrssd)
        return None if pointer is None else self._get_json(str(pointer["key"]))

    def _put_json(self, key: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        self._put_bytes(key, body, "application/json")

    def _put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def _get_json(self, key: str) -> dict[str, Any] | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        document: dict[str, Any] = json.loads(response["Body"].read())
        return document

    def _presigned_get(self, key: str, expires_seconds: int, content_type: str) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=expires_seconds,
        )
        return url
