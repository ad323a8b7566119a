"""Reports in S3: one object per job, and a ``latest`` pointer moved only once it is whole.

A failed or cancelled run leaves the pointer — and so the previous report — untouched.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.reports.errors import NoReport

MISSING = {"NoSuchKey", "404", "NotFound"}


def report_key(idrssd: str, job_id: str) -> str:
    return f"reports/{idrssd}/{job_id}.json"


def latest_key(idrssd: str) -> str:
    return f"reports/{idrssd}/latest.json"


class ReportArchive:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def save(self, report: dict[str, Any]) -> str:
        """Store the report, then point ``latest`` at it; returns the report's key."""
        key = report_key(report["idrssd"], report["jobId"])
        self._put(key, report)
        self._put(latest_key(report["idrssd"]), {"key": key, "jobId": report["jobId"]})
        return key

    def latest(self, idrssd: str) -> dict[str, Any]:
        """The bank's latest finished report; ``NoReport`` if it has none."""
        pointer = self._get(latest_key(idrssd))
        report = None if pointer is None else self._get(str(pointer["key"]))
        if report is None:
            raise NoReport(idrssd)
        return report

    def exists(self, idrssd: str) -> bool:
        """Whether the bank has a finished report (one ``HeadObject``)."""
        try:
            self._s3.head_object(Bucket=self._bucket, Key=latest_key(idrssd))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise
        return True

    def _put(self, key: str, document: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(document, separators=(",", ":")).encode("utf-8"),
            ContentType="application/json",
        )

    def _get(self, key: str) -> dict[str, Any] | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        document: dict[str, Any] = json.loads(response["Body"].read())
        return document
