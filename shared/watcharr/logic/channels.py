"""Following YouTube channels and playlists: which one a link names, and the messages following sends.

The API function looks the channel up from its page (it has the internet: no VPC), so the
subscription is stored under its feed URL and the answer names the channel id. The Data API key stays
readable by the extractor alone (template.yaml), so when the page lookup fails for a reason that may
pass (YouTube answered 5xx, a timeout), or fails at all while a key is configured for a handle or user
name the Data API can answer, the subscription is stored under the channel's link instead and its
first sync looks it up again, key included (logic/channel_sync.py). A lookup that can never succeed
(no such channel, a page without a channel id, and no key to ask) refuses the request with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watcharr.adapters.query_client import QueryClient
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.youtube_channels import ChannelLookupError, resolve_channel
from watcharr.domain.youtube_channels import (
    ChannelLinkError,
    ChannelRef,
    canonical_url,
    feed_url,
    parse_channel_link,
)
from watcharr.logic.podcasts import subscription_id, subscriptions
from watcharr.models.messages import (
    ExtractRequest,
    FeedSync,
    SubscriptionAdded,
    SubscriptionKind,
    SubscriptionRemoved,
    utc_now,
)
from watcharr.observability import logger
from watcharr.settings import Settings

CHANNEL_KINDS: tuple[SubscriptionKind, ...] = ("youtube_channel", "youtube_playlist")


class ChannelRefused(ValueError):
    """The link names no channel or playlist that can be followed; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChannelPlan:
    """What following a channel sends: the subscription, then its first sync."""

    subscription_id: str
    channel_id: str | None
    added: SubscriptionAdded
    first_sync: ExtractRequest


def _followed_url(ref: ChannelRef) -> str:
    # The feed when the channel id is known; else the channel's link, looked up again on sync.
    return feed_url(ref) if ref.resolved else canonical_url(ref)


def resolve_link(text: str, settings: Settings) -> ChannelRef:
    """The channel or playlist ``text`` names, looked up from its page when the link lacks its id.

    Raises ``ChannelRefused`` for a link that names none, or a channel that cannot be looked up; a
    lookup the extractor may still win (see above) gives the ref unresolved.
    """
    try:
        ref = parse_channel_link(text)
    except ChannelLinkError as exc:
        raise ChannelRefused(exc.reason) from exc
    try:
        return resolve_channel(ref, settings, api_key=None, site_url=settings.youtube_site_url)
    except ChannelLookupError as exc:
        key_may_answer = settings.youtube_api_configured and ref.lookup in ("handle", "user")
        if not exc.retryable and not key_may_answer:
            raise ChannelRefused(exc.reason) from exc
        logger.warning(
            "channel lookup failed; the first sync looks it up again", extra={"reason": exc.reason}
        )
        return ref


def plan_follow(
    user_id: int,
    ref: ChannelRef,
    tag: str | None,
    backfill: int,
    include_shorts: bool,
    current: list[dict[str, Any]],
) -> ChannelPlan:
    """Record the subscription with the writer, then sync its feed once with the chosen backfill.

    One of the user's subscriptions already following the same URL (a channel first followed by its
    link, since moved to its feed) keeps its id.
    """
    at = utc_now()
    url = _followed_url(ref)
    kind: SubscriptionKind = "youtube_playlist" if ref.kind == "playlist" else "youtube_channel"
    sub_id = next((sub["id"] for sub in current if sub["feedUrl"] == url), None) or subscription_id(
        user_id, url
    )
    return ChannelPlan(
        subscription_id=sub_id,
        channel_id=ref.channel_id,
        added=SubscriptionAdded(
            at=at,
            subscription_id=sub_id,
            user_id=user_id,
            feed_url=url,
            tag=tag,
            kind=kind,
            include_shorts=include_shorts,
        ),
        first_sync=ExtractRequest(
            at=at,
            user_id=user_id,
            url=url,
            kind="feed",
            tag=tag,
            feed=FeedSync(
                subscription_id=sub_id, backfill=backfill, kind=kind, include_shorts=include_shorts
            ),
        ),
    )


def followed(query: QueryClient, user_id: int) -> list[dict[str, Any]]:
    """The user's followed channels and playlists as ListSubscriptions lists them."""
    return subscriptions(query, user_id, CHANNEL_KINDS)


def follow(
    query: QueryClient,
    publisher: QueuePublisher,
    settings: Settings,
    user_id: int,
    *,
    link: str,
    tag: str | None,
    backfill: int,
    include_shorts: bool,
) -> ChannelPlan:
    """Follow the channel or playlist ``link`` names: the subscription first, then its first sync.

    Raises ``ChannelRefused``, with the reason, when the link names nothing that can be followed.
    """
    ref = resolve_link(link, settings)
    plan = plan_follow(user_id, ref, tag, backfill, include_shorts, followed(query, user_id))
    publisher.send_results([plan.added])
    publisher.send_extract_requests([plan.first_sync])
    return plan


def unfollow(query: QueryClient, publisher: QueuePublisher, user_id: int, sub_id: str) -> bool:
    """Stop following; False when the user follows no channel or playlist of that id."""
    if not any(sub["id"] == sub_id for sub in followed(query, user_id)):
        return False
    publisher.send_results([SubscriptionRemoved(subscription_id=sub_id, user_id=user_id)])
    return True
