"""Apple Podcasts through the iTunes Search API's lookup endpoint: a show's feed URL and its episodes.

Apple's own pages need a token taken from their JavaScript; the lookup endpoint is public JSON:

- ``lookup?id=<show>`` answers the show (``kind`` "podcast") with its ``feedUrl``;
- ``lookup?id=<show>&entity=podcastEpisode&limit=200`` adds the show's 200 newest episodes (``kind``
  "podcast-episode": ``trackId`` is the ``?i=`` of an episode link, ``episodeGuid`` the feed item's
  ``<guid>``, plus ``episodeUrl``, ``trackName``, ``releaseDate``…);
- ``lookup?id=<episode>&entity=podcastEpisode`` answers one episode, also one older than those 200.

A ``country`` (the storefront of the shared link) is passed on, because a show may exist in one
storefront only. The GET itself is the feed client's (``fetch_feed``): the same SSRF guard, deadline,
size cap and readable errors as a feed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from watcharr import limits
from watcharr.adapters.feed_http import FeedFetchError, fetch_feed
from watcharr.domain.feeds import html_to_text
from watcharr.settings import Settings

# What the endpoint gives at most for one show; older episodes need a lookup of their own.
SHOW_EPISODES_LIMIT = 200
# 200 episodes with their descriptions are a few hundred KB; anything far larger is not a lookup answer.
LOOKUP_MAX_BYTES = 4 * 1024 * 1024
# Shorter than a feed's: an episode link may need two lookups and its feed within one extractor run.
LOOKUP_TIMEOUT_SECONDS = 10.0
DESCRIPTION_MAX_CHARS = limits.MAX_EPISODE_NOTES_LENGTH


class AppleLookupError(Exception):
    """The lookup failed; ``reason`` is shown to the user, ``retryable`` says whether later may work."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class AppleShow:
    """A show as the lookup describes it; ``feed_url`` is None for shows without a public feed."""

    show_id: str
    title: str | None
    feed_url: str | None
    artwork_url: str | None


@dataclass(frozen=True)
class AppleEpisode:
    """One episode as the lookup describes it; every field but the id may be missing."""

    episode_id: str
    show_id: str | None
    show_title: str | None
    title: str | None
    guid: str | None
    media_url: str | None
    page_url: str | None
    feed_url: str | None
    released: datetime | None
    duration: int | None
    description: str | None
    artwork_url: str | None


@dataclass(frozen=True)
class LookupResult:
    """A lookup answer: the show (None when the id names none) and the episodes listed with it."""

    show: AppleShow | None
    episodes: list[AppleEpisode] = field(default_factory=list)


def lookup_url(
    base: str, item_id: str, *, episodes: bool = False, limit: int | None = None, country: str | None = None
) -> str:
    """The lookup URL of a show or episode id; ``episodes`` asks for episodes (at most ``limit``)."""
    params: dict[str, str] = {"id": item_id}
    if episodes:
        params["entity"] = "podcastEpisode"
    if limit is not None:
        params["limit"] = str(limit)
    if country:
        params["country"] = country
    return f"{base}?{urlencode(params)}"


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _id(value: object) -> str | None:
    # Ids are JSON numbers; a string of digits is accepted too.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value.isdigit() else None


def _date(value: object) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _description(value: object) -> str | None:
    text = html_to_text(value) if isinstance(value, str) else ""
    if len(text) > DESCRIPTION_MAX_CHARS:
        text = text[: DESCRIPTION_MAX_CHARS - 1].rstrip() + "…"
    return text or None


def _show(result: dict[str, Any]) -> AppleShow | None:
    show_id = _id(result.get("collectionId")) or _id(result.get("trackId"))
    if show_id is None:
        return None
    return AppleShow(
        show_id=show_id,
        title=_text(result.get("collectionName")) or _text(result.get("trackName")),
        feed_url=_text(result.get("feedUrl")),
        artwork_url=_text(result.get("artworkUrl600")) or _text(result.get("artworkUrl100")),
    )


def _episode(result: dict[str, Any]) -> AppleEpisode | None:
    episode_id = _id(result.get("trackId"))
    if episode_id is None:
        return None
    millis = result.get("trackTimeMillis")
    seconds = round(millis / 1000) if isinstance(millis, int | float) and not isinstance(millis, bool) else 0
    return AppleEpisode(
        episode_id=episode_id,
        show_id=_id(result.get("collectionId")),
        show_title=_text(result.get("collectionName")),
        title=_text(result.get("trackName")),
        guid=_text(result.get("episodeGuid")),
        media_url=_text(result.get("episodeUrl")),
        page_url=_text(result.get("trackViewUrl")),
        feed_url=_text(result.get("feedUrl")),
        released=_date(result.get("releaseDate")),
        duration=seconds if seconds > 0 else None,
        description=_description(result.get("description")),
        artwork_url=_text(result.get("artworkUrl600")) or _text(result.get("artworkUrl160")),
    )


def parse_lookup(body: bytes) -> LookupResult:
    """The show and episodes in a lookup answer; raises AppleLookupError when it is not one."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise AppleLookupError("Apple Podcasts answered something that is not JSON", retryable=True) from exc
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise AppleLookupError("Apple Podcasts answered without a list of results", retryable=True)
    show: AppleShow | None = None
    episodes: list[AppleEpisode] = []
    for result in results:
        if not isinstance(result, dict):
            continue
        if result.get("kind") == "podcast-episode" or result.get("wrapperType") == "podcastEpisode":
            episode = _episode(result)
            if episode is not None:
                episodes.append(episode)
        elif result.get("kind") == "podcast" and show is None:
            show = _show(result)
    return LookupResult(show, episodes)


def _lookup(url: str, settings: Settings) -> LookupResult:
    try:
        response = fetch_feed(
            url,
            etag=None,
            last_modified=None,
            allow_private=settings.allow_private_network,
            timeout=min(settings.feed_timeout, LOOKUP_TIMEOUT_SECONDS),
            max_bytes=LOOKUP_MAX_BYTES,
        )
    except FeedFetchError as exc:
        raise AppleLookupError(f"Apple Podcasts lookup failed: {exc.reason}", exc.retryable) from exc
    return parse_lookup(response.body)


def lookup_show(
    show_id: str, settings: Settings, *, country: str | None = None, with_episodes: bool = False
) -> LookupResult:
    """The show ``show_id`` (and its newest episodes when ``with_episodes``) from the lookup endpoint."""
    url = lookup_url(
        settings.itunes_lookup_url,
        show_id,
        episodes=with_episodes,
        limit=SHOW_EPISODES_LIMIT if with_episodes else None,
        country=country,
    )
    return _lookup(url, settings)


def lookup_episode(episode_id: str, settings: Settings, *, country: str | None = None) -> AppleEpisode | None:
    """The episode ``episode_id`` on its own, or None when the lookup does not know it.

    Only a result whose ``trackId`` is that id counts: the endpoint may add the show or other episodes.
    """
    url = lookup_url(settings.itunes_lookup_url, episode_id, episodes=True, country=country)
    found = _lookup(url, settings)
    return next((e for e in found.episodes if e.episode_id == episode_id), None)
