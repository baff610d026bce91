"""Moving a results message the persister can never apply to the results DLQ (a FIFO queue)."""

from __future__ import annotations

from typing import Any

from watcharr import limits
from watcharr.adapters.queues import RESULTS_MESSAGE_GROUP, sqs_client
from watcharr.domain.text import clean_line


class DeadLetterQueue:
    """Sends refused messages to ``url`` with their original body and the reason as attributes."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        self.url = url
        self.client = client if client is not None else sqs_client()

    def send(self, body: str, reason: str, message_id: str) -> None:
        """Send one refused message; raises when SQS refuses it (the message is then retried).

        The source message's id is the deduplication id: a redelivery of the same poison message
        (the persister died after sending, before the delete) is kept once.
        """
        self.client.send_message(
            QueueUrl=self.url,
            MessageBody=body,
            MessageGroupId=RESULTS_MESSAGE_GROUP,
            MessageDeduplicationId=message_id[:128],
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": clean_line(reason, limits.MAX_REASON_LENGTH)},
                "sourceMessageId": {"DataType": "String", "StringValue": message_id},
            },
        )
