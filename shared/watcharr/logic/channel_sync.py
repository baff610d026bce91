"""The extractor's YouTube channel work: syncing one followed channel or playlist from its Atom feed.

The subscription stores www.youtube.com's feed URL (or, when the API could not look the channel up
when it was followed, the channel's link: the first sync looks it up and moves the subscription to
its feed, as an Apple Podcasts show moves to its feed). A conditional GET with the subscription's
ETag/Last-Modified; a 304 is "unchanged" and nothing is parsed. Otherwise uploads whose key hash the
request does not list as known are stored from the feed alone, partial (the feed has no duration:
the scheduled refresh completes them, as it completes oEmbed's answers); Shorts are left out unless
the subscription includes them. Every upload in the feed is reported seen, so nothing is stored or
fetched twice. Failures end as a ``FeedChecked`` "failed" with a reason a person can read.
"""

from __future__ import annotations

from watcharr.adapters.feed_http import FeedFetchError
from watcharr.adapters.youtube_channels import ChannelLookupError, resolve_channel
from watcharr.domain.feeds import FeedParseError
from watcharr.domain.youtube_channel_feed import parse_channel_feed, select_new_uploads
from watcharr.domain.youtube_channels import (
    ChannelLinkError,
    ChannelRef,
    feed_url,
    parse_channel_link,
)
from watcharr.logic.extraction import Extraction, Sources, retry_or_fail
from watcharr.logic.podcast_sync import episode_batches
from watcharr.models.messages import ExtractRequest, FeedChecked, FeedEpisodesExtracted, ResultMessage
from watcharr.observability import logger
from watcharr.settings import Settings

# What the feed's answer means for a person: YouTube answers 404 for a channel or playlist it no longer has.
_GONE_STATUSES = ("HTTP 404", "HTTP 410")


def _feed_failure(exc: FeedFetchError, ref: ChannelRef) -> str:
    what = "playlist" if ref.kind == "playlist" else "channel"
    if exc.reason.startswith(_GONE_STATUSES):
        return f"YouTube has no such {what} (any more): its feed answers {exc.reason}"
    return f"the {what}'s feed could not be read: {exc.reason}"


def sync_channel(request: ExtractRequest, settings: Settings, attempt: int, sources: Sources) -> Extraction:
    """Sync the followed channel or playlist in ``request.feed`` on the ``attempt``-th delivery."""
    sync = request.feed
    if sync is None:
        raise ValueError("a feed request needs its subscription")

    def checked(status: str, **fields: object) -> FeedChecked:
        return FeedChecked(at=request.at, subscription_id=sync.subscription_id, status=status, **fields)  # type: ignore[arg-type]

    def retry_or_report(reason: str, retryable: bool, **fields: object) -> Extraction:
        # A channel given up on is tried again by the next scheduled sync.
        return retry_or_fail(
            reason,
            retryable=retryable,
            attempt=attempt,
            settings=settings,
            give_up=lambda final: Extraction(results=[checked("failed", error=final, **fields)]),
        )

    try:
        ref = parse_channel_link(request.url)
    except ChannelLinkError as exc:
        return retry_or_report(exc.reason, retryable=False)
    moved_to = None
    if not ref.resolved:
        api_key = sources.credentials.youtube_api_key(settings) if settings.youtube_api_configured else None
        try:
            ref = resolve_channel(ref, settings, api_key=api_key, site_url=settings.youtube_site_url)
        except ChannelLookupError as exc:
            return retry_or_report(exc.reason, exc.retryable)
        moved_to = feed_url(ref)

    url = feed_url(ref, settings.youtube_site_url)
    try:
        response = sources.feeds.fetch_feed(
            url,
            etag=sync.etag,
            last_modified=sync.last_modified,
            allow_private=settings.allow_private_network,
            timeout=settings.feed_timeout,
        )
    except FeedFetchError as exc:
        return retry_or_report(_feed_failure(exc, ref), exc.retryable, feed_url=moved_to)
    if response.status == 304:
        return Extraction(results=[checked("unchanged", final_url=response.final_url, feed_url=moved_to)])
    try:
        feed = parse_channel_feed(response.body, url)
    except FeedParseError as exc:
        return retry_or_report(str(exc), retryable=False, final_url=response.final_url, feed_url=moved_to)
    if feed.warnings:
        logger.warning("channel feed read with problems", extra={"feed_url": url, "warnings": feed.warnings})
    fresh = select_new_uploads(feed, set(sync.known_keys), sync.backfill, include_shorts=sync.include_shorts)
    # Oldest first, so the list's "newest added" order matches the channel's.
    episodes: list[ResultMessage] = [
        FeedEpisodesExtracted(
            at=request.at,
            user_id=request.user_id,
            subscription_id=sync.subscription_id,
            episodes=batch,
            tag=request.tag,
        )
        for batch in episode_batches([upload.media for upload in reversed(fresh)])
    ]
    done = checked(
        "updated",
        etag=response.etag,
        last_modified=response.last_modified,
        title=feed.title,
        final_url=response.final_url,
        feed_url=moved_to,
        seen_keys=[upload.key_hash for upload in feed.uploads],
        new_episodes=len(fresh),
    )
    return Extraction(results=[*episodes, done])
