"""The extractor's video path: one video (yt-dlp, then the Data API or oEmbed for YouTube), a batch
of YouTube ids for one Data API call, and a playlist expanded into items of the same job.

YouTube refuses datacenter addresses often ("confirm you're not a bot"). When yt-dlp is refused for a
reason about the server rather than the video, the video is described by the Data API (when a key is
configured) or else by oEmbed, and added; oEmbed's thin answer is saved as partial and completed by the
scheduled refresh (docs/YOUTUBE.md). With a key, YouTube ids also travel in batches of 50
(``youtube_batch``): one API call answers them all, and only the ids it does not return go on to
yt-dlp one by one.
"""

from __future__ import annotations

from watcharr.adapters.oembed import OEmbedError
from watcharr.adapters.youtube_data_api import YouTubeApiError
from watcharr.adapters.ytdlp import (
    ExtractionError,
    PermanentExtractionError,
    PlaylistListing,
    TransientExtractionError,
)
from watcharr.domain.extraction_errors import (
    NOT_A_SINGLE_VIDEO,
    NOT_PUBLIC,
    extraction_error,
    wants_metadata_fallback,
)
from watcharr.domain.links.classify import normalize_link, youtube_video_id
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.domain.links.youtube import CANONICAL_WATCH_URL
from watcharr.logic.extraction import (
    Extraction,
    Sources,
    episode_extracted,
    item_failed,
    not_retried_note,
    retry_or_fail,
)
from watcharr.logic.ingest import batch_youtube_requests
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import ExtractRequest, JobItemsAdded, JobItemSpec, YouTubeBatchEntry
from watcharr.observability import logger
from watcharr.settings import Settings


def extract_video_or_playlist(
    request: ExtractRequest, settings: Settings, attempt: int, sources: Sources
) -> Extraction:
    """A "video" or "playlist" request. No URL check here: yt-dlp's sockets pass the SSRF guard
    (adapters/ytdlp.py) on every hop."""
    try:
        if request.kind == "playlist":
            return expand_playlist(request, settings, sources)
        try:
            media = _extract_video(request, settings, attempt, sources)
        except PermanentExtractionError as exc:
            # A link taken for one video lists several (an RSS page, a channel tab…): expand it.
            if exc.code != NOT_A_SINGLE_VIDEO.code or not _expandable(request):
                raise
            return expand_playlist(request, settings, sources)
    except PermanentExtractionError as exc:
        return item_failed(request, str(exc), attempt)
    except TransientExtractionError as exc:
        # A refresh is never retried: the next scheduled refresh is its retry.
        return retry_or_fail(
            str(exc),
            retryable=not request.refresh,
            attempt=attempt,
            settings=settings,
            give_up=lambda reason: item_failed(request, reason, attempt),
            exhausted_note=not_retried_note(request),
        )
    return Extraction(results=[episode_extracted(request, media)])


def _youtube_id(request: ExtractRequest) -> str | None:
    if request.media_key is not None and request.media_key.startswith("youtube:"):
        return request.media_key.removeprefix("youtube:")
    return youtube_video_id(request.url)


def _extract_video(
    request: ExtractRequest, settings: Settings, attempt: int, sources: Sources
) -> MediaMetadata:
    """yt-dlp first; for a YouTube video it was refused, the Data API or oEmbed."""
    video_id = _youtube_id(request)
    is_short = "/shorts/" in request.url
    try:
        media = sources.pages.extract_media(request.url, settings, is_short_hint=is_short)
    except ExtractionError as exc:
        last_attempt = attempt >= settings.extract_max_receive_count or request.refresh
        if video_id is None or not wants_metadata_fallback(exc.failure, last_attempt=last_attempt):
            raise
        logger.info("yt-dlp was refused; describing the video another way", extra={"code": exc.code})
        return _youtube_fallback(
            video_id, settings, sources, is_short=is_short, refused=exc, refresh=request.refresh
        )
    if media.partial and video_id is not None:
        # yt-dlp read the title but YouTube withheld the rest: the API, if configured, has it all.
        complete = _from_data_api(video_id, settings, sources, is_short=is_short)
        if complete is not None:
            return complete
    return media


def _api_videos(
    video_ids: list[str], key: str, settings: Settings, sources: Sources, shorts: frozenset[str]
) -> dict[str, MediaMetadata] | None:
    """The API's answer for ``video_ids``; None (logged) when the API fails."""
    try:
        return sources.youtube_api.fetch_videos(video_ids, key, settings, shorts=shorts)
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        return None


