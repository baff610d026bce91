"""What the extractor does with one ExtractRequest: the results for the writer, the requests it fans out.

Failures are sorted in two: permanent ones (unsupported, gone, private) become `ItemFailed` at once;
transient ones (timeouts, 5xx) raise `RetryLater` so SQS delivers the request again, until the last
allowed receive, where the item fails with the reason instead of ending in silence.

YouTube refuses datacenter addresses often ("confirm you're not a bot"). When yt-dlp is refused for a
reason about the server rather than the video, the video is described by the Data API (when a key is
configured) or else by oEmbed, and added; oEmbed's thin answer is saved as partial and completed by the
scheduled refresh (docs/YOUTUBE.md). With a key, YouTube ids also travel in batches of 50
(``youtube_batch``): one API call answers them all, and only the ids it does not return go on to
yt-dlp one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watcharr.adapters.oembed import OEmbedError, fetch_oembed
from watcharr.adapters.secrets import youtube_api_key
from watcharr.adapters.youtube_data_api import YouTubeApiError, fetch_videos, list_playlist_videos
from watcharr.adapters.ytdlp import (
    ExtractionError,
    PermanentExtractionError,
    PlaylistListing,
    TransientExtractionError,
    extract_media,
    list_playlist,
)
from watcharr.domain.extraction_errors import (
    NOT_A_SINGLE_VIDEO,
    NOT_PUBLIC,
    extraction_error,
    wants_metadata_fallback,
)
from watcharr.domain.urls import CANONICAL_WATCH_URL, UnsupportedLink, normalize_link, youtube_video_id
from watcharr.logic.ingest import batch_youtube_requests
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import (
    EpisodeExtracted,
    ExtractRequest,
    ItemFailed,
    JobItemsAdded,
    JobItemSpec,
    ResultMessage,
    YouTubeBatchEntry,
)
from watcharr.observability import logger
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
    if request.kind == "apple_episode":
        return _add_apple_episode(request, settings, attempt)
    if request.kind == "youtube_batch":
        return _extract_youtube_batch(request, settings, attempt)
    # No URL check here: yt-dlp's sockets pass the SSRF guard (adapters/ytdlp.py) on every hop.
    try:
        if request.kind == "playlist":
            return _expand_playlist(request, settings)
        try:
            media = _extract_video(request, settings, attempt)
        except PermanentExtractionError as exc:
            # A link taken for one video lists several (an RSS page, a channel tab…): expand it.
            if exc.code != NOT_A_SINGLE_VIDEO.code or not _expandable(request):
                raise
            return _expand_playlist(request, settings)
    except PermanentExtractionError as exc:
        return _failed(request, str(exc), attempt)
    except TransientExtractionError as exc:
        if attempt < settings.extract_max_receive_count and not request.refresh:
            raise RetryLater(str(exc)) from exc
        return _failed(request, f"gave up after {attempt} attempts: {exc}", attempt)
    return Extraction(results=[episode_extracted(request, media)])


def episode_extracted(request: ExtractRequest, media: MediaMetadata) -> EpisodeExtracted:
    """The result for a request whose media was found, carrying the request's time, job item and tag."""
    return EpisodeExtracted(
        at=request.at,
        user_id=request.user_id,
        job_id=request.job_id,
        item_id=request.item_id,
        media=media,
        tag=request.tag,
        origin="refresh" if request.refresh else "add",
    )


def _youtube_id(request: ExtractRequest) -> str | None:
    if request.media_key is not None and request.media_key.startswith("youtube:"):
        return request.media_key.removeprefix("youtube:")
    return youtube_video_id(request.url)


def _extract_video(request: ExtractRequest, settings: Settings, attempt: int) -> MediaMetadata:
    """yt-dlp first; for a YouTube video it was refused, the Data API or oEmbed."""
    video_id = _youtube_id(request)
    is_short = "/shorts/" in request.url
    try:
        media = extract_media(request.url, settings, is_short_hint=is_short)
    except ExtractionError as exc:
        last_attempt = attempt >= settings.extract_max_receive_count or request.refresh
        if video_id is None or not wants_metadata_fallback(exc.failure, last_attempt=last_attempt):
            raise
        logger.info("yt-dlp was refused; describing the video another way", extra={"code": exc.code})
        return _youtube_fallback(video_id, settings, is_short=is_short, refused=exc, refresh=request.refresh)
    if media.partial and video_id is not None:
        # yt-dlp read the title but YouTube withheld the rest: the API, if configured, has it all.
        complete = _from_data_api(video_id, settings, is_short=is_short)
        if complete is not None:
            return complete
    return media


def _from_data_api(video_id: str, settings: Settings, *, is_short: bool) -> MediaMetadata | None:
    """The API's answer for one video; None without a key, on an API failure or when it is not listed."""
    key = youtube_api_key(settings)
    if key is None:
        return None
    try:
        found = fetch_videos([video_id], key, settings, shorts=frozenset({video_id} if is_short else ()))
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        return None
    return found.get(video_id)


