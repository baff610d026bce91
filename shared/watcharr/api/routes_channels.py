"""Followed YouTube channels and playlists: follow one, list them, stop following."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.guard import caller
from watcharr.logic import channels
from watcharr.models.api_channels import ChannelsAnswer, FollowAnswer, FollowChannelBody
from watcharr.settings import get_settings

router = Router()


@router.post("/api/channels", responses=documented({202: ("Following; first sync queued", FollowAnswer)}))
def follow(body: FollowChannelBody) -> Response[Any]:
    """Follow a YouTube channel or playlist: its newest `backfill` uploads now, new ones on every sync."""
    settings = get_settings()
    try:
        plan = channels.follow(
            query_client_for(settings),
            publisher_for(settings),
            settings,
            caller(router).id,
            link=body.url,
            tag=body.tag,
            backfill=body.backfill,
            include_shorts=body.includeShorts,
        )
    except channels.ChannelRefused as exc:
        return error(422, exc.reason)
    return answer(
        202,
        FollowAnswer(
            success=True,
            subscriptionId=plan.subscription_id,
            feedUrl=plan.added.feed_url,
            channelId=plan.channel_id,
        ),
    )


@router.get("/api/channels", responses=documented({200: ("The channels you follow", ChannelsAnswer)}))
def list_channels() -> Response[Any]:
    """The caller's followed channels and playlists with last sync time, last status and episode count."""
    mine = channels.followed(query_client_for(get_settings()), caller(router).id)
    return answer(200, ChannelsAnswer(success=True, channels=mine))


@router.delete(
    "/api/channels/<subscription_id>", responses=documented({200: ("No longer followed", FollowAnswer)})
)
def unfollow(subscription_id: Annotated[str, Path(pattern=r"^[0-9a-f]{20}$")]) -> Response[Any]:
    """Stop following a channel or playlist; the episodes already on the list stay."""
    if not channels.unfollow(
        query_client_for(get_settings()), publisher_for(get_settings()), caller(router).id, subscription_id
    ):
        return error(404, "no such subscription")
    return answer(200, FollowAnswer(success=True, subscriptionId=subscription_id), exclude_none=True)
