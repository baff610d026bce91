"""Sending to the two queues through boto3 (moto's server in local mode, SQS on AWS)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from watcharr.models.messages import ExtractRequest, ResultMessage
from watcharr.settings import Settings, get_settings

# One group: the FIFO queue hands the persister one message at a time, in order (invariant 1).
RESULTS_MESSAGE_GROUP = "watcharr"
_SQS_BATCH = 10
_MAX_BATCH_BYTES = 240 * 1024


class QueueSendError(RuntimeError):
    """SQS refused some entries of a batch even after a retry."""


@lru_cache(maxsize=2)
def sqs_client(unsigned: bool = False) -> Any:
    """One client per process; boto3 honours AWS_ENDPOINT_URL_SQS, which local mode sets, and
    ``unsigned`` (local mode's moto only) leaves SigV4 out."""
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    if unsigned:
        config = config.merge(Config(signature_version=UNSIGNED))
    return boto3.client("sqs", config=config)


def _batches(bodies: Sequence[str]) -> Iterator[list[int]]:
    """Indices grouped into SendMessageBatch calls: at most 10 entries and 240 KiB each."""
    batch: list[int] = []
    size = 0
    for index, body in enumerate(bodies):
        length = len(body.encode())
        if batch and (len(batch) == _SQS_BATCH or size + length > _MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(index)
        size += length
    if batch:
        yield batch


class QueuePublisher:
    """Sends ExtractRequests to the standard queue and persister messages to the FIFO queue."""

    def __init__(self, extract_queue_url: str, results_queue_url: str, client: Any | None = None) -> None:
        self.extract_queue_url = extract_queue_url
        self.results_queue_url = results_queue_url
        self.client = client if client is not None else sqs_client()

    def send_results(self, messages: Sequence[ResultMessage]) -> None:
        """Send in order, each with the fixed group and its deterministic deduplication id."""
        bodies = [m.model_dump_json(exclude_none=True) for m in messages]
        for batch in _batches(bodies):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": bodies[i],
                    "MessageGroupId": RESULTS_MESSAGE_GROUP,
                    "MessageDeduplicationId": messages[i].dedup_id(),
                }
                for i in batch
            ]
            self._send_batch(self.results_queue_url, entries)

    def send_extract_requests(self, requests: Sequence[ExtractRequest]) -> None:
        bodies = [r.model_dump_json(exclude_none=True) for r in requests]
        for batch in _batches(bodies):
            self._send_batch(
                self.extract_queue_url, [{"Id": str(i), "MessageBody": bodies[i]} for i in batch]
            )

    def _send_batch(self, queue_url: str, entries: list[dict[str, str]]) -> None:
        for _attempt in range(2):
            response = self.client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in response.get("Failed", [])}
            if not failed:
                return
            # Retrying only the refused entries is safe: FIFO entries keep their dedup ids.
            entries = [e for e in entries if e["Id"] in failed]
        raise QueueSendError(f"SQS refused {len(entries)} message(s) for {queue_url}")


@lru_cache(maxsize=1)
def publisher_for(settings: Settings) -> QueuePublisher:
    """The process's publisher to the queues its settings name (one per Lambda container)."""
    return QueuePublisher(
        settings.extract_queue_url, settings.results_queue_url, sqs_client(settings.sqs_unsigned)
    )


def prepare_publisher() -> None:
    """Build this process's publisher and its boto3 client now, in Lambda's init phase.

    Creating a boto3 client costs tens of milliseconds of CPU (botocore loads the service model and
    registers its handlers); a handler module calls this at import so that its first request does
    not pay for it. Without the settings or a region (a test importing the module bare) nothing is
    built, and the first send builds it and says what is missing.
    """
    try:
        publisher_for(get_settings())
    except (BotoCoreError, ValueError):
        return
