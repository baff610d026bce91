"""The template's queues in moto, and the poller processes that play its SQS event sources."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from watcharr.local.container import LOGGER_NAME
from watcharr.local.pollers import PollerConfig, run_poller
from watcharr.local.template import StackSpec

log = logging.getLogger(LOGGER_NAME)


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


class PollerWorker:
    """One poller process; ``start`` again after it died starts a fresh process."""

    def __init__(self, ctx: Any, config: PollerConfig, name: str) -> None:
        self._ctx = ctx
        self.config = config
        self.name = name
        self._process: Any = None
        self._ready: Any = None
        self._started_at = 0.0

    def start(self) -> None:
        """Start a fresh worker process."""
        self._started_at = time.monotonic()
        self._ready = self._ctx.Event()
        self._process = self._ctx.Process(
            target=run_poller, args=(self.config, self._ready), name=self.name, daemon=True
        )
        self._process.start()

    def await_ready(self, timeout: float) -> bool:
        """Whether the worker loaded its handler within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.wait(0.1):
                return True
            if not self._process.is_alive():
                return False
        return False

    def is_alive(self) -> bool:
        """Whether the worker process runs."""
        return bool(self._process.is_alive())

    def running_for(self) -> float:
        """Seconds since the last start."""
        return time.monotonic() - self._started_at

    @property
    def exitcode(self) -> int | None:
        """The exit code of a worker that ended."""
        return self._process.exitcode  # type: ignore[no-any-return]

    def request_stop(self) -> None:
        """SIGTERM: an idle worker exits at once, a busy one after its batch."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()

    def stop(self, grace: float) -> None:
        """Wait for the worker to finish its batch; past ``grace`` its records return after their timeout."""
        self._process.join(grace)
        if self._process.is_alive():
            log.warning("%s still busy after the grace period; killing it", self.name)
            self._process.kill()
            self._process.join(5)