def _from_data_api(
    video_id: str, settings: Settings, sources: Sources, *, is_short: bool
) -> MediaMetadata | None:
    """The API's answer for one video; None without a key, on an API failure or when it is not listed."""
    key = sources.credentials.youtube_api_key(settings)
    if key is None:
        return None
    found = _api_videos([video_id], key, settings, sources, frozenset({video_id} if is_short else ()))
    return (found or {}).get(video_id)


def _youtube_fallback(
    video_id: str,
    settings: Settings,
    sources: Sources,
    *,
    is_short: bool,
    refused: ExtractionError,
    refresh: bool,
) -> MediaMetadata:
    """The Data API's complete answer, else oEmbed's partial one; raises when neither describes it.

    The API is authoritative: a video it does not list is not public, whatever yt-dlp was told. A
    refresh skips oEmbed, which cannot complete anything.
    """
    key = sources.credentials.youtube_api_key(settings)
    if key is not None:
        found = _api_videos([video_id], key, settings, sources, frozenset({video_id} if is_short else ()))
        if found is not None:
            if video_id in found:
                return found[video_id]
            raise extraction_error(NOT_PUBLIC)
    if refresh:
        raise refused
    try:
        return sources.oembed.fetch_oembed(video_id, settings, is_short=is_short)
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


def extract_youtube_batch(
    request: ExtractRequest, settings: Settings, attempt: int, sources: Sources
) -> Extraction:
    """One Data API call for up to 50 videos; the ids it does not list go on one by one to yt-dlp.

    Every entry ends as an episode or as a single-video request, so every item still ends terminal,
    even when the key is missing, out of quota or invalid (then all entries go on one by one).
    """
    entries = request.batch

    def one_by_one(_reason: str = "") -> Extraction:
        return Extraction(requests=[_single_request(request, e) for e in entries])

    key = sources.credentials.youtube_api_key(settings)
    if key is None:
        logger.warning("a YouTube batch but no readable API key; extracting one by one")
        return one_by_one()
    shorts = frozenset(e.video_id for e in entries if "/shorts/" in e.url)
    ids = list(dict.fromkeys(e.video_id for e in entries))
    try:
        found = sources.youtube_api.fetch_videos(ids, key, settings, shorts=shorts)
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        return retry_or_fail(
            str(exc), retryable=exc.retryable, attempt=attempt, settings=settings, give_up=one_by_one
        )
    extraction = Extraction()
    for entry in entries:
        single = _single_request(request, entry)
        media = found.get(entry.video_id)
        if media is None:
            extraction.requests.append(single)
        else:
            extraction.results.append(episode_extracted(single, media))
    return extraction


def _youtube_playlist_listing(
    request: ExtractRequest, settings: Settings, sources: Sources
) -> PlaylistListing | None:
    """A YouTube playlist listed by the Data API (one call per 50 entries), when a key is configured."""
    media_key = request.media_key or ""
    key = sources.credentials.youtube_api_key(settings) if media_key.startswith("youtube-playlist:") else None
    if key is None:
        return None
    limit = settings.playlist_limit
    try:
        page = sources.youtube_api.list_playlist_videos(
            media_key.removeprefix("youtube-playlist:"), key, settings, limit
        )
    except YouTubeApiError as exc:
        logger.warning("YouTube Data API failed", extra={"api_reason": exc.reason, "status": exc.status})
        return None
    entries = [CANONICAL_WATCH_URL.format(video_id) for video_id in page.video_ids]
    total = page.total if page.total is not None else len(entries)
    return PlaylistListing(title=None, entries=entries, total=total, left_out=max(total - len(entries), 0))


def expand_playlist(request: ExtractRequest, settings: Settings, sources: Sources) -> Extraction:
    """A playlist's entries become items of the same job, listed flat (no page fetch per entry)."""
    if request.job_id is None or request.item_id is None:
        raise ValueError("only a job's item can be expanded into items")
    listing = _youtube_playlist_listing(request, settings, sources) or sources.pages.list_playlist(
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


def _expandable(request: ExtractRequest) -> bool:
    """Whether a "video" item may turn out a playlist: a job's own item, not an entry of a playlist
    (entries are named "<parent item id>-<index>", so one level is expanded, as a person shared it)."""
    return request.job_id is not None and request.item_id is not None and request.item_id.count("-") == 1
