"""PersisterFunction: the only writer of the database, fed one message at a time by the FIFO queue.

A message that can never be applied is kept in the database's dead_letters table at once and counts
as handled, so SQS deletes it and the messages behind it in the one group go on (logic/poison.py);
only a transient failure fails the record, to be delivered again (and redriven to the results DLQ
after maxReceiveCount).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.poison import PoisonMessage, apply_or_refuse, keep_dead_letter, read_result
from watcharr.models.messages import EpisodeExtracted, ItemFailed
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings

# On a FIFO queue the processor stops at the first failure and returns the rest unprocessed, so order
# within the single message group survives a failure.
processor = SqsFifoPartialProcessor()


@lru_cache(maxsize=1)
def write_store() -> WriteStore:
    """The container's one connection, opened (and migrated) on first use."""
    return WriteStore(connect_writer(get_settings().database_path))


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    try:
        message = read_result(record.body)
        job_id = getattr(message, "job_id", None)
        if job_id:
            logger.set_correlation_id(job_id)
        outcome = apply_or_refuse(write_store(), message)
    except PoisonMessage as exc:
        # Raises when the row cannot be written: the message then stays queued, to be retried.
        kept = keep_dead_letter(write_store(), record.message_id, record.body, str(exc))
        if kept:
            metrics.add_metric(name="PoisonMessages", unit=MetricUnit.Count, value=1)
        logger.error(
            "message refused and kept in dead_letters",
            extra={"reason": str(exc), "message_id": record.message_id, "redelivery": not kept},
        )
        return
    logger.info("message persisted", extra={"type": message.type, "outcome": outcome})
    if outcome == "applied" and isinstance(message, EpisodeExtracted):
        metrics.add_metric(name="EpisodesPersisted", unit=MetricUnit.Count, value=1)
    if outcome == "applied" and isinstance(message, ItemFailed):
        metrics.add_metric(name="ItemsFailed", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
