"""YouTube's oEmbed endpoint: the last resort for a video's title, channel and picture.

It needs no key and is not bot-checked, but tells little: no duration, description, date or view
count, and the channel only by its URL. Episodes described by it are saved as partial and completed
by a later refresh.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from watcharr.adapters.youtube_data_api import YouTubeApiError, get_json
from watcharr.domain.links.youtube import CANONICAL_WATCH_URL
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.settings import Settings


class OEmbedError(Exception):
    """oEmbed did not describe the video; ``not_public`` when YouTube says it has no such public video."""

    def __init__(self, message: str, *, not_public: bool, retryable: bool) -> None:
        super().__init__(message)
        self.not_public = not_public
        self.retryable = retryable


def _channel(author_url: str | None, author_name: str | None) -> ChannelInfo | None:
    if not author_url:
        return None
    # oEmbed names the channel by its handle URL (https://www.youtube.com/@name); the handle stands in
    # for the UC… id, as yt-dlp's uploader_id does when it has no channel id.
    handle = urlsplit(author_url).path.strip("/").split("/")[-1] or author_url
    return ChannelInfo(id=handle, type="video", name=author_name or None, url=author_url)


def fetch_oembed(video_id: str, settings: Settings, *, is_short: bool = False) -> MediaMetadata:
    """What oEmbed says about one video, marked partial. Raises OEmbedError."""
    watch_url = CANONICAL_WATCH_URL.format(video_id)
    url = f"{settings.youtube_oembed_url}?{urlencode({'url': watch_url, 'format': 'json'})}"
    try:
        answer = get_json(url, settings.socket_timeout)
    except YouTubeApiError as exc:
        # 404: no such video; 401/403: private or not embeddable, which oEmbed does not tell apart.
        not_public = exc.status == 404
        raise OEmbedError(f"oEmbed: {exc.reason}", not_public=not_public, retryable=exc.retryable) from None
    if not isinstance(answer, dict) or not answer.get("title"):
        raise OEmbedError("oEmbed: no title in the answer", not_public=False, retryable=False)
    return MediaMetadata(
        media_key=f"youtube:{video_id}",
        type="video",
        title=str(answer["title"]),
        url=watch_url,
        thumbnail_url=answer.get("thumbnail_url") or None,
        is_short=is_short,
        channel=_channel(answer.get("author_url"), answer.get("author_name")),
        partial=True,
    )
