"""YouTube channel and playlist feeds: the Atom body in, uploads to store out (pure: no network).

YouTube publishes an Atom feed of the 15 newest uploads of every channel
(``/feeds/videos.xml?channel_id=UC…``) and of every playlist (``?playlist_id=…``). feedparser reads its
YouTube elements as ``yt_videoid``, ``yt_channelid``, ``media_thumbnail``, ``media_statistics``
(views) and ``media_starrating``, and ``media:description`` as the entry's ``summary``. The feed has
no duration, so an upload stored from it is partial and completed later by the refresh path, as
oEmbed results are. A Short is told by its entry's ``/shorts/`` link. The body passes the same entity
guard as podcast feeds (``domain/feeds.py``) before feedparser sees it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from watcharr.domain.feeds import (
    DESCRIPTION_MAX_CHARS,
    TITLE_MAX_CHARS,
    FeedParseError,
    feed_item_key_hash,
    refuse_entities,
)
from watcharr.domain.links.youtube import CANONICAL_SHORTS_URL, CANONICAL_WATCH_URL
from watcharr.domain.youtube_channels import CHANNEL_URL, channel_id_in_url, is_channel_id
from watcharr.models.media import ChannelInfo, MediaMetadata

_VIDEO_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")


@dataclass(frozen=True)
class ChannelUpload:
    """One entry of a channel or playlist feed: the video id, its key hash and what to store."""

    video_id: str
    key_hash: str
    media: MediaMetadata
    published_ts: float | None


@dataclass(frozen=True)
class ChannelFeed:
    """A parsed channel or playlist feed: its channel, title and uploads newest first."""

    title: str | None
    channel: ChannelInfo | None
    playlist_id: str | None
    uploads: list[ChannelUpload] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _one_line(value: object, limit: int) -> str | None:
    text = " ".join(str(value or "").split())
    return (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") or None


def _multiline(value: object, limit: int) -> str | None:
    # Descriptions are plain text; keep their lines, but no run of blank lines.
    lines = [line.rstrip() for line in str(value or "").strip().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") or None


def _count(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _when(entry: Any) -> datetime | None:
    # dict.get: FeedParserDict.get("updated…") falls back to "published…" with a DeprecationWarning.
    parsed = entry.get("published_parsed") or dict.get(entry, "updated_parsed")
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


def _http_url(value: object) -> str | None:
    text = str(value or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") else None


def _full_channel_id(raw: object) -> str | None:
    # Feeds have been seen with the feed-level yt:channelId stripped of its "UC" prefix.
    text = str(raw or "").strip()
    if len(text) == 22 and is_channel_id("UC" + text):
        text = "UC" + text
    return text if is_channel_id(text) else None


def _author_channel(facts: Any, channel_id: str | None) -> ChannelInfo | None:
    if channel_id is None:
        channel_id = channel_id_in_url(str((facts.get("author_detail") or {}).get("href") or ""))
    if channel_id is None:
        return None
    name = _one_line(facts.get("author") or (facts.get("author_detail") or {}).get("name"), TITLE_MAX_CHARS)
    return ChannelInfo(id=channel_id, type="video", name=name, url=CHANNEL_URL.format(channel_id))


def media_from_feed_entry(entry: Any, channel: ChannelInfo | None = None) -> MediaMetadata | None:
    """The episode fields of one feed entry as feedparser gives it; None without a valid video id.

    From the entry: ``yt_videoid`` (media key ``youtube:<id>`` and URL), ``title``, ``summary`` (the
    ``media:description``), ``published`` (upload and published date, ``YYYY-MM-DD`` as the other
    YouTube paths store them), ``media_thumbnail``, ``media_statistics`` views, the ``link`` (a
    ``/shorts/`` one marks a Short) and ``yt_channelid`` + author (the channel; ``channel`` stands in
    when the entry names none). The feed has no duration, so the result is always partial.
    """
    video_id = str(entry.get("yt_videoid") or "").strip()
    if _VIDEO_ID_RE.fullmatch(video_id) is None:
        return None
    is_short = urlsplit(str(entry.get("link") or "")).path.startswith("/shorts/")
    when = _when(entry)
    day = when.strftime("%Y-%m-%d") if when else None
    thumbnails = entry.get("media_thumbnail") or []
    thumbnail = next((url for t in thumbnails if (url := _http_url(t.get("url")))), None)
    return MediaMetadata(
        media_key=f"youtube:{video_id}",
        type="video",
        title=_one_line(entry.get("title"), TITLE_MAX_CHARS) or video_id,
        url=(CANONICAL_SHORTS_URL if is_short else CANONICAL_WATCH_URL).format(video_id),
        description=_multiline(entry.get("summary"), DESCRIPTION_MAX_CHARS),
        thumbnail_url=thumbnail,
        upload_date=day,
        published_date=day,
        view_count=_count((entry.get("media_statistics") or {}).get("views")),
        is_short=is_short,
        channel=_author_channel(entry, _full_channel_id(entry.get("yt_channelid"))) or channel,
        partial=True,
    )


def parse_channel_feed(body: bytes, feed_url: str) -> ChannelFeed:
    """Parse a YouTube channel or playlist feed into uploads, newest first.

    Entries without a valid ``yt:videoId`` are skipped with a warning; a body that is no Atom feed, or
    declares XML entities (refused as ``domain/feeds.py`` refuses them), raises ``FeedParseError``.
    """
    refuse_entities(body, feed_url)
    try:
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:
        # feedparser itself crashes on some damaged markup.
        raise FeedParseError(f"{feed_url} is too damaged to read ({type(exc).__name__})") from exc
    if not parsed.get("version"):
        raise FeedParseError(f"{feed_url} is not a YouTube feed (no Atom <feed> in the answer)")
    warnings: list[str] = []
    if parsed.get("bozo"):
        warnings.append(
            f"the feed is not well-formed ({parsed.get('bozo_exception')}); read what could be recovered"
        )
    facts = parsed.feed
    channel_id = _full_channel_id(facts.get("yt_channelid"))
    if channel_id is None:
        channel_id = channel_id_in_url(str(facts.get("link") or ""))
    channel = _author_channel(facts, channel_id)
    playlist_id = str(facts.get("yt_playlistid") or "").strip() or None

    uploads: list[ChannelUpload] = []
    seen: set[str] = set()
    skipped = 0
    for entry in parsed.entries:
        media = media_from_feed_entry(entry, channel)
        if media is None:
            skipped += 1
            continue
        video_id = media.media_key.removeprefix("youtube:")
        if video_id in seen:
            continue
        seen.add(video_id)
        when = _when(entry)
        uploads.append(
            ChannelUpload(video_id, feed_item_key_hash(video_id), media, when.timestamp() if when else None)
        )
    if skipped:
        warnings.append(f"{skipped} entry(ies) have no valid yt:videoId and were skipped")
    dated = sorted((u for u in uploads if u.published_ts is not None), key=lambda u: -(u.published_ts or 0))
    undated = [u for u in uploads if u.published_ts is None]
    title = _one_line(facts.get("title"), TITLE_MAX_CHARS)
    return ChannelFeed(title, channel, playlist_id, dated + undated, warnings)


def select_new_uploads(
    feed: ChannelFeed, known_keys: set[str], backfill: int | None, *, include_shorts: bool
) -> list[ChannelUpload]:
    """Uploads whose key hash is not in ``known_keys``, newest first, Shorts left out unless
    ``include_shorts``: all of them when ``backfill`` is None, else only the newest ``backfill``."""
    unknown = [
        upload
        for upload in feed.uploads
        if upload.key_hash not in known_keys and (include_shorts or not upload.media.is_short)
    ]
    return unknown if backfill is None else unknown[: max(backfill, 0)]
