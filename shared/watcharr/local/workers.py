"""The template's queues in moto, and the poller threads that play its SQS event sources."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from watcharr.local.pollers import Poller, run_poller
from watcharr.local.template import StackSpec


@dataclass(frozen=True)
class QueueEndpoint:
    """Where a queue of the template lives in moto."""

    url: str
    arn: str


def create_queues(sqs: Any, spec: StackSpec) -> dict[str, QueueEndpoint]:
    """Create the template's queues with the attributes it declares; their endpoints by logical id."""
    queues: dict[str, QueueEndpoint] = {}
    # The template reader lists dead-letter queues first, so each ARN is known when it is named.
    for queue in spec.queues:
        dlq_arn = queues[queue.dlq_logical_id].arn if queue.dlq_logical_id else None
        url = sqs.create_queue(QueueName=queue.name, Attributes=queue.sqs_attributes(dlq_arn))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        queues[queue.logical_id] = QueueEndpoint(url, attributes["QueueArn"])
    return queues


class PollerThread:
    """One poller of an event source: a thread of the runner that receives from moto in-process and
    invokes the function in its pool's containers."""

    def __init__(self, poller: Poller, stop: threading.Event, name: str) -> None:
        self.poller = poller
        self.name = name
        self._stop = stop
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling in a fresh thread."""
        self._thread = threading.Thread(
            target=run_poller, args=(self.poller, self._stop), name=self.name, daemon=True
        )
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the poller to finish its batch and settle it."""
        if self._thread is not None:
            self._thread.join(timeout)
