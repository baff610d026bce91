"""Apple Podcasts links: an episode link is added (its key ``apple-episode:<id>``); a show link is
something to subscribe to, not to add."""

from __future__ import annotations

import re
from urllib.parse import quote

from watcharr.domain.links.cleaning import (
    SAFE_PATH,
    MediaLink,
    Parts,
    UnsupportedLink,
    query_value,
    shown,
    split_url,
)
from watcharr.domain.links.hosts import APPLE_PODCAST_HOSTS
from watcharr.domain.links.text import find_url

_APPLE_SHOW_ID_RE = re.compile(r"id(\d{1,20})")
_APPLE_EPISODE_ID_RE = re.compile(r"\d{1,20}")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")


def apple_podcast_ids(url: str) -> tuple[str, str | None] | None:
    """(show id, episode id or None) of an Apple Podcasts link; None for anything else.

    Episode links without the show's ``id<N>`` segment (``/podcast/<slug>?i=<M>``) also give None:
    they cannot be turned into a subscription.
    """
    found = find_url(url)
    if found is None:
        return None
    try:
        parts = split_url(found)
    except UnsupportedLink:
        return None
    segments = _apple_podcast_segments(parts)
    if segments is None:
        return None
    show_id = _apple_show_id(segments)
    if show_id is None:
        return None
    episode = query_value(parts.query, "i")
    return show_id, episode if episode and _APPLE_EPISODE_ID_RE.fullmatch(episode) else None


def _apple_podcast_segments(parts: Parts) -> list[str] | None:
    """Path segments after ``[<country>/]podcast/``, or None when it is not a podcast page."""
    if parts.host not in APPLE_PODCAST_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments and _COUNTRY_RE.fullmatch(segments[0]):
        segments = segments[1:]
    if not segments or segments[0].lower() != "podcast":
        return None
    return segments[1:]


def _apple_show_id(segments: list[str]) -> str | None:
    return next((m.group(1) for s in segments if (m := _APPLE_SHOW_ID_RE.fullmatch(s))), None)


def apple_link(parts: Parts, url: str) -> MediaLink:
    """The episode an Apple Podcasts link names, or UnsupportedLink (a show, another page)."""
    segments = _apple_podcast_segments(parts)
    if segments is None:
        raise UnsupportedLink(
            f"{shown(url)} is an Apple Podcasts page that is not an episode; "
            "share an episode, or subscribe to a show with POST /api/podcasts"
        )
    episode = query_value(parts.query, "i")
    if episode is None:
        if _apple_show_id(segments) is None:
            raise UnsupportedLink(f"{shown(url)} names neither a podcast show nor an episode")
        raise UnsupportedLink(
            f"{shown(url)} is a podcast show, not an episode; "
            "to follow it, subscribe with POST /api/podcasts instead"
        )
    if not _APPLE_EPISODE_ID_RE.fullmatch(episode):
        raise UnsupportedLink(f'{shown(url)} has an invalid episode id "{shown(episode, 20)}"')
    # Apple serves every country and the legacy iTunes host from podcasts.apple.com; the path
    # (country, slug, show id) is kept because the extractor reads the country from it.
    path = quote(parts.path.rstrip("/"), safe=SAFE_PATH)
    return MediaLink(
        url=f"https://podcasts.apple.com{path}?i={episode}",
        kind="apple_episode",
        media_key=f"apple-episode:{episode}",
    )
