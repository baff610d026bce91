"""Podcast feeds: bytes in, episodes out (pure: no network, no database).

Keys. Each item gets a stable key: its ``<guid>`` (Atom ``<id>``), else its enclosure URL, else its link,
else ``sha256:`` + the hash of title and date. ``feed_item_key_hash(key)`` (16 hex chars of sha256) is
what travels in messages (``FeedSync.known_keys``, ``FeedChecked.seen_keys``). An episode's
``media_key`` is ``podcast:<feed>:<key hash>`` where ``<feed>`` is ``feed_id_hash(feed_url)``, the first
12 hex chars of sha256 of the feed URL normalised (scheme and host lowercased, fragment dropped). So
the same item of the same subscription URL gets the same media key on every sync; callers pass the
subscription's URL, not the URL a redirect ended at, so a feed that moves keeps its keys.

Dates. ``published_date`` is the UTC instant ``YYYY-MM-DDTHH:MM:SSZ`` (domain/feed_values.py).

Safety. feedparser is given the body as a stream (given ``bytes`` it may open them as a file path), and a
body whose prolog declares XML entities is refused: feedparser drops most entity declarations, but it
keeps plain-text ones and, once expat gives up, its loose parser expands them itself, so a 100 KB
feed can grow into gigabytes (an entity "quadratic blow-up").
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
from feedparser.encodings import convert_to_utf8

from watcharr import limits
from watcharr.domain.feed_values import entry_datetime, parse_duration
from watcharr.models.media import ChannelInfo, MediaMetadata

DESCRIPTION_MAX_CHARS = limits.MAX_EPISODE_NOTES_LENGTH
TITLE_MAX_CHARS = limits.MAX_TITLE_LENGTH
UNTITLED = "Untitled episode"


class FeedParseError(ValueError):
    """The body is not a feed we can read (or is refused as unsafe); the message says why."""


@dataclass(frozen=True)
class FeedEpisode:
    """One item of a feed: its stable key, the key's short hash and the metadata to store."""

    key: str
    key_hash: str
    media: MediaMetadata
    published_ts: float | None


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: channel facts, episodes newest first, and what was odd about it."""

    title: str | None
    artwork_url: str | None
    link: str | None
    episodes: list[FeedEpisode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---- keys ---------------------------------------------------------------------------------------


def feed_item_key_hash(key: str) -> str:
    """The short hash of an episode key that messages carry: first 16 hex chars of its sha256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def normalize_feed_url(feed_url: str) -> str:
    """The feed URL as keys see it: scheme and host lowercased, fragment dropped."""
    parts = urlsplit(feed_url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


def feed_id_hash(feed_url: str) -> str:
    """12 hex chars identifying a feed URL in channel ids and media keys."""
    return hashlib.sha256(normalize_feed_url(feed_url).encode("utf-8")).hexdigest()[:12]


def podcast_media_key(feed_url: str, key_hash: str) -> str:
    """The media key of one episode: ``podcast:<feed_id_hash>:<key_hash>``."""
    return f"podcast:{feed_id_hash(feed_url)}:{key_hash}"


# ---- text -----------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
        "table", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN_TAGS = frozenset({"script", "style", "head", "template"})
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """HTML to plain text: tags dropped, entities decoded, block elements become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # In HTML a line break in the source is just a space; only block elements start lines.
        if not self._hidden:
            self.parts.append(_SPACES.sub(" ", data))


def _tidy(text: str) -> str:
    # Whitespace (NBSP included) collapses within a line; empty lines go.
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, paragraphs on their own lines."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return _tidy("".join(extractor.parts))


def _plain(detail: Any, value: str) -> str:
    kind = (detail or {}).get("type", "text/html")
    return _tidy(value) if kind == "text/plain" else html_to_text(value)


# ---- the feed ---------------------------------------------------------------------------------------

_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


def refuse_entities(body: bytes, feed_url: str) -> None:
    """Raise FeedParseError when an XML document (a feed, an OPML file) declares entities."""
    # Judge the text the way feedparser will decode it (UTF-16, EBCDIC… included), and look where it
    # looks for declarations: the prolog before the first element.
    utf8 = convert_to_utf8({}, body, {})
    first = _FIRST_ELEMENT.search(utf8)
    prolog = utf8[: first.start()] if first else utf8
    if _ENTITY_DECLARATION.search(prolog):
        raise FeedParseError(
            f"{feed_url} declares XML entities in its DOCTYPE; feeds never need them and they can "
            "expand into gigabytes, so the feed is refused"
        )


def _looks_like(body: bytes) -> str:
    head = body[:2048].lstrip()
    if not head:
        return "the response is empty"
    if head[:1] in (b"{", b"["):
        return "it looks like JSON"
    if re.search(rb"<html|<!doctype\s+html", head, re.IGNORECASE):
        return "it looks like an HTML page"
    if b"\x00" in head or head.decode("utf-8", "replace").count("\ufffd") > len(head) // 10:
        return "it looks like binary data"
    return "it has no <rss>, <feed> or <rdf:RDF> root element"


def _http_url(value: object, base: str) -> str | None:
    """An absolute http(s) URL, resolved against the feed URL, or None (javascript:, data:…)."""
    if not isinstance(value, str) or not value.strip():
        return None
    url = urljoin(base, value.strip())
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _enclosure_url(entry: Any, base: str) -> str | None:
    for enclosure in entry.get("enclosures") or []:
        url = _http_url(enclosure.get("href"), base)
        if url:
            return url
    return None


def _item_link(entry: Any, base: str) -> str | None:
    # Without <link>, feedparser takes the guid as the link; a guid such as "ep-12" is no URL, so
    # only an absolute one counts then.
    link = entry.get("link")
    if entry.get("guidislink") and not urlsplit(str(link or "")).scheme:
        return None
    return _http_url(link, base)


def _description(entry: Any) -> str | None:
    # The richer of the show notes (content:encoded) and the summary; both may carry HTML.
    candidates = [(c.get("value") or "", c) for c in entry.get("content") or []]
    candidates.append((entry.get("summary") or "", entry.get("summary_detail")))
    value, detail = max(candidates, key=lambda candidate: len(candidate[0]))
    text = _plain(detail, value) if value else ""
    return _cap(text, DESCRIPTION_MAX_CHARS) if text else None


def _title(entry: Any) -> str | None:
    """The one-line plain title of an item or of the channel."""
    raw = entry.get("title") or ""
    text = _plain(entry.get("title_detail"), raw).replace("\n", " ") if raw else ""
    return _cap(text, TITLE_MAX_CHARS) if text else None


def _item_key(entry: Any, enclosure: str | None, title: str | None, when: datetime | None) -> str:
    guid = (entry.get("id") or "").strip()
    link = (entry.get("link") or "").strip()
    if guid or enclosure or link:
        return guid or enclosure or link
    material = f"{title or ''}|{when.isoformat() if when else ''}"
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class _Item:
    key: str
    title: str | None
    url: str
    when: datetime | None
    entry: Any


def parse_feed(body: bytes, feed_url: str) -> ParsedFeed:
    """Parse an RSS or Atom feed into episodes, newest first (undated ones last, in feed order).

    A damaged feed yields what can be recovered, with a warning; a body that is no feed at all (HTML,
    JSON, binary, empty) or declares XML entities raises ``FeedParseError``.
    """
    refuse_entities(body, feed_url)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            # Every text is reduced to plain text and every URL resolved against feed_url below, so
            # feedparser's sanitising and URL rewriting inside HTML would be wasted work.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:
        # feedparser itself crashes on some damaged markup (a stray ``</width>`` raises TypeError).
        raise FeedParseError(
            f"{feed_url} is too damaged to read (the feed parser failed with {type(exc).__name__})"
        ) from exc
    if not parsed.get("version"):
        raise FeedParseError(f"{feed_url} is not an RSS or Atom feed ({_looks_like(body)})")
    warnings: list[str] = []
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        warnings.append(f"the feed is not well-formed ({problem}); read what could be recovered")
    channel_facts = parsed.feed
    title = _title(channel_facts)
    if title is None:
        warnings.append("the feed has no title")
    artwork = _http_url((channel_facts.get("image") or {}).get("href"), feed_url)
    link = _http_url(channel_facts.get("link"), feed_url)
    channel_description = _plain(
        channel_facts.get("summary_detail") or channel_facts.get("subtitle_detail"),
        channel_facts.get("summary") or channel_facts.get("subtitle") or "",
    )
    channel = ChannelInfo(
        id=f"podcast:{feed_id_hash(feed_url)}",
        type="podcast",
        name=title,
        url=link,
        thumbnail_url=artwork,
        description=_cap(channel_description, DESCRIPTION_MAX_CHARS) or None,
    )

    items: list[_Item] = []
    skipped = 0
    for entry in parsed.entries:
        enclosure = _enclosure_url(entry, feed_url)
        url = enclosure or _item_link(entry, feed_url)
        if url is None:
            skipped += 1
            continue
        when = entry_datetime(entry)
        item_title = _title(entry)
        items.append(_Item(_item_key(entry, enclosure, item_title, when), item_title, url, when, entry))
    if skipped:
        warnings.append(f"{skipped} item(s) have neither an enclosure nor a link and were skipped")
    items = _unique_keys(items, warnings)

    episodes = [_episode(item, feed_url, channel, artwork) for item in items]
    dated = sorted((e for e in episodes if e.published_ts is not None), key=lambda e: -(e.published_ts or 0))
    undated = [e for e in episodes if e.published_ts is None]
    if undated and dated:
        warnings.append(f"{len(undated)} episode(s) have no readable date and are listed last")
    return ParsedFeed(title, artwork, link, dated + undated, warnings)


def _unique_keys(items: list[_Item], warnings: list[str]) -> list[_Item]:
    """Keep items that repeat one another once, and give items that share a key keys of their own.

    Items equal in key, title and date are one episode listed twice. Different items sharing a key (a
    publisher's copy-paste guid) are told apart: feeds list the newest first, so walking from the
    bottom lets the item that was there first keep the plain key (already known to earlier syncs)
    and a later one gets a hash of its title and date appended.
    """
    seen_keys: set[str] = set()
    seen_items: set[tuple[str, str | None, datetime | None]] = set()
    kept: list[_Item] = []
    renamed = dropped = 0
    for item in reversed(items):
        identity = (item.key, item.title, item.when)
        if identity in seen_items:
            dropped += 1
            continue
        seen_items.add(identity)
        if item.key in seen_keys:
            stamp = item.when.isoformat() if item.when else ""
            item.key += "#" + hashlib.sha256(f"{item.title or ''}|{stamp}".encode()).hexdigest()[:12]
            renamed += 1
        seen_keys.add(item.key)
        kept.append(item)
    if renamed:
        warnings.append(f"{renamed} item(s) repeat another item's guid; told apart by title and date")
    if dropped:
        warnings.append(f"{dropped} item(s) are exact repeats and were kept once")
    kept.reverse()
    return kept


def _episode(item: _Item, feed_url: str, channel: ChannelInfo, artwork: str | None) -> FeedEpisode:
    entry = item.entry
    key_hash = feed_item_key_hash(item.key)
    candidates = [(entry.get("image") or {}).get("href")]
    candidates += [thumb.get("url") for thumb in entry.get("media_thumbnail") or []]
    thumbnail = next((url for c in candidates if (url := _http_url(c, feed_url))), artwork)
    media = MediaMetadata(
        media_key=podcast_media_key(feed_url, key_hash),
        type="podcast",
        title=item.title or UNTITLED,
        url=item.url,
        description=_description(entry),
        duration=parse_duration(entry.get("itunes_duration")),
        thumbnail_url=thumbnail,
        published_date=item.when.strftime("%Y-%m-%dT%H:%M:%SZ") if item.when else None,
        channel=channel,
    )
    return FeedEpisode(item.key, key_hash, media, item.when.timestamp() if item.when else None)


def select_new_episodes(parsed: ParsedFeed, known_keys: set[str], backfill: int | None) -> list[FeedEpisode]:
    """Episodes whose key hash is not in ``known_keys``, newest first: all of them when ``backfill`` is
    None, else only the newest ``backfill`` (0 = none, as when a subscription starts from now on)."""
    unknown = [episode for episode in parsed.episodes if episode.key_hash not in known_keys]
    return unknown if backfill is None else unknown[: max(backfill, 0)]
