"""Podcast subscriptions: subscribe to a feed, list them, unsubscribe."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.guard import caller
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.logic import podcasts
from watcharr.models.api import PodcastAnswer, PodcastsAnswer, SubscribeBody, SubscriptionAnswer
from watcharr.settings import get_settings

router = Router()

SubscriptionId = Annotated[str, Path(pattern=r"^[0-9a-f]{20}$")]


@router.post(
    "/api/podcasts", responses=documented({202: ("Subscribed; first sync queued", SubscriptionAnswer)})
)
def subscribe(body: SubscribeBody) -> Response[Any]:
    """Subscribe to a feed (or Apple Podcasts show) and add its newest `backfill` episodes."""
    backfill = None if body.backfill == "all" else body.backfill
    try:
        plan = podcasts.subscribe(
            query_client_for(get_settings()),
            publisher_for(get_settings()),
            caller(router).id,
            body.feedUrl,
            body.tag,
            backfill,
        )
    except UnsupportedLink as exc:
        return error(422, exc.reason)
    return answer(
        202,
        SubscriptionAnswer(
            success=True,
            subscriptionId=plan.subscription_id,
            feedUrl=plan.added.feed_url,
            jobId=plan.added.job_id,
        ),
    )


@router.get("/api/podcasts", responses=documented({200: ("Your subscriptions", PodcastsAnswer)}))
def list_podcasts() -> Response[Any]:
    """The caller's subscriptions with last sync time, last status and episode count."""
    mine = podcasts.subscriptions(query_client_for(get_settings()), caller(router).id)
    return answer(200, PodcastsAnswer(success=True, podcasts=mine))


@router.get(
    "/api/podcasts/<subscription_id>",
    responses=documented({200: ("The subscription and how its last sync went", PodcastAnswer)}),
)
def get_podcast(subscription_id: SubscriptionId) -> Response[Any]:
    """Follow a subscription: its last sync time and status (the first sync's backfill included)."""
    mine = podcasts.subscriptions(query_client_for(get_settings()), caller(router).id)
    found = next((sub for sub in mine if sub["id"] == subscription_id), None)
    if found is None:
        return error(404, "no such subscription (one just accepted may need a moment to appear)")
    return answer(200, PodcastAnswer(success=True, podcast=found))


@router.delete(
    "/api/podcasts/<subscription_id>", responses=documented({200: ("Unsubscribed", SubscriptionAnswer)})
)
def unsubscribe(subscription_id: SubscriptionId) -> Response[Any]:
    """Stop syncing a feed; the episodes already on the list stay."""
    if not podcasts.unsubscribe(
        query_client_for(get_settings()), publisher_for(get_settings()), caller(router).id, subscription_id
    ):
        return error(404, "no such subscription")
    return answer(200, SubscriptionAnswer(success=True, subscriptionId=subscription_id), exclude_none=True)
