"""What the extractor does with one ExtractRequest: the results for the writer, the requests it fans out.

Failures are sorted in two: permanent ones (unsupported, gone, private) become `ItemFailed` at once;
transient ones (timeouts, 5xx) raise `RetryLater` so SQS delivers the request again, until the last
allowed receive, where the item fails with the reason instead of ending in silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watcharr.adapters.feed_http import FeedFetchError, fetch_feed
from watcharr.adapters.netguard import BlockedUrl, ensure_fetchable
from watcharr.adapters.ytdlp import (
    PermanentExtractionError,
    TransientExtractionError,
    extract_media,
    list_playlist,
)
from watcharr.domain.feeds import FeedParseError, parse_feed, select_new_episodes
from watcharr.domain.urls import UnsupportedLink, normalize_link
from watcharr.models.messages import (
    EpisodeExtracted,
    ExtractRequest,
    FeedChecked,
    ItemFailed,
    JobItemsAdded,
    JobItemSpec,
    ResultMessage,
)
from watcharr.settings import Settings


class RetryLater(Exception):
    """A transient failure: let SQS deliver the request again."""


@dataclass
class Extraction:
    results: list[ResultMessage] = field(default_factory=list)
    requests: list[ExtractRequest] = field(default_factory=list)


def extract(request: ExtractRequest, settings: Settings, attempt: int) -> Extraction:
    """Handle one request on its `attempt`-th delivery."""
    if request.kind == "feed":
        return _sync_feed(request, settings, attempt)
    try:
        ensure_fetchable(request.url, allow_private=settings.allow_private_network)
        if request.kind == "playlist":
            return _expand_playlist(request, settings)
        media = extract_media(request.url, settings, is_short_hint="/shorts/" in request.url)
    except (BlockedUrl, PermanentExtractionError) as exc:
        return _failed(request, str(exc), attempt)
    except TransientExtractionError as exc:
        if attempt < settings.extract_max_receive_count:
            raise RetryLater(str(exc)) from exc
        return _failed(request, f"gave up after {attempt} attempts: {exc}", attempt)
    return Extraction(
        results=[
            EpisodeExtracted(
                at=request.at,
                user_id=request.user_id,
                job_id=request.job_id,
                item_id=request.item_id,
                media=media,
                tag=request.tag,
            )
        ]
    )


def _failed(request: ExtractRequest, reason: str, attempt: int) -> Extraction:
    if request.job_id is None or request.item_id is None:
        raise ValueError(f"cannot report a failure without a job item: {reason}")
    return Extraction(
        results=[
            ItemFailed(
                at=request.at, job_id=request.job_id, item_id=request.item_id, reason=reason, attempts=attempt
            )
        ]
    )


def _expand_playlist(request: ExtractRequest, settings: Settings) -> Extraction:
    """A playlist's entries become items of the same job, listed flat (no page fetch per entry)."""
    assert request.job_id is not None and request.item_id is not None
    listing = list_playlist(request.url, settings, settings.playlist_limit)
    children: list[JobItemSpec] = []
    requests: list[ExtractRequest] = []
    for index, url in enumerate(listing.entries):
        try:
            link = normalize_link(url)
            url, kind, media_key = link.url, link.kind, link.media_key
        except UnsupportedLink:
            kind, media_key = "video", None  # let the extractor give the entry its own reason
        if kind == "playlist":
            kind = "video"  # nested playlists are not expanded: one level is what a person shared
        child = JobItemSpec(
            item_id=f"{request.item_id}-{index:04d}", url=url, kind=kind, media_key=media_key, tag=request.tag
        )
        children.append(child)
        requests.append(
            ExtractRequest(
                at=request.at,
                user_id=request.user_id,
                job_id=request.job_id,
                item_id=child.item_id,
                url=child.url,
                kind=child.kind,
                media_key=child.media_key,
                tag=child.tag,
            )
        )
    added = JobItemsAdded(
        at=request.at,
        job_id=request.job_id,
        items=children,
        parent_item_id=request.item_id,
        left_out=listing.left_out,
    )
    return Extraction(results=[added], requests=requests)


def _sync_feed(request: ExtractRequest, settings: Settings, attempt: int) -> Extraction:
    """Conditional GET; on a change, only the episodes the database does not know yet."""
    sync = request.feed
    if sync is None:
        raise ValueError("a feed request needs its subscription")

    def checked(status: str, **fields: object) -> FeedChecked:
        return FeedChecked(at=request.at, subscription_id=sync.subscription_id, status=status, **fields)  # type: ignore[arg-type]

    try:
        response = fetch_feed(
            request.url,
            etag=sync.etag,
            last_modified=sync.last_modified,
            allow_private=settings.allow_private_network,
        )
    except FeedFetchError as exc:
        if exc.retryable and attempt < settings.extract_max_receive_count:
            raise RetryLater(str(exc)) from exc
        return Extraction(results=[checked("failed", error=str(exc))])
    if response.status == 304:
        return Extraction(
            results=[checked("unchanged", final_url=response.final_url, redirects=response.redirects)]
        )
    try:
        parsed = parse_feed(response.body, request.url)
    except FeedParseError as exc:
        return Extraction(results=[checked("failed", error=str(exc), final_url=response.final_url)])
    fresh = select_new_episodes(parsed, set(sync.known_keys), sync.backfill)
    # Oldest first, so the list's "newest added" order matches the feed's.
    episodes: list[ResultMessage] = [
        EpisodeExtracted(
            at=request.at,
            user_id=request.user_id,
            media=episode.media,
            origin="sync",
            tag=request.tag,
            subscription_id=sync.subscription_id,
        )
        for episode in reversed(fresh)
    ]
    done = checked(
        "updated",
        etag=response.etag,
        last_modified=response.last_modified,
        title=parsed.title,
        artwork_url=parsed.artwork_url,
        final_url=response.final_url,
        redirects=response.redirects,
        seen_keys=[e.key_hash for e in parsed.episodes],
        new_episodes=len(episodes),
    )
    return Extraction(results=[*episodes, done])
