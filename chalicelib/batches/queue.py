"""The queue of batch items (SQS): each message one bank of one batch."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.batches.model import ItemMessage

SEND_AT_ONCE = 10  # SQS's most per SendMessageBatch


class QueueUnavailable(Exception):
    """Some messages could not be sent (what SQS refused, after its own retries)."""


class ItemQueue:
    def __init__(self, client_factory: Callable[[], Any], queue_name: str) -> None:
        self._client_factory = client_factory
        self._name = queue_name
        self._url: str | None = None

    def send(self, messages: Sequence[ItemMessage]) -> None:
        client = self._client_factory()
        url = self._queue_url(client)
        for start in range(0, len(messages), SEND_AT_ONCE):
            chunk = messages[start : start + SEND_AT_ONCE]
            entries = [
                {"Id": str(n), "MessageBody": json.dumps(m.to_body(), separators=(",", ":"))}
                for n, m in enumerate(chunk)
            ]
            failed = client.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
            if failed:
                retry = [entries[int(f["Id"])] for f in failed if not f.get("SenderFault")]
                if len(retry) < len(failed) or client.send_message_batch(
                    QueueUrl=url, Entries=retry
                ).get("Failed"):
                    raise QueueUnavailable(f"{len(failed)} of {len(chunk)} messages not sent")

    def _queue_url(self, client: Any) -> str:
        if self._url is None:
            self._url = str(client.get_queue_url(QueueName=self._name)["QueueUrl"])
        return self._url
