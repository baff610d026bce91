"""Subscribing to podcast feeds: which feed a link names, and the messages a subscribe or unsubscribe sends."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from watcharr.adapters.query_client import QueryClient
from watcharr.adapters.queues import QueuePublisher
from watcharr.domain.links.apple import apple_podcast_ids
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.domain.links.text import find_url
from watcharr.domain.youtube_channels import ChannelLinkError, parse_channel_link
from watcharr.models.messages import ExtractRequest, FeedSync, SubscriptionAdded, SubscriptionRemoved, utc_now
from watcharr.models.queries import ListSubscriptions

_STOREFRONT = re.compile(r"[a-z]{2}")
_FIRST_SYNC_PREFIX = "subscription:"
# Control, format (bidi overrides, zero-width), separator-line/paragraph, surrogate and unassigned.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


@dataclass(frozen=True)
class SubscriptionPlan:
    subscription_id: str
    added: SubscriptionAdded
    first_sync: ExtractRequest


def feed_link(text: str) -> str:
    """The feed URL (or Apple Podcasts show link, resolved later by the extractor) in `text`.

    An Apple Podcasts show link may sit in share-sheet text; any other feed URL must come on its
    own and be a well-formed http(s) URL, so what is stored is exactly the feed that was meant.
    """
    url = find_url(text)
    if url is None:
        raise UnsupportedLink("no feed link found; send the RSS/Atom URL or an Apple Podcasts show link")
    apple = apple_podcast_ids(url)
    if apple is None:
        check_feed_url(text.strip())
        _refuse_youtube_channel(url)
    if apple is not None:
        show_id, episode_id = apple
        if episode_id is not None:
            raise UnsupportedLink("this is a link to one Apple Podcasts episode; add it with add-episode")
        # The storefront stays: a show may be listed in one country's catalogue only.
        country = storefront(url)
        return f"https://podcasts.apple.com/{country + '/' if country else ''}podcast/id{show_id}"
    return url


def _refuse_youtube_channel(url: str) -> None:
    # A channel's or playlist's feed is read as YouTube's (uploads, Shorts), not as a podcast's.
    try:
        parse_channel_link(url)
    except ChannelLinkError:
        return
    raise UnsupportedLink(f"{url[:100]} is a YouTube channel or playlist; follow it with POST /api/channels")


def check_feed_url(url: str) -> None:
    """Raise UnsupportedLink unless ``url`` is one well-formed http(s) URL with nothing around it."""
    shown = url[:100].encode("unicode_escape").decode("ascii")
    if any(unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in url):
        raise UnsupportedLink(f"{shown} contains control or invalid characters, which no feed URL has")
    if any(c.isspace() for c in url):
        raise UnsupportedLink(f'"{shown}" has a space in it; send the feed\'s URL on its own')
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise UnsupportedLink(
            f"{shown} is not a valid web address (its host or port cannot be read)"
        ) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise UnsupportedLink(f"{shown} is not a valid http or https feed URL")
    if parts.username is not None or parts.password is not None:
        raise UnsupportedLink(f"{shown} carries a user name or password; send the feed URL without them")


def storefront(url: str) -> str | None:
    """The two-letter storefront of an Apple Podcasts link (``/gb/podcast/…`` → "gb"), if it names one."""
    first = next((s for s in urlsplit(url).path.split("/") if s), "").lower()
    return first if _STOREFRONT.fullmatch(first) else None


def subscription_id(user_id: int, feed_url: str) -> str:
    """Derived from user and feed, so subscribing twice names the same subscription."""
    return hashlib.sha256(f"{user_id}\n{feed_url}".encode()).hexdigest()[:20]


def plan_subscription(
    user_id: int,
    feed_url: str,
    tag: str | None,
    backfill: int | None,
    current: Iterable[dict[str, Any]] = (),
) -> SubscriptionPlan:
    """Record the subscription with the writer, then fetch the feed once with the chosen backfill.

    The subscription names a job (``added.job_id``) whose one item follows that first sync.

    ``current`` are the user's subscriptions (as ListSubscriptions lists them): one already following
    ``feed_url`` (an Apple Podcasts show moved to its feed, say) keeps its id.
    """
    at = utc_now()
    sub_id = next((sub["id"] for sub in current if sub["feedUrl"] == feed_url), None) or subscription_id(
        user_id, feed_url
    )
    return SubscriptionPlan(
        subscription_id=sub_id,
        added=SubscriptionAdded(
            at=at,
            subscription_id=sub_id,
            user_id=user_id,
            feed_url=feed_url,
            tag=tag,
            job_id=uuid.uuid4().hex,
        ),
        first_sync=ExtractRequest(
            at=at,
            user_id=user_id,
            url=feed_url,
            kind="feed",
            tag=tag,
            feed=FeedSync(subscription_id=sub_id, backfill=backfill),
        ),
    )


def first_sync_key(subscription_id: str) -> str:
    """The media key of a subscription's first-sync job item: what its FeedChecked finishes."""
    return f"{_FIRST_SYNC_PREFIX}{subscription_id}"


def first_sync_of(media_key: str | None) -> FeedSync | None:
    """The sync a first-sync item stands for (to retry it), or None for any other item.

    Nothing was seen when a first sync failed, so a retry adds what the next scheduled sync would.
    """
    if media_key is None or not media_key.startswith(_FIRST_SYNC_PREFIX):
        return None
    return FeedSync(subscription_id=media_key.removeprefix(_FIRST_SYNC_PREFIX))


def subscriptions(
    query: QueryClient, user_id: int, kinds: Iterable[str] = ("podcast",)
) -> list[dict[str, Any]]:
    """The user's subscriptions of the given kinds (podcasts by default) as ListSubscriptions lists them."""
    wanted = set(kinds)
    found: list[dict[str, Any]] = query(ListSubscriptions(user_id=user_id))["subscriptions"]
    return [sub for sub in found if sub.get("kind", "podcast") in wanted]


def subscribe(
    query: QueryClient,
    publisher: QueuePublisher,
    user_id: int,
    text: str,
    tag: str | None,
    backfill: int | None,
) -> SubscriptionPlan:
    """Subscribe the user to the feed ``text`` names: the subscription first, then its first sync.

    Raises UnsupportedLink, with the reason, when ``text`` names no feed.
    """
    plan = plan_subscription(user_id, feed_link(text), tag, backfill, subscriptions(query, user_id))
    publisher.send_results([plan.added])
    publisher.send_extract_requests([plan.first_sync])
    return plan


def unsubscribe(query: QueryClient, publisher: QueuePublisher, user_id: int, subscription_id: str) -> bool:
    """Stop the user's subscription; False when the user has no subscription of that id."""
    if not any(sub["id"] == subscription_id for sub in subscriptions(query, user_id)):
        return False
    publisher.send_results([SubscriptionRemoved(subscription_id=subscription_id, user_id=user_id)])
    return True
