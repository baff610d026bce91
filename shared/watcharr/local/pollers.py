"""The SQS event source mappings of template.yaml, played by poller threads in the runner.

On AWS the Lambda service polls each queue and invokes the function with a batch of records. Locally
each poller is a thread of the runner, beside moto: it receives up to the template's BatchSize
messages straight from moto's backend (``watcharr.local.moto_queues``: no HTTP, no botocore), hands
them to one of the function's containers (``watcharr.local.function_pool``: worker processes that
load the handler once) as Lambda's SQS event, then deletes the records that succeeded. A source runs
as many pollers and containers as its MaximumConcurrency / ReservedConcurrentExecutions allow (the
smaller of the two); a FIFO source runs one, which keeps each message group in order, as one message
group does on AWS. A ``Poller`` takes any client with boto3's three calls, so tests also run it over
boto3 and moto's server.

Where local mode departs from AWS, on purpose:

- Retry delay. After a failed invocation, or for the records a handler reports in ``batchItemFailures``
  (ReportBatchItemFailures), the failed records' visibility is set to ``retry_delay`` seconds (2 by
  default) instead of waiting out the queue's visibility timeout, which the template sets to minutes
  (six times the function's timeout). The retry count and the dead-letter redrive are unchanged.
- Visibility timeout. Messages are received with the queue's own timeout unless ``visibility_timeout``
  overrides it. Records held when the runner is killed come back after that timeout, as on AWS.
- Redrive. moto moves a message that was received maxReceiveCount times to the dead-letter queue on
  the next receive, as SQS does, so the poller has nothing to add for it.
- Function timeouts are enforced by the container pool: an invocation that outlives the function's
  Timeout fails (its container is replaced), and its records return after ``retry_delay``, as do the
  records of a container that died mid-invocation.
- One receive takes at most 10 messages (SQS's limit); Lambda can gather larger batches with a batching
  window, which the template does not use.
- The FIFO source receives up to 10 messages at once and still invokes the handler with BatchSize
  records at a time, in order. It has no batching window: a receive from moto in-process costs a
  fraction of a millisecond, so waiting for a fuller batch would only delay every result. After a
  failure the failed record and every one behind it go back to the queue, and the poller then
  receives one message at a time until a record succeeds (RELIABILITY.md, "FIFO order").
- Standard sources delete the records that succeeded in batches: up to 10 held for at most
  ``DELETE_BATCH_SECONDS``. A runner that dies before they are deleted lets them come back after their
  visibility timeout; the handlers are idempotent (deterministic dedup ids), so that only costs time.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from watcharr.local.container import LOGGER_NAME, Handler, activity, terminal_safe
from watcharr.local.context import LocalContext
from watcharr.local.function_pool import FunctionPool, InvocationError
from watcharr.local.state import REGION
from watcharr.local.template import EventSourceSpec, QueueSpec

log = logging.getLogger(LOGGER_NAME)

# Concurrency of a standard-queue source the template leaves unbounded (Lambda would scale far higher).
UNBOUNDED_SOURCE_CONCURRENCY = 5
SQS_MAX_RECEIVE = 10
# Long polling this short lets a poller notice a stop request within about a second.
RECEIVE_WAIT_SECONDS = 1
# Records that succeeded on a standard queue wait at most this long to be deleted with others.
DELETE_BATCH_SECONDS = 1.0
# The system attributes Lambda copies into a record's `attributes`.
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


@dataclass(frozen=True)
class PollerConfig:
    """How one poller reads its queue and calls its function, as the event source mapping says."""

    function_logical_id: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    retry_delay: int
    timeout_seconds: int
    visibility_timeout: int | None = None
    region: str = REGION
    fifo: bool = False


def source_concurrency(source: EventSourceSpec, queue: QueueSpec) -> int:
    """How many invocations of this source may run at once locally.

    A FIFO source gets one poller: the stack sends every result in one message group, which Lambda
    processes one batch at a time, in order.
    """
    if queue.fifo:
        return 1
    bounds = [c for c in (source.maximum_concurrency, source.reserved_concurrency) if c is not None]
    return max(1, min(bounds)) if bounds else UNBOUNDED_SOURCE_CONCURRENCY


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One message from ReceiveMessage in the shape of a record of Lambda's SQS event."""
    attributes = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {name: attributes[name] for name in RECORD_ATTRIBUTES if name in attributes},
        "messageAttributes": {
            name: _record_message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _record_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    # Lambda spells the keys in camel case and gives binary values as base64 text.
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    converted: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [b64(v) for v in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = b64(value["BinaryValue"])
    return converted


def failed_message_ids(answer: Any, message_ids: list[str], report_batch_item_failures: bool) -> set[str]:
    """The records to return to the queue after an invocation that did not raise.

    Without ReportBatchItemFailures a returned answer means the whole batch succeeded. With it, Lambda
    treats an answer it cannot read, or one naming a record that is not in the batch, as a failure of
    the whole batch.
    """
    if not report_batch_item_failures or answer is None:
        return set()
    if not isinstance(answer, dict):
        return set(message_ids)
    failures = answer.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return set(message_ids)
    reported = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if not reported <= set(message_ids):
        return set(message_ids)
    return {str(r) for r in reported}


def receive_batch(
    sqs: Any, config: PollerConfig, wait_seconds: int = RECEIVE_WAIT_SECONDS, most: int | None = None
) -> list[dict[str, Any]]:
    """Up to ``most`` messages (BatchSize by default, at most 10), with every attribute Lambda puts in
    its records."""
    receive: dict[str, Any] = {
        "QueueUrl": config.queue_url,
        "MaxNumberOfMessages": min(most or config.batch_size, SQS_MAX_RECEIVE),
        "WaitTimeSeconds": wait_seconds,
        "MessageSystemAttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    if config.visibility_timeout is not None:
        receive["VisibilityTimeout"] = config.visibility_timeout
    messages: list[dict[str, Any]] = sqs.receive_message(**receive).get("Messages", [])
    return messages


def invoke(handler: Handler, config: PollerConfig, messages: list[dict[str, Any]]) -> set[str]:
    """Invoke the handler with these messages as one SQS event; the ids of the records that failed."""
    event = {"Records": [sqs_record(m, config.queue_arn, config.region) for m in messages]}
    context = LocalContext(function_name=config.function_logical_id, timeout_ms=config.timeout_seconds * 1000)
    ids = [m["MessageId"] for m in messages]
    try:
        return failed_message_ids(handler(event, context), ids, config.report_batch_item_failures)
    except InvocationError as exc:
        # The container logged the traceback (or died, or ran out of time): one line says what follows.
        log.warning(
            "%s failed on a batch of %d (%s); it returns to the queue",
            config.function_logical_id,
            len(ids),
            exc,
        )
        return set(ids)
    except Exception:
        log.exception(
            "%s failed on a batch of %d; it returns to the queue", config.function_logical_id, len(ids)
        )
        return set(ids)


def in_order_until_failure(
    handler: Handler, config: PollerConfig, messages: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Hand the messages to the handler BatchSize at a time, in order, and stop at the first failure.

    Returns (the messages that succeeded, the failed one and every one behind it): what is returned to
    the queue keeps its place in the message group.
    """
    size = max(1, config.batch_size)
    for start in range(0, len(messages), size):
        chunk = messages[start : start + size]
        failed = invoke(handler, config, chunk)
        if failed:
            first = next(i for i, m in enumerate(chunk) if m["MessageId"] in failed)
            return messages[: start + first], messages[start + first :]
    return messages, []


class Poller:
    """One poller's loop over one queue: receive, invoke, settle.

    It remembers what the last batch told it: on a FIFO source whether a failure asks for one message
    at a time; on a standard source the deletes it still owes.
    """

    def __init__(self, sqs: Any, handler: Handler, config: PollerConfig) -> None:
        self.sqs = sqs
        self.handler = handler
        self.config = config
        self.one_at_a_time = False
        self._owed: list[dict[str, Any]] = []
        self._owed_since = 0.0

    def poll_once(self, wait_seconds: int = RECEIVE_WAIT_SECONDS) -> int:
        """Receive one batch and hand it to the handler; returns the number of messages received."""
        self.flush_deletes(due_only=True)
        if self.config.fifo:
            return self._poll_fifo(wait_seconds)
        messages = receive_batch(self.sqs, self.config, wait_seconds)
        if messages:
            failed = invoke(self.handler, self.config, messages)
            done = [m for m in messages if m["MessageId"] not in failed]
            self._settle(done, [m for m in messages if m["MessageId"] in failed], defer=True)
        return len(messages)

    def _poll_fifo(self, wait_seconds: int) -> int:
        most = self.config.batch_size if self.one_at_a_time else SQS_MAX_RECEIVE
        messages = receive_batch(self.sqs, self.config, wait_seconds, most)
        if messages:
            done, retry = in_order_until_failure(self.handler, self.config, messages)
            # A record returned unprocessed has used up one receive; one at a time until the failed
            # record is through spares the records behind it from more of that.
            self.one_at_a_time = bool(retry) or (self.one_at_a_time and not done)
            self._settle(done, retry, defer=False)
        return len(messages)

    def _settle(self, done: list[dict[str, Any]], retry: list[dict[str, Any]], *, defer: bool) -> None:
        for message in done:
            report_finished_item(message["Body"])
        if done:
            if not self._owed:
                self._owed_since = time.monotonic()
            self._owed += done
            self.flush_deletes(due_only=defer)
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.config.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self.config.retry_delay,
                    }
                    for i, m in enumerate(retry)
                ],
            )

    def flush_deletes(self, *, due_only: bool = False) -> None:
        """Delete the records that succeeded, 10 per call; with ``due_only``, only once 10 are held or
        the oldest has waited DELETE_BATCH_SECONDS."""
        due = (
            len(self._owed) >= SQS_MAX_RECEIVE or time.monotonic() - self._owed_since >= DELETE_BATCH_SECONDS
        )
        if not self._owed or (due_only and not due):
            return
        while self._owed:
            batch, self._owed = self._owed[:SQS_MAX_RECEIVE], self._owed[SQS_MAX_RECEIVE:]
            self.sqs.delete_message_batch(
                QueueUrl=self.config.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )


def report_finished_item(body: str) -> None:
    """One activity line for a results message that finished an item (the persister just applied it)."""
    try:
        message = json.loads(body)
    except ValueError:
        return
    if not isinstance(message, dict):
        return
    if message.get("type") == "EpisodeExtracted" and message.get("origin", "add") == "add":
        media = message.get("media") or {}
        what = media.get("title") or media.get("url") or "an episode"
        activity.info("added: %s", terminal_safe(str(what)))
    elif message.get("type") == "ItemFailed":
        activity.info("failed: %s", terminal_safe(str(message.get("reason") or "no reason given")))


def run_poller(poller: Poller, stop: threading.Event) -> None:
    """A poller thread's loop: poll and invoke until ``stop`` is set, then delete what it finished.

    A stop request ends an idle poller within one receive's wait (RECEIVE_WAIT_SECONDS); a poller
    that holds a batch finishes it first (the runner stops the function's containers if that takes
    longer than its grace period, and the records not done go back to the queue).
    """
    while not stop.is_set():
        try:
            poller.poll_once()
        except Exception:
            # A settle call refused: the records come back after their visibility timeout.
            log.exception("%s poller: SQS call failed", poller.config.function_logical_id)
            stop.wait(1)
    try:
        poller.flush_deletes()
    except Exception:
        # Not deleted: the records come back after their visibility timeout and are applied once.
        log.warning("%s poller: finished records left to come back", poller.config.function_logical_id)


def pool_handler(pool: FunctionPool) -> Handler:
    """A handler that runs each event in one of the pool's containers (the function's processes)."""

    def handler(event: dict[str, Any], _context: Any) -> Any:
        return pool.invoke(event)

    return handler
