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
from watcharr.logic.extraction import Extraction, Sources
from watcharr.logic.feed_sync import FeedSyncRun
from watcharr.models.messages import ExtractRequest
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
    run = FeedSyncRun(request, settings, attempt, sources)
    sync = run.sync
    try:
        ref = parse_channel_link(request.url)
    except ChannelLinkError as exc:
        return run.retry_or_report(exc.reason, retryable=False)
    moved_to = None
    if not ref.resolved:
        api_key = sources.credentials.youtube_api_key(settings) if settings.youtube_api_configured else None
        try:
            ref = resolve_channel(ref, settings, api_key=api_key, site_url=settings.youtube_site_url)
        except ChannelLookupError as exc:
            return run.retry_or_report(exc.reason, exc.retryable)
        moved_to = feed_url(ref)

    url = feed_url(ref, settings.youtube_site_url)
    try:
        response = run.fetch(url)
    except FeedFetchError as exc:
        return run.retry_or_report(_feed_failure(exc, ref), exc.retryable, feed_url=moved_to)
    if response.status == 304:
        return Extraction(results=[run.checked("unchanged", final_url=response.final_url, feed_url=moved_to)])
    try:
        feed = parse_channel_feed(response.body, url)
    except FeedParseError as exc:
        return run.retry_or_report(str(exc), retryable=False, final_url=response.final_url, feed_url=moved_to)
    if feed.warnings:
        logger.warning("channel feed read with problems", extra={"feed_url": url, "warnings": feed.warnings})
    fresh = select_new_uploads(feed, set(sync.known_keys), sync.backfill, include_shorts=sync.include_shorts)
    return run.updated(
        [upload.media for upload in fresh],
        response,
        title=feed.title,
        feed_url=moved_to,
        seen_keys=[upload.key_hash for upload in feed.uploads],
    )
