"""PodcastSyncFunction: on the schedule, queue every subscribed feed, re-queue stale job items and
re-extract episodes whose metadata is partial."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import prepare_publisher, publisher_for
from watcharr.logic.schedule import plan_feed_sync, plan_metadata_refresh, plan_reconcile, send
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings

# The SQS client is built while the container starts, not in its first invocation.
prepare_publisher()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """The event is not read: EventBridge Scheduler may deliver `{}`, a string or nothing at all."""
    query = query_client_for(get_settings())
    feeds = plan_feed_sync(query)
    send(publisher_for(get_settings()), feeds)
    stale = plan_reconcile(query)
    send(publisher_for(get_settings()), stale)
    refresh = plan_metadata_refresh(query, youtube_batches=get_settings().youtube_api_configured)
    send(publisher_for(get_settings()), refresh)
    metrics.add_metric(name="FeedsQueued", unit=MetricUnit.Count, value=len(feeds.requests))
    metrics.add_metric(name="ItemsRequeued", unit=MetricUnit.Count, value=len(stale.requests))
    metrics.add_metric(name="RefreshRequestsQueued", unit=MetricUnit.Count, value=len(refresh.requests))
    summary = {
        "feedsQueued": len(feeds.requests),
        "itemsRequeued": len(stale.requests),
        "itemsGivenUp": len(stale.results) - len(stale.requests),
    }
    logger.info("scheduled sync", extra={**summary, "refreshRequestsQueued": len(refresh.requests)})
    return summary