def _youtube_fallback(
    video_id: str, settings: Settings, *, is_short: bool, refused: ExtractionError, refresh: bool
) -> MediaMetadata:
    """The Data API's complete answer, else oEmbed's partial one; raises when neither describes it.

    The API is authoritative: a video it does not list is not public, whatever yt-dlp was told. A
    refresh skips oEmbed, which cannot complete anything.
    """
    key = youtube_api_key(settings)
    if key is not None:
        try:
            found = fetch_videos([video_id], key, settings, shorts=frozenset({video_id} if is_short else ()))
        except YouTubeApiError as exc:
            logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        else:
            if video_id in found:
                return found[video_id]
            raise extraction_error(NOT_PUBLIC)
    if refresh:
        raise refused
    try:
        return fetch_oembed(video_id, settings, is_short=is_short)
    except OEmbedError as exc:
        logger.warning("oEmbed failed", extra={"error": str(exc)})
        if exc.not_public:
            raise extraction_error(NOT_PUBLIC) from exc
        raise refused from exc


def _single_request(batch: ExtractRequest, entry: YouTubeBatchEntry) -> ExtractRequest:
    return ExtractRequest(
        at=batch.at,
        user_id=batch.user_id,
        job_id=batch.job_id,
        item_id=entry.item_id,
        url=entry.url,
        kind="video",
        media_key=f"youtube:{entry.video_id}",
        tag=entry.tag,
        refresh=batch.refresh,
    )


def _extract_youtube_batch(request: ExtractRequest, settings: Settings, attempt: int) -> Extraction:
    """One Data API call for up to 50 videos; the ids it does not list go on one by one to yt-dlp.

    Every entry ends as an episode or as a single-video request, so every item still ends terminal,
    even when the key is missing, out of quota or invalid (then all entries go on one by one).
    """
    entries = request.batch
    key = youtube_api_key(settings)
    if key is None:
        logger.warning("a YouTube batch but no readable API key; extracting one by one")
        return Extraction(requests=[_single_request(request, e) for e in entries])
    shorts = frozenset(e.video_id for e in entries if "/shorts/" in e.url)
    try:
        found = fetch_videos(list(dict.fromkeys(e.video_id for e in entries)), key, settings, shorts=shorts)
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        if exc.retryable and attempt < settings.extract_max_receive_count:
            raise RetryLater(str(exc)) from exc
        return Extraction(requests=[_single_request(request, e) for e in entries])
    extraction = Extraction()
    for entry in entries:
        single = _single_request(request, entry)
        media = found.get(entry.video_id)
        if media is None:
            extraction.requests.append(single)
        else:
            extraction.results.append(episode_extracted(single, media))
    return extraction


def _failed(request: ExtractRequest, reason: str, attempt: int) -> Extraction:
    if request.refresh:
        # The episode keeps its partial metadata; the next scheduled refresh tries again.
        logger.info("refresh found nothing better", extra={"media_key": request.media_key, "reason": reason})
        return Extraction()
    if request.job_id is None or request.item_id is None:
        raise ValueError(f"cannot report a failure without a job item: {reason}")
    return Extraction(
        results=[
            ItemFailed(
                at=request.at, job_id=request.job_id, item_id=request.item_id, reason=reason, attempts=attempt
            )
        ]
    )


def _youtube_playlist_listing(request: ExtractRequest, settings: Settings) -> PlaylistListing | None:
    """A YouTube playlist listed by the Data API (one call per 50 entries), when a key is configured."""
    media_key = request.media_key or ""
    key = youtube_api_key(settings) if media_key.startswith("youtube-playlist:") else None
    if key is None:
        return None
    limit = settings.playlist_limit
    try:
        page = list_playlist_videos(media_key.removeprefix("youtube-playlist:"), key, settings, limit)
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        return None
    entries = [CANONICAL_WATCH_URL.format(video_id) for video_id in page.video_ids]
    total = page.total if page.total is not None else len(entries)
    return PlaylistListing(title=None, entries=entries, total=total, left_out=max(total - len(entries), 0))


def _expand_playlist(request: ExtractRequest, settings: Settings) -> Extraction:
    """A playlist's entries become items of the same job, listed flat (no page fetch per entry)."""
    assert request.job_id is not None and request.item_id is not None
    listing = _youtube_playlist_listing(request, settings) or list_playlist(
        request.url, settings, settings.playlist_limit
    )
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
    if settings.youtube_api_configured:
        requests = batch_youtube_requests(requests)
    return Extraction(results=[added], requests=requests)


def _sync_feed(request: ExtractRequest, settings: Settings, attempt: int) -> Extraction:
    # Imported here: podcast_sync builds on this module's Extraction and RetryLater.
    from watcharr.logic.podcast_sync import sync_feed

    return sync_feed(request, settings, attempt)


def _add_apple_episode(request: ExtractRequest, settings: Settings, attempt: int) -> Extraction:
    from watcharr.logic.podcast_sync import add_apple_episode

    return add_apple_episode(request, settings, attempt)


def _expandable(request: ExtractRequest) -> bool:
    """Whether a "video" item may turn out a playlist: a job's own item, not an entry of a playlist
    (entries are named "<parent item id>-<index>", so one level is expanded, as a person shared it)."""
    return request.job_id is not None and request.item_id is not None and request.item_id.count("-") == 1
