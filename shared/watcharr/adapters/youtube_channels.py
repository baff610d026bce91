"""Look up the channel id of a followed YouTube link that only names the channel (@handle, /c/, /user/).

With a Data API key, ``channels.list`` answers a handle (``forHandle``) or a user name (``forUsername``)
for one quota unit and without a bot check. Without a key, for ``/c/`` names (the API cannot look them
up), or when the API fails, the channel page is fetched through the podcast feeds' own guarded client
(``feed_http.fetch_feed``: SSRF guard on every hop, byte cap, total deadline) and its canonical link or
``channelId`` is read. Every failure is a ``ChannelLookupError`` whose reason can be shown as it is.
"""

from __future__ import annotations

from urllib.parse import urlencode

from watcharr.adapters.feed_http import FeedFetchError, fetch_feed
from watcharr.adapters.youtube_data_api import YouTubeApiError, get_json
from watcharr.domain.youtube_channels import (
    YOUTUBE_SITE,
    ChannelPageError,
    ChannelRef,
    channel_id_from_page,
    channel_page_url,
    is_channel_id,
    with_channel_id,
)
from watcharr.observability import logger
from watcharr.settings import Settings

# The page answers that mean the channel does not exist (YouTube answers 404 for an unknown handle).
_GONE_STATUSES = ("HTTP 404", "HTTP 410")


class ChannelLookupError(Exception):
    """The channel could not be looked up; ``reason`` is shown to the user, ``retryable`` drives retries."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def _described(ref: ChannelRef) -> str:
    if ref.lookup == "handle":
        return f"the channel {ref.name}"
    return f"the channel named {ref.name!r}"


def lookup_with_data_api(ref: ChannelRef, api_key: str, settings: Settings) -> str:
    """The channel id of a handle or user name from ``channels.list`` (part=id). Raises
    ``ChannelLookupError`` when YouTube has no such channel, ``YouTubeApiError`` when the API fails."""
    by = "forHandle" if ref.lookup == "handle" else "forUsername"
    params = urlencode({"part": "id", by: ref.name or "", "key": api_key})
    answer = get_json(f"{settings.youtube_api_url.rstrip('/')}/channels?{params}", settings.socket_timeout)
    items = answer.get("items") if isinstance(answer, dict) else None
    if not items:
        # channels.list answers an unknown handle with 200 and no items.
        raise ChannelLookupError(f"YouTube has no channel {ref.name}", retryable=False)
    first = items[0] if isinstance(items, list) and isinstance(items[0], dict) else {}
    channel_id = str(first.get("id") or "")
    if not is_channel_id(channel_id):
        raise YouTubeApiError(
            "channels.list answered without a channel id", status=None, reason="badJson", retryable=True
        )
    return channel_id


def lookup_from_page(ref: ChannelRef, settings: Settings, site_url: str = YOUTUBE_SITE) -> str:
    """The channel id read from the channel's page on ``site_url``. Raises ``ChannelLookupError``."""
    page_url = channel_page_url(ref, site_url)
    try:
        page = fetch_feed(
            page_url,
            etag=None,
            last_modified=None,
            allow_private=settings.allow_private_network,
            timeout=settings.feed_timeout,
        )
    except FeedFetchError as exc:
        if exc.reason.startswith(_GONE_STATUSES):
            raise ChannelLookupError(
                f"{_described(ref)} does not exist on YouTube ({exc.reason})", retryable=False
            ) from exc
        raise ChannelLookupError(
            f"could not read the page of {_described(ref)}: {exc.reason}", retryable=exc.retryable
        ) from exc
    try:
        return channel_id_from_page(page.body)
    except ChannelPageError as exc:
        raise ChannelLookupError(f"{page_url}: {exc.reason}", retryable=False) from exc


def resolve_channel(
    ref: ChannelRef, settings: Settings, *, api_key: str | None, site_url: str = YOUTUBE_SITE
) -> ChannelRef:
    """``ref`` with its channel id: as it is when the link had one (playlists always do), else from the
    Data API when ``api_key`` is given and the name is a handle or user name, else from the page.

    An API that fails (quota, invalid key, network) falls back to the page; an API that says the
    channel does not exist does not. Raises ``ChannelLookupError`` with a readable reason.
    """
    if ref.resolved:
        return ref
    if api_key and ref.lookup in ("handle", "user"):
        try:
            return with_channel_id(ref, lookup_with_data_api(ref, api_key, settings))
        except YouTubeApiError as exc:
            logger.warning(
                "channels.list failed; reading the channel page instead",
                extra={"api_reason": exc.reason, "status": exc.status},
            )
    return with_channel_id(ref, lookup_from_page(ref, settings, site_url))
