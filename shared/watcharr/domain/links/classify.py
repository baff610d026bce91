"""A shared link reduced to the URL to fetch, its extraction kind and its dedup key (``MediaLink``)."""

from __future__ import annotations

from urllib.parse import urljoin

from watcharr.domain.links.apple import apple_link
from watcharr.domain.links.cleaning import (
    SHOWN_TEXT_CHARS,
    MediaLink,
    UnsupportedLink,
    generic_url,
    shown,
    split_url,
)
from watcharr.domain.links.hosts import APPLE_PODCAST_HOSTS, YOUTU_BE_HOSTS, YOUTUBE_API_HOST, is_youtube_host
from watcharr.domain.links.text import link_in_text
from watcharr.domain.links.youtube import youtube_link
from watcharr.limits import MAX_URL_LENGTH

# attribution_link, consent and redirect pages wrap another URL; more nesting than this is not real.
_MAX_UNWRAP_DEPTH = 3


def normalize_link(text: str) -> MediaLink:
    """The canonical link, extraction kind and dedup key of a shared link or share-sheet text.

    Raises UnsupportedLink, with a reason a person can act on, for anything that is not a link to
    a video, a playlist or a podcast episode.
    """
    return _classify(link_in_text(text), depth=0)


def youtube_video_id(url: str) -> str | None:
    """The 11-character id of a YouTube video link in any of its forms, else None."""
    try:
        link = normalize_link(url)
    except UnsupportedLink:
        return None
    if link.media_key is not None and link.media_key.startswith("youtube:"):
        return link.media_key.removeprefix("youtube:")
    return None


def _classify(url: str, depth: int) -> MediaLink:
    parts = split_url(url)
    if is_youtube_host(parts.host) or parts.host in YOUTU_BE_HOSTS or parts.host == YOUTUBE_API_HOST:
        return youtube_link(parts, url, depth, _unwrap)
    if parts.host in APPLE_PODCAST_HOSTS:
        return apple_link(parts, url)
    canonical = generic_url(parts)
    if len(canonical) > MAX_URL_LENGTH:
        raise UnsupportedLink(
            f"the link {shown(url, SHOWN_TEXT_CHARS)} is longer than the {MAX_URL_LENGTH} "
            "characters allowed once encoded"
        )
    return MediaLink(url=canonical, kind="video", media_key=None)


def _unwrap(inner: str | None, url: str, depth: int, what: str) -> MediaLink:
    """Classify the link a YouTube wrapper page (consent, attribution, redirect) points to."""
    if not inner or depth >= _MAX_UNWRAP_DEPTH:
        raise UnsupportedLink(f"{shown(url)} is a YouTube {what} without a usable link in it")
    try:
        target = urljoin("https://www.youtube.com/", inner.strip())
    except ValueError:  # urllib refuses a host with an unbalanced "[" or "]"
        raise UnsupportedLink(
            f"{shown(url)} is a YouTube {what} whose link is not a valid web address"
        ) from None
    return _classify(target, depth + 1)
