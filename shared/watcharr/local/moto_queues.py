"""The pollers' side of SQS, answered by moto's backend in the runner's own process.

On AWS the event source mappings are the Lambda service's own pollers: nothing of the function's code
runs in them. Locally they run in the runner, beside moto, so they call moto's SQS backend directly
instead of going through botocore and moto's HTTP server. That is the same queue (the same messages,
receive counts, visibility timeouts, FIFO groups and redrive to the dead-letter queue), without the
request signing, XML/JSON rendering and HTTP parsing that cost about 6 ms of CPU per call on both sides.

``MotoQueues`` answers the three calls a ``Poller`` makes with the shapes boto3 gives, so the same
``Poller`` runs over a boto3 client (tests, other processes) or over moto in-process (the runner).
The functions themselves still send through boto3 and moto's server, as they would to SQS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watcharr.local.state import ACCOUNT_ID, REGION

# The system attributes moto's ReceiveMessage gives for "All", in the names boto3 uses.
_SYSTEM_ATTRIBUTES = (
    ("SenderId", "sender_id"),
    ("SentTimestamp", "sent_timestamp"),
    ("ApproximateReceiveCount", "approximate_receive_count"),
    ("ApproximateFirstReceiveTimestamp", "approximate_first_receive_timestamp"),
    ("MessageDeduplicationId", "deduplication_id"),
    ("MessageGroupId", "group_id"),
    ("SequenceNumber", "sequence_number"),
)


def queue_name(queue_url: str) -> str:
    """The queue's name: the last part of its URL, as moto's server reads it."""
    return queue_url.rstrip("/").rpartition("/")[2]


class MotoQueues:
    """ReceiveMessage, DeleteMessageBatch and ChangeMessageVisibilityBatch on moto's SQS backend in
    this process, taking and answering what boto3's client does (its parameter names too)."""

    def __init__(self, backend: Any | None = None) -> None:
        if backend is None:
            from moto.sqs.models import sqs_backends

            backend = sqs_backends[ACCOUNT_ID][REGION]
        self.backend = backend

    def receive_message(
        self,
        *,
        QueueUrl: str,
        MaxNumberOfMessages: int = 1,
        WaitTimeSeconds: int | None = None,
        VisibilityTimeout: int | None = None,
        MessageSystemAttributeNames: Sequence[str] = (),
        MessageAttributeNames: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Up to MaxNumberOfMessages messages, waiting up to WaitTimeSeconds for the first."""
        name = queue_name(QueueUrl)
        queue = self.backend.get_queue(name)
        if not 1 <= MaxNumberOfMessages <= 10:
            raise ValueError(f"MaxNumberOfMessages must be between 1 and 10, not {MaxNumberOfMessages}")
        wait = queue.receive_message_wait_time_seconds if WaitTimeSeconds is None else WaitTimeSeconds
        visibility = queue.visibility_timeout if VisibilityTimeout is None else VisibilityTimeout
        received = self.backend.receive_message(
            name, MaxNumberOfMessages, int(wait), int(visibility), list(MessageAttributeNames)
        )
        wanted = set(MessageSystemAttributeNames)
        messages = [_as_boto3(message, wanted) for message in received]
        return {"Messages": messages} if messages else {}

    def delete_message_batch(
        self,
        *,
        QueueUrl: str,
        Entries: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Delete each entry's message; the ones whose receipt handle is no longer valid are Failed."""
        success, failed = self.backend.delete_message_batch(queue_name(QueueUrl), [dict(e) for e in Entries])
        return {"Successful": [{"Id": entry_id} for entry_id in success], "Failed": failed}

    def change_message_visibility_batch(
        self,
        *,
        QueueUrl: str,
        Entries: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Set each entry's message visible after VisibilityTimeout seconds."""
        success, failed = self.backend.change_message_visibility_batch(
            queue_name(QueueUrl), [dict(e) for e in Entries]
        )
        return {"Successful": [{"Id": entry_id} for entry_id in success], "Failed": failed}


def _as_boto3(message: Any, wanted: set[str]) -> dict[str, Any]:
    """One of moto's messages as boto3 parses it from ReceiveMessage."""
    shaped: dict[str, Any] = {
        "MessageId": message.id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.body_md5,
        "Body": message.body,
    }
    if message.message_attributes:
        shaped["MessageAttributes"] = message.message_attributes
        shaped["MD5OfMessageAttributes"] = message.attribute_md5
    if wanted:
        every = "All" in wanted
        attributes = {}
        for name, field in _SYSTEM_ATTRIBUTES:
            value = getattr(message, field)
            if (every or name in wanted) and value is not None:
                attributes[name] = str(value)
        trace = (message.system_attributes or {}).get("AWSTraceHeader")
        if (every or "AWSTraceHeader" in wanted) and trace:
            attributes["AWSTraceHeader"] = trace.get("StringValue")
        shaped["Attributes"] = attributes
    return shaped
