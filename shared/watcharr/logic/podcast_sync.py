"""The extractor's podcast work: syncing one subscribed feed, and adding one Apple Podcasts episode.

Feed sync. A conditional GET with the subscription's ETag/Last-Modified; a 304 is reported "unchanged"
without parsing anything. Otherwise the feed is parsed and only episodes whose key hash the request
does not list as known are sent (the persister's unique key absorbs any repeat anyway), followed by a
``FeedChecked`` with the new validators, title and artwork. A feed that cannot be fetched or read
ends as a ``FeedChecked`` "failed" with a readable reason; transient failures are retried first.

Apple Podcasts shows. Subscribing to a show link stores the show's URL; its first sync asks the
lookup API for the feed, and the ``FeedChecked`` moves the subscription to that feed URL.

Apple Podcasts episodes. The episode is found by its id in the lookup API (the show's 200 newest,
else a lookup of the episode itself), then in the show's feed by guid, by media URL, or by title and
date, so it gets the very media key a sync of that feed gives it. An episode the feed does not list
is added from the lookup when Apple gives its guid (the key the feed would use); anything else fails
with the reason, never with another episode.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from watcharr.adapters.apple_podcasts import AppleEpisode, AppleLookupError, AppleShow
from watcharr.adapters.feed_http import FeedFetchError
from watcharr.domain.feeds import (
    UNTITLED,
    FeedEpisode,
    FeedParseError,
    ParsedFeed,
    feed_id_hash,
    feed_item_key_hash,
    parse_feed,
    podcast_media_key,
    select_new_episodes,
)
from watcharr.domain.links.apple import apple_podcast_ids
from watcharr.logic.extraction import (
    Extraction,
    Sources,
    episode_extracted,
    item_failed,
    not_retried_note,
    retry_or_fail,
)
from watcharr.logic.feed_sync import FeedSyncRun
from watcharr.logic.podcasts import storefront
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import ExtractRequest
from watcharr.observability import logger
from watcharr.settings import Settings

# Only the newest episodes of a feed are tracked: their key hashes travel in one queue message
# (FeedChecked.seen_keys, FeedSync.known_keys), which must stay under SQS's 256 KiB.
MAX_TRACKED_EPISODES = 5000
# A title matches within this distance of Apple's release date (time zones and date-only values).
TITLE_DATE_TOLERANCE_SECONDS = 36 * 3600


# ---- feed sync ------------------------------------------------------------------------------------


def sync_feed(request: ExtractRequest, settings: Settings, attempt: int, sources: Sources) -> Extraction:
    """Sync the subscription in ``request.feed`` on the ``attempt``-th delivery of the request."""
    run = FeedSyncRun(request, settings, attempt, sources)
    sync = run.sync
    feed_url, moved_to = request.url, None
    ids = apple_podcast_ids(request.url)
    if ids is not None and ids[1] is None:
        try:
            found = sources.apple.lookup_show(ids[0], settings, country=storefront(request.url))
        except AppleLookupError as exc:
            return run.retry_or_report(exc.reason, exc.retryable)
        if found.show is None or found.show.feed_url is None:
            return run.retry_or_report(_no_feed(ids[0], found.show), retryable=False)
        feed_url = moved_to = found.show.feed_url

    try:
        response = run.fetch(feed_url)
    except FeedFetchError as exc:
        return run.retry_or_report(exc.reason, exc.retryable, feed_url=moved_to)
    if response.status == 304:
        return Extraction(
            results=[
                run.checked(
                    "unchanged", final_url=response.final_url, redirects=response.redirects, feed_url=moved_to
                )
            ]
        )
    try:
        parsed = parse_feed(response.body, feed_url)
    except FeedParseError as exc:
        return run.retry_or_report(str(exc), retryable=False, final_url=response.final_url, feed_url=moved_to)
    if parsed.warnings:
        logger.warning("feed read with problems", extra={"feed_url": feed_url, "warnings": parsed.warnings})
    tracked = _tracked(parsed, feed_url)
    fresh = select_new_episodes(tracked, set(sync.known_keys), sync.backfill)
    return run.updated(
        [episode.media for episode in fresh],
        response,
        title=parsed.title,
        artwork_url=parsed.artwork_url,
        feed_url=moved_to,
        redirects=response.redirects,
        seen_keys=[e.key_hash for e in tracked.episodes],
    )


def _tracked(parsed: ParsedFeed, feed_url: str) -> ParsedFeed:
    if len(parsed.episodes) <= MAX_TRACKED_EPISODES:
        return parsed
    logger.warning(
        "feed has more episodes than are tracked; the oldest are ignored",
        extra={"feed_url": feed_url, "episodes": len(parsed.episodes), "tracked": MAX_TRACKED_EPISODES},
    )
    return ParsedFeed(
        parsed.title, parsed.artwork_url, parsed.link, parsed.episodes[:MAX_TRACKED_EPISODES], parsed.warnings
    )


def _no_feed(show_id: str, show: AppleShow | None) -> str:
    if show is None:
        return f"Apple Podcasts knows no show with id {show_id}"
    return f"Apple Podcasts lists no public feed for “{show.title or show_id}”, so it cannot be followed"


# ---- one Apple Podcasts episode -------------------------------------------------------------------


def add_apple_episode(
    request: ExtractRequest, settings: Settings, attempt: int, sources: Sources
) -> Extraction:
    """Add exactly the episode an Apple Podcasts episode link names, keyed as its feed's sync keys it."""

    def failed(reason: str) -> Extraction:
        return item_failed(request, reason, attempt)

    def retry_or_give_up(reason: str, retryable: bool, give_up: Callable[[str], Extraction]) -> Extraction:
        return retry_or_fail(
            reason,
            retryable=retryable,
            attempt=attempt,
            settings=settings,
            give_up=give_up,
            exhausted_note=not_retried_note(request),
        )

    ids = apple_podcast_ids(request.url)
    if ids is None or ids[1] is None:
        return failed("this is not a link to one Apple Podcasts episode")
    show_id, episode_id = ids
    country = storefront(request.url)
    try:
        listing = sources.apple.lookup_show(show_id, settings, country=country, with_episodes=True)
        record = next((e for e in listing.episodes if e.episode_id == episode_id), None)
        if record is None:
            record = sources.apple.lookup_episode(episode_id, settings, country=country)
    except AppleLookupError as exc:
        return retry_or_give_up(exc.reason, exc.retryable, failed)
    if record is None:
        return failed(
            f"Apple Podcasts has no episode {episode_id} (it may have been removed); nothing was added"
        )
    show = listing.show if listing.show is not None and record.show_id in (None, show_id) else None
    feed_url = record.feed_url or (show.feed_url if show is not None else None)
    if feed_url is None:
        return failed(_no_feed(show_id, show))

    def from_lookup(problem: str) -> Extraction:
        """The episode as the lookup describes it, when Apple gives its guid; else the item fails."""
        if record.guid is None:
            return failed(
                f"{_describe(record)} was found on Apple Podcasts, but {problem}; nothing was added"
            )
        return Extraction(
            results=[episode_extracted(request, media_from_lookup(record, feed_url, show, request.url))]
        )

    try:
        response = sources.feeds.fetch_feed(
            feed_url,
            etag=None,
            last_modified=None,
            allow_private=settings.allow_private_network,
            timeout=settings.feed_timeout,
        )
        matched = match_feed_episode(parse_feed(response.body, feed_url), record)
    except FeedFetchError as exc:
        unread = f"the show's feed could not be read ({exc.reason})"
        return retry_or_give_up(exc.reason, exc.retryable, lambda _final: from_lookup(unread))
    except FeedParseError as exc:
        return from_lookup(f"the show's feed could not be read ({exc})")
    if matched is None:
        return from_lookup("the show's feed does not list it")
    return Extraction(results=[episode_extracted(request, matched.media)])


