"""Subscribing to podcast feeds: the messages a subscribe or unsubscribe sends."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from watcharr.domain.links.apple import apple_podcast_ids
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.domain.links.text import find_url
from watcharr.models.messages import ExtractRequest, FeedSync, SubscriptionAdded, utc_now

_STOREFRONT = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class SubscriptionPlan:
    subscription_id: str
    added: SubscriptionAdded
    first_sync: ExtractRequest


def feed_link(text: str) -> str:
    """The feed URL (or Apple Podcasts show link, resolved later by the extractor) in `text`."""
    url = find_url(text)
    if url is None:
        raise UnsupportedLink("no feed link found; send the RSS/Atom URL or an Apple Podcasts show link")
    apple = apple_podcast_ids(url)
    if apple is not None:
        show_id, episode_id = apple
        if episode_id is not None:
            raise UnsupportedLink("this is a link to one Apple Podcasts episode; add it with add-episode")
        # The storefront stays: a show may be listed in one country's catalogue only.
        country = storefront(url)
        return f"https://podcasts.apple.com/{country + '/' if country else ''}podcast/id{show_id}"
    return url


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

    ``current`` are the user's subscriptions (as ListSubscriptions lists them): one already following
    ``feed_url`` (an Apple Podcasts show moved to its feed, say) keeps its id.
    """
    at = utc_now()
    sub_id = next((sub["id"] for sub in current if sub["feedUrl"] == feed_url), None) or subscription_id(
        user_id, feed_url
    )
    return SubscriptionPlan(
        subscription_id=sub_id,
        added=SubscriptionAdded(at=at, subscription_id=sub_id, user_id=user_id, feed_url=feed_url, tag=tag),
        first_sync=ExtractRequest(
            at=at,
            user_id=user_id,
            url=feed_url,
            kind="feed",
            tag=tag,
            feed=FeedSync(subscription_id=sub_id, backfill=backfill),
        ),
    )
