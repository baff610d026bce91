"""YouTube channels and playlists followed like podcasts: links, feed URLs and channel pages.

Pure code (no network, no database); ``adapters/youtube_channels.py`` does the fetching.

Links. ``parse_channel_link`` reduces every shared form of a channel or playlist link to a
``ChannelRef``: ``/channel/UC…`` and the feed URLs carry the id itself; ``/@handle``, ``/c/name`` and
``/user/name`` only name the channel, which must then be looked up (its page, or the Data API). Hosts
www., m. and music. are the same site; tabs (/videos, /shorts, /featured…) and share junk (?si=) are
dropped, since every tab of a channel has the one uploads feed.

Feeds. ``feed_url`` gives the Atom feed of a resolved channel (``/feeds/videos.xml?channel_id=UC…``)
or playlist (``?playlist_id=…``); ``domain/youtube_channel_feed.py`` reads it.

Pages. ``channel_id_from_page`` reads the id from a channel page's HTML (canonical link, og:url,
``itemprop`` channelId, RSS link, ytInitialData), or says plainly why it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from watcharr.domain.links.youtube import CANONICAL_PLAYLIST_URL
from watcharr.limits import MAX_URL_LENGTH

YOUTUBE_SITE = "https://www.youtube.com"
FEED_PATH = "/feeds/videos.xml"
CHANNEL_URL = "https://www.youtube.com/channel/{}"

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_SHORT_LINK_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_CHANNEL_ID_RE = re.compile(r"UC[A-Za-z0-9_-]{22}")
_PLAYLIST_ID_RE = re.compile(r"[A-Za-z0-9_-]{10,64}")
# YouTube handles are 3 to 30 letters (any script), digits, "_", "-" or "."; custom and user names
# of the older URL forms follow looser rules of their own.
_HANDLE_RE = re.compile(r"@[\w.-]{3,30}")
_NAME_RE = re.compile(r"[\w.-]{1,100}")
_SHOWN_CHARS = 100

RefKind = Literal["channel", "playlist"]
# How a channel without an id in its link is named: "/@handle", "/c/name" or "/user/name".
Lookup = Literal["handle", "custom", "user"]
_LOOKUP_PREFIX: dict[Lookup, str] = {"handle": "", "custom": "c/", "user": "user/"}


class ChannelLinkError(ValueError):
    """A link that names no channel or playlist to follow; ``reason`` says why, in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChannelPageError(ValueError):
    """A channel page from which no channel id can be read; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChannelRef:
    """A followed channel or playlist: its id when known, else the name to look the channel up by.

    ``name`` keeps the handle with its ``@`` (``@BlenderOfficial``), or the ``/c/`` or ``/user/`` name.
    """

    kind: RefKind
    channel_id: str | None = None
    playlist_id: str | None = None
    lookup: Lookup | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "playlist" and not is_playlist_id(self.playlist_id or ""):
            raise ValueError(f"a playlist reference needs a valid playlist id, not {self.playlist_id!r}")
        if self.kind == "channel":
            if self.channel_id is not None and not is_channel_id(self.channel_id):
                raise ValueError(f"{self.channel_id!r} is not a YouTube channel id")
            if self.channel_id is None and (self.lookup is None or not self.name):
                raise ValueError("a channel reference needs a channel id or a name to look it up by")

    @property
    def resolved(self) -> bool:
        """Whether the feed URL is known (a channel id or a playlist id)."""
        return self.kind == "playlist" or self.channel_id is not None


def is_channel_id(value: str) -> bool:
    """Whether ``value`` is a channel id: ``UC`` and 22 letters, digits, ``-`` or ``_``."""
    return _CHANNEL_ID_RE.fullmatch(value) is not None


def is_playlist_id(value: str) -> bool:
    """Whether ``value`` looks like a playlist id (10 to 64 letters, digits, ``-`` or ``_``)."""
    return _PLAYLIST_ID_RE.fullmatch(value) is not None


def with_channel_id(ref: ChannelRef, channel_id: str) -> ChannelRef:
    """``ref`` once its channel has been looked up (the name is kept for messages)."""
    return ChannelRef(kind="channel", channel_id=channel_id, lookup=ref.lookup, name=ref.name)


# ---- links --------------------------------------------------------------------------------------


def _show(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _query(query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query.replace("&amp;", "&")).items() if values[0]}


def _channel_id(raw: str, link: str) -> ChannelRef:
    if not is_channel_id(raw):
        raise ChannelLinkError(
            f'{_show(link)} has an invalid channel id "{_show(raw)}"; a channel id is "UC" and 22 letters, '
            "digits, '-' or '_'"
        )
    return ChannelRef(kind="channel", channel_id=raw)


def _playlist(raw: str, link: str) -> ChannelRef:
    # A Mix (RD…, but for the fixed RDCLAK5uy_ albums) is generated per viewer and has no feed.
    if raw.startswith("RD") and not raw.startswith("RDCLAK5uy_"):
        raise ChannelLinkError(
            f"{_show(link)} is a YouTube Mix, generated for each viewer; it cannot be followed"
        )
    if not is_playlist_id(raw):
        raise ChannelLinkError(f'{_show(link)} has an invalid playlist id "{_show(raw)}"')
    return ChannelRef(kind="playlist", playlist_id=raw)


def _named(lookup: Lookup, raw: str, link: str) -> ChannelRef:
    pattern = _HANDLE_RE if lookup == "handle" else _NAME_RE
    if pattern.fullmatch(raw) is None:
        what = "handle" if lookup == "handle" else "channel name"
        raise ChannelLinkError(f'{_show(link)} has an invalid {what} "{_show(raw)}"')
    return ChannelRef(kind="channel", lookup=lookup, name=raw)


def _bare(text: str) -> ChannelRef | None:
    """A channel given without a link: ``@handle`` or a ``UC…`` id."""
    if text.startswith("@"):
        return _named("handle", text, text)
    if is_channel_id(text):
        return ChannelRef(kind="channel", channel_id=text)
    return None


def parse_channel_link(text: str) -> ChannelRef:
    """The channel or playlist a shared link (or a bare ``@handle`` or ``UC…`` id) names.

    Raises ``ChannelLinkError`` for anything else: another site, a video link without a playlist, a
    malformed id or handle, a Mix.
    """
    link = text.strip()
    if not link:
        raise ChannelLinkError("the link is empty; share a YouTube channel or playlist link")
    if len(link) > MAX_URL_LENGTH:
        raise ChannelLinkError(
            f"the link is {len(link)} characters long, more than the {MAX_URL_LENGTH} allowed"
        )
    bare = _bare(link)
    if bare is not None:
        return bare
    try:
        # "youtube.com/@name" as typed, without a scheme.
        parts = urlsplit(link if "://" in link else "https://" + link)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        raise ChannelLinkError(f"{_show(link)} is not a valid web address") from None
    if host in _SHORT_LINK_HOSTS:
        raise ChannelLinkError(
            f"{_show(link)} is a video, not a channel; share the channel's link to follow it"
        )
    if parts.scheme.lower() not in ("http", "https") or host not in _YOUTUBE_HOSTS or "@" in parts.netloc:
        raise ChannelLinkError(
            f"{_show(link)} is not a YouTube link; share a YouTube channel or playlist link"
        )
    segments = [unquote(s) for s in parts.path.split("/") if s]
    first = segments[0] if segments else ""
    second = segments[1] if len(segments) > 1 else ""
    query = _query(parts.query)

    if first.startswith("@"):
        return _named("handle", first, link)
    if first == "channel" and second:
        return _channel_id(second, link)
    if first in ("c", "user") and second:
        return _named("custom" if first == "c" else "user", second, link)
    if parts.path.rstrip("/") == FEED_PATH:
        if "channel_id" in query:
            return _channel_id(query["channel_id"], link)
        if "playlist_id" in query:
            return _playlist(query["playlist_id"], link)
        if "user" in query:
            return _named("user", query["user"], link)
        raise ChannelLinkError(f"{_show(link)} is a feed link without a channel_id or playlist_id")
    if first in ("playlist", "watch", "") and "list" in query:
        return _playlist(query["list"], link)
    if first in ("watch", "shorts", "live", "embed", "v"):
        raise ChannelLinkError(
            f"{_show(link)} is a video, not a channel; share the channel's link to follow it"
        )
    raise ChannelLinkError(
        f"{_show(link)} is not a channel or playlist link; share a link such as youtube.com/@name, "
        "youtube.com/channel/UC… or youtube.com/playlist?list=…"
    )


def channel_page_url(ref: ChannelRef, site_url: str = YOUTUBE_SITE) -> str:
    """The page of the channel (``/@handle``, ``/c/name``, ``/user/name`` or ``/channel/UC…``)."""
    base = site_url.rstrip("/")
    if ref.channel_id is not None:
        return f"{base}/channel/{ref.channel_id}"
    if ref.kind == "playlist":
        return f"{base}/playlist?list={ref.playlist_id}"
    prefix = _LOOKUP_PREFIX[ref.lookup or "handle"]
    return f"{base}/{prefix}{quote(ref.name or '', safe='@')}"


def canonical_url(ref: ChannelRef) -> str:
    """The link shown for a followed channel or playlist on www.youtube.com."""
    if ref.kind == "playlist":
        return CANONICAL_PLAYLIST_URL.format(ref.playlist_id)
    return channel_page_url(ref)


def feed_url(ref: ChannelRef, site_url: str = YOUTUBE_SITE) -> str:
    """The Atom feed of a resolved channel or playlist; ``ValueError`` if the channel id is unknown."""
    base = site_url.rstrip("/") + FEED_PATH
    if ref.kind == "playlist":
        return f"{base}?playlist_id={ref.playlist_id}"
    if ref.channel_id is None:
        raise ValueError(f"the channel {ref.name} has not been looked up yet; its feed URL is unknown")
    return f"{base}?channel_id={ref.channel_id}"


# ---- channel pages ---------------------------------------------------------------------------------

_ID_IN_URL_RE = re.compile(r"(?:/channel/|[?&]channel_id=)(UC[A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])")
# ytInitialData: metadata.channelMetadataRenderer.externalId is the page's own channel; "channelId"
# also names other channels (featured ones, video owners), so it is the last resort.
_JSON_IDS_RE = (
    re.compile(r'"externalId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"'),
    re.compile(r'"channelId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"'),
)
_CONSENT_RE = re.compile(r"consent\.youtube\.com|Before you continue to YouTube", re.IGNORECASE)


def channel_id_in_url(url: str) -> str | None:
    """The channel id in a ``/channel/UC…`` or ``?channel_id=UC…`` URL, else None."""
    match = _ID_IN_URL_RE.search(url)
    return match.group(1) if match else None


class _PageMarks(HTMLParser):
    """The channel id candidates a channel page's <link> and <meta> tags carry, by kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: dict[str, str] = {}

    def _mark(self, kind: str, value: str | None) -> None:
        if value:
            self.marks.setdefault(kind, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value for name, value in attrs}
        rel = (values.get("rel") or "").lower()
        if tag == "link" and rel == "canonical":
            self._mark("canonical", values.get("href"))
        elif tag == "link" and rel == "alternate" and "rss" in (values.get("type") or ""):
            self._mark("rss", values.get("href"))
        elif tag == "meta" and (values.get("property") or "").lower() == "og:url":
            self._mark("og_url", values.get("content"))
        elif tag == "meta" and (values.get("itemprop") or "") in ("channelId", "identifier"):
            self._mark("itemprop", values.get("content"))

    handle_startendtag = handle_starttag


def channel_id_from_page(html: str | bytes) -> str:
    """The channel id of a channel page: its canonical link, og:url, ``itemprop`` channelId or
    identifier, RSS link, then ``externalId`` or ``channelId`` in ytInitialData, first found wins.

    Raises ``ChannelPageError`` ("the page has no channel id", or that it is YouTube's cookie consent
    page) when none of them holds one.
    """
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    parser = _PageMarks()
    parser.feed(text)
    parser.close()
    for kind in ("canonical", "og_url", "itemprop", "rss"):
        value = parser.marks.get(kind, "")
        if kind == "itemprop" and is_channel_id(value):
            return value
        if found := channel_id_in_url(value):
            return found
    for pattern in _JSON_IDS_RE:
        if match := pattern.search(text):
            return match.group(1)
    if _CONSENT_RE.search(text):
        raise ChannelPageError(
            "YouTube answered with its cookie consent page instead of the channel; the page has no channel id"
        )
    raise ChannelPageError("the page has no channel id (no canonical link, og:url or channelId in it)")
