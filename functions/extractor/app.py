"""ExtractorFunction: metadata for each ExtractRequest, sent on to the FIFO queue for the one writer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from watcharr.adapters.queues import prepare_publisher, publisher_for
from watcharr.logic.extract import extract
from watcharr.models.messages import EpisodeExtracted, ExtractRequest, ItemFailed
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings

# A transient failure is an expected outcome, not a function error: the record goes back to the
# queue through batchItemFailures even when it is the whole batch.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# The SQS client is built while the container starts, not in its first invocation.
prepare_publisher()


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    request = ExtractRequest.model_validate_json(record.body)
    if request.job_id:
        logger.set_correlation_id(request.job_id)
    attempt = int(record.attributes.approximate_receive_count)
    # None values are left out of the log lines: batch_size only shows on youtube_batch requests.
    logger.append_keys(
        item_id=request.item_id, kind=request.kind, attempt=attempt, batch_size=len(request.batch) or None
    )
    extraction = extract(request, get_settings(), attempt)
    # Results first: a playlist's children must be items of the job before any of them can finish.
    publisher_for(get_settings()).send_results(extraction.results)
    publisher_for(get_settings()).send_extract_requests(extraction.requests)
    added = sum(isinstance(m, EpisodeExtracted) for m in extraction.results)
    failed = sum(isinstance(m, ItemFailed) for m in extraction.results)
    if added:
        metrics.add_metric(name="EpisodesAdded", unit=MetricUnit.Count, value=added)
    if failed:
        metrics.add_metric(name="ItemsFailed", unit=MetricUnit.Count, value=failed)
    logger.info(
        "extracted", extra={"results": len(extraction.results), "fanned_out": len(extraction.requests)}
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
