"""The YouTube Data API v3: metadata of up to 50 videos per call, and the videos of a playlist.

YouTube does not bot-check this API (an API key identifies the caller), so it describes videos that
yt-dlp is refused from a datacenter address. Each call costs one quota unit of the key's 10,000 a day.
The key travels as the ``key`` query parameter, as Google documents; it never leaves this module in a
message: errors carry YouTube's reason code and a redacted text only, and nothing here logs a URL.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from watcharr.domain.extraction_errors import readable_message, redact_secrets
from watcharr.domain.links.youtube import CANONICAL_WATCH_URL
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.settings import Settings

MAX_IDS_PER_CALL = 50
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
USER_AGENT = "watcharr"
# Largest first: the list shows the best picture YouTube has for the video.
THUMBNAIL_SIZES = ("maxres", "standard", "high", "medium", "default")
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class YouTubeApiError(Exception):
    """The Data API did not answer usefully; ``reason`` is YouTube's reason code (e.g. quotaExceeded)."""

    def __init__(self, message: str, *, status: int | None, reason: str, retryable: bool) -> None:
        super().__init__(redact_secrets(message))
        self.status = status
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class PlaylistPage:
    """Video ids of a playlist in its order and the total YouTube reports."""

    video_ids: list[str]
    total: int | None


def get_json(url: str, timeout: float) -> Any:
    """GET a JSON document; raises YouTubeApiError with the API's own reason on an HTTP error."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        # URLError's text is the socket error, never the URL; redacted all the same.
        reason = getattr(exc, "reason", exc)
        raise YouTubeApiError(
            f"could not reach the API: {reason}", status=None, reason="network", retryable=True
        ) from None
    except ValueError:
        raise YouTubeApiError(
            "the API answered with invalid JSON", status=None, reason="badJson", retryable=True
        ) from None


def _http_error(exc: urllib.error.HTTPError) -> YouTubeApiError:
    status = exc.code
    reason, message = f"http{status}", f"HTTP {status}"
    try:
        error = json.loads(exc.read(MAX_ERROR_BODY_BYTES)).get("error") or {}
        details = error.get("errors") or [{}]
        reason = str(details[0].get("reason") or error.get("status") or reason)
        message = readable_message(str(error.get("message") or message))
    except (ValueError, AttributeError, OSError):
        pass
    finally:
        exc.close()
    retryable = status >= 500 or status == 429 or reason in {"rateLimitExceeded", "userRateLimitExceeded"}
    return YouTubeApiError(f"{reason}: {message}", status=status, reason=reason, retryable=retryable)


def _call(settings: Settings, api_key: str, resource: str, params: dict[str, str]) -> dict[str, Any]:
    url = f"{settings.youtube_api_url.rstrip('/')}/{resource}?{urlencode({**params, 'key': api_key})}"
    answer = get_json(url, settings.socket_timeout)
    if not isinstance(answer, dict):
        raise YouTubeApiError(
            "the API answered with something else than an object",
            status=None,
            reason="badJson",
            retryable=True,
        )
    return answer


def iso8601_seconds(duration: str | None) -> int | None:
    """Seconds of an ISO-8601 duration as the API gives it ("PT1H2M3S", "P1DT2S"); None for "P0D"."""
    match = _DURATION.match(duration or "")
    if match is None:
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = round(
        parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )  # fmt: skip
    # Live streams and premieres that have not started report P0D: the length is not known yet.
    return seconds or None


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def media_from_video(item: dict[str, Any], *, is_short: bool = False) -> MediaMetadata:
    """The episode fields of one ``videos`` resource (parts snippet, contentDetails, statistics)."""
    video_id = str(item["id"])
    snippet = item.get("snippet") or {}
    thumbnails = snippet.get("thumbnails") or {}
    thumbnail = next((thumbnails[s]["url"] for s in THUMBNAIL_SIZES if s in thumbnails), None)
    published = str(snippet.get("publishedAt") or "")[:10] or None
    channel_id = snippet.get("channelId")
    return MediaMetadata(
        media_key=f"youtube:{video_id}",
        type="video",
        title=str(snippet.get("title") or video_id),
        url=CANONICAL_WATCH_URL.format(video_id),
        description=snippet.get("description") or None,
        duration=iso8601_seconds((item.get("contentDetails") or {}).get("duration")),
        thumbnail_url=thumbnail,
        upload_date=published,
        published_date=published,
        view_count=_int((item.get("statistics") or {}).get("viewCount")),
        is_short=is_short,
        channel=ChannelInfo(
            id=str(channel_id),
            type="video",
            name=snippet.get("channelTitle") or None,
            url=f"https://www.youtube.com/channel/{channel_id}",
        )
        if channel_id
        else None,
    )


def fetch_videos(
    video_ids: Sequence[str], api_key: str, settings: Settings, *, shorts: frozenset[str] = frozenset()
) -> dict[str, MediaMetadata]:
    """Metadata of each id the API returns (at most 50 per call); private, removed and unknown ids are
    simply absent. ``shorts`` are the ids that were shared as /shorts/ links."""
    if len(video_ids) > MAX_IDS_PER_CALL:
        raise ValueError(f"at most {MAX_IDS_PER_CALL} ids per call, got {len(video_ids)}")
    if not video_ids:
        return {}
    answer = _call(
        settings,
        api_key,
        "videos",
        {"part": "snippet,contentDetails,statistics", "id": ",".join(video_ids), "maxResults": "50"},
    )
    found: dict[str, MediaMetadata] = {}
    for item in answer.get("items") or []:
        if isinstance(item, dict) and item.get("id") in video_ids:
            found[item["id"]] = media_from_video(item, is_short=item["id"] in shorts)
    return found


def _playlist_pages(
    playlist_id: str, api_key: str, settings: Settings, limit: int
) -> Iterator[dict[str, Any]]:
    token: str | None = None
    fetched = 0
    while fetched < limit:
        params = {"part": "contentDetails", "playlistId": playlist_id, "maxResults": "50"}
        answer = _call(
            settings, api_key, "playlistItems", {**params, **({"pageToken": token} if token else {})}
        )
        yield answer
        fetched += len(answer.get("items") or [])
        token = answer.get("nextPageToken")
        if not token or not answer.get("items"):
            return


def list_playlist_videos(playlist_id: str, api_key: str, settings: Settings, limit: int) -> PlaylistPage:
    """The first ``limit`` video ids of a playlist, one call per 50 (playlistItems.list)."""
    ids: list[str] = []
    total: int | None = None
    for page in _playlist_pages(playlist_id, api_key, settings, limit):
        total = _int((page.get("pageInfo") or {}).get("totalResults"))
        for item in page.get("items") or []:
            video_id = (item.get("contentDetails") or {}).get("videoId")
            if video_id and len(ids) < limit:
                ids.append(str(video_id))
    return PlaylistPage(video_ids=ids, total=total)