def _describe(record: AppleEpisode) -> str:
    title = f"“{record.title}”" if record.title else f"episode {record.episode_id}"
    return f"{title} ({record.released:%Y-%m-%d})" if record.released else title


def _comparable_url(url: str) -> str:
    # http and https, and the host's case, name the same file.
    parts = urlsplit(url.strip())
    return parts.netloc.lower() + parts.path + (f"?{parts.query}" if parts.query else "")


def _comparable_title(title: str) -> str:
    return " ".join(title.casefold().split())


def match_feed_episode(parsed: ParsedFeed, record: AppleEpisode) -> FeedEpisode | None:
    """The feed's item for the Apple episode ``record``, or None; never a guess between several.

    Tried in order: the guid (the feed's own key), the media URL, then the title together with a
    release date within a day and a half; each must single out one item.
    """
    if record.guid is not None:
        by_guid = [e for e in parsed.episodes if e.key == record.guid]
        if len(by_guid) == 1:
            return by_guid[0]
    if record.media_url is not None:
        target = _comparable_url(record.media_url)
        by_url = [e for e in parsed.episodes if _comparable_url(e.media.url) == target]
        if len(by_url) == 1:
            return by_url[0]
    if record.title is not None and record.released is not None:
        title, when = _comparable_title(record.title), record.released.timestamp()
        close = sorted(
            (
                (abs(e.published_ts - when), e)
                for e in parsed.episodes
                if e.published_ts is not None
                and abs(e.published_ts - when) <= TITLE_DATE_TOLERANCE_SECONDS
                and _comparable_title(e.media.title) == title
            ),
            key=lambda pair: pair[0],
        )
        # Two items with the same title equally close to the date: no way to tell which one was meant.
        if len(close) == 1 or (len(close) > 1 and close[0][0] < close[1][0]):
            return close[0][1]
    return None


def media_from_lookup(
    record: AppleEpisode, feed_url: str, show: AppleShow | None, link: str
) -> MediaMetadata:
    """The episode from the lookup alone, keyed by its guid as a sync of ``feed_url`` would key it."""
    if record.guid is None:
        raise ValueError("only an episode with a guid can be keyed as its feed keys it")
    return MediaMetadata(
        media_key=podcast_media_key(feed_url, feed_item_key_hash(record.guid)),
        type="podcast",
        title=record.title or UNTITLED,
        url=record.media_url or record.page_url or link,
        description=record.description,
        duration=record.duration,
        thumbnail_url=record.artwork_url or (show.artwork_url if show else None),
        published_date=record.released.strftime("%Y-%m-%dT%H:%M:%SZ") if record.released else None,
        # The same channel id parse_feed gives the show, so both paths share one channel row.
        channel=ChannelInfo(
            id=f"podcast:{feed_id_hash(feed_url)}",
            type="podcast",
            name=record.show_title or (show.title if show else None),
            thumbnail_url=show.artwork_url if show else None,
        ),
    )
