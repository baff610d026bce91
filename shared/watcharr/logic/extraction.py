"""What every extraction path shares: its result (``Extraction``), the result builders, the one
"retry, or give up on the last attempt" rule, and the adapters it reads through (``Sources``).

The adapters are passed as small protocols so that the YouTube, feed and Apple paths can be run
against in-memory fakes in unit tests; ``Sources.real()`` is the adapters modules themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from watcharr.adapters.apple_podcasts import AppleEpisode, LookupResult
from watcharr.adapters.feed_http import FeedResponse
from watcharr.adapters.youtube_data_api import PlaylistPage
from watcharr.adapters.ytdlp import PlaylistListing
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import EpisodeExtracted, ExtractRequest, ItemFailed, ResultMessage
from watcharr.observability import logger
from watcharr.settings import Settings

# What the transient reasons of domain/extraction_errors.py promise; untrue once the last try failed.
_RETRY_PROMISE = "; will try again later."


class RetryLater(Exception):
    """A transient failure: let SQS deliver the request again."""


@dataclass
class Extraction:
    """What one request produced: messages for the writer, and requests fanned out to the extractor."""

    results: list[ResultMessage] = field(default_factory=list)
    requests: list[ExtractRequest] = field(default_factory=list)


# ---- the adapters, as the logic sees them -----------------------------------------------------------


class MediaPages(Protocol):
    """yt-dlp (adapters/ytdlp.py): one video's metadata, or a playlist's entry links."""

    def extract_media(
        self, url: str, settings: Settings, *, is_short_hint: bool = False
    ) -> MediaMetadata: ...

    def list_playlist(self, url: str, settings: Settings, limit: int) -> PlaylistListing: ...


class YouTubeApi(Protocol):
    """The YouTube Data API (adapters/youtube_data_api.py); raises YouTubeApiError."""

    def fetch_videos(
        self, video_ids: list[str], api_key: str, settings: Settings, *, shorts: frozenset[str] = frozenset()
    ) -> dict[str, MediaMetadata]: ...

    def list_playlist_videos(
        self, playlist_id: str, api_key: str, settings: Settings, limit: int
    ) -> PlaylistPage: ...


class OEmbed(Protocol):
    """YouTube's oEmbed endpoint (adapters/oembed.py); raises OEmbedError."""

    def fetch_oembed(self, video_id: str, settings: Settings, *, is_short: bool = False) -> MediaMetadata: ...


class Feeds(Protocol):
    """Conditional feed GETs behind the SSRF guard (adapters/feed_http.py); raises FeedFetchError."""

    def fetch_feed(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
        timeout: float = ...,
    ) -> FeedResponse: ...


class AppleLookup(Protocol):
    """Apple's lookup API (adapters/apple_podcasts.py); raises AppleLookupError."""

    def lookup_show(
        self, show_id: str, settings: Settings, *, country: str | None = None, with_episodes: bool = False
    ) -> LookupResult: ...

    def lookup_episode(
        self, episode_id: str, settings: Settings, *, country: str | None = None
    ) -> AppleEpisode | None: ...


class Credentials(Protocol):
    """The Data API key, wherever it is kept (adapters/secrets.py)."""

    def youtube_api_key(self, settings: Settings) -> str | None: ...


@dataclass(frozen=True)
class Sources:
    """Every adapter an extraction may read through."""

    pages: MediaPages
    youtube_api: YouTubeApi
    oembed: OEmbed
    feeds: Feeds
    apple: AppleLookup
    credentials: Credentials

    @classmethod
    def real(cls) -> Sources:
        """The real adapters: the modules satisfy the protocols as they are."""
        from watcharr.adapters import apple_podcasts, feed_http, oembed, secrets, youtube_data_api, ytdlp

        return cls(ytdlp, youtube_data_api, oembed, feed_http, apple_podcasts, secrets)


# ---- results -----------------------------------------------------------------------------------------


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
        retry=request.retry,
    )


def item_failed(request: ExtractRequest, reason: str, attempt: int) -> Extraction:
    """The request's job item failed with ``reason``; a refresh fails silently (the episode keeps its
    partial metadata and the next scheduled refresh tries again)."""
    if request.refresh:
        logger.info("refresh found nothing better", extra={"media_key": request.media_key, "reason": reason})
        return Extraction()
    if request.job_id is None or request.item_id is None:
        raise ValueError(f"cannot report a failure without a job item: {reason}")
    return Extraction(
        results=[
            ItemFailed(
                at=request.at,
                job_id=request.job_id,
                item_id=request.item_id,
                reason=reason,
                attempts=attempt,
                retry=request.retry,
            )
        ]
    )


def not_retried_note(request: ExtractRequest) -> str:
    """What a person can do about an item that failed for good."""
    return f" It will not be tried again unless you ask (POST /api/jobs/{request.job_id}/retry)."


def retry_or_fail(
    reason: str,
    *,
    retryable: bool,
    attempt: int,
    settings: Settings,
    give_up: Callable[[str], Extraction],
    exhausted_note: str = "",
) -> Extraction:
    """Raise RetryLater for a transient failure before the last allowed delivery; otherwise what
    ``give_up`` makes of the final reason (a transient one says how often it was tried, then
    ``exhausted_note``)."""
    if not retryable:
        return give_up(reason)
    if attempt < settings.extract_max_receive_count:
        raise RetryLater(reason)
    plain = reason.removesuffix(_RETRY_PROMISE).rstrip(". ")
    return give_up(f"{plain} (tried {attempt} times).{exhausted_note}")
