"""Podcast subscriptions in OPML, the file every podcast app imports and exports (pure).

Reading: every ``<outline>`` with an ``xmlUrl`` is a subscription, however deeply nested (Pocket
Casts wraps them in an ``<outline text="feeds">``, AntennaPod and Apple Podcasts do not). Attribute
names are matched without regard to case (``xmlurl`` occurs). ``itpc://``, ``pcast://`` and
``feed://`` links become ``https://``; other schemes are left out with a reason. Duplicates (same
feed URL once normalised as ``feeds.normalize_feed_url`` does) are dropped and counted.

Safety: the body is refused when it declares XML entities, with the same guard the feed parser uses
(``feeds.refuse_entities``), so a small file cannot expand into gigabytes; it must be at most
``OPML_MAX_BYTES``, nest at most ``OPML_MAX_DEPTH`` outlines deep and hold at most
``OPML_MAX_OUTLINES`` outlines.

Writing: OPML 2.0 with one ``<outline type="rss" text title xmlUrl htmlUrl>`` per subscription, the
shape AntennaPod, Pocket Casts and Apple Podcasts import.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from watcharr.domain.feeds import FeedParseError, normalize_feed_url, refuse_entities
from watcharr.models.imports import OpmlSubscription

OPML_MAX_BYTES = 2 * 1024 * 1024
OPML_MAX_OUTLINES = 5_000
OPML_MAX_DEPTH = 32
OPML_EXPORT_TITLE = "2watcharr podcast subscriptions"

_PODCAST_SCHEMES = {"itpc": "https", "pcast": "https", "feed": "https"}


class OpmlError(ValueError):
    """The body is not OPML we can read (or is refused as unsafe); the message says why."""


@dataclass(frozen=True)
class OpmlImport:
    """The subscriptions of an OPML file, in file order, and what was left out."""

    subscriptions: list[OpmlSubscription]
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)


def _attr(element: ET.Element, name: str) -> str | None:
    wanted = name.lower()
    for key, value in element.attrib.items():
        if key.lower() == wanted:
            text = value.strip()
            return text or None
    return None


def _feed_url(raw: str) -> str | None:
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme in _PODCAST_SCHEMES:
        rest = raw.split(":", 1)[1]
        # "feed:https://host/x" nests a full URL; "feed://host/x" only swaps the scheme.
        return (
            rest if rest.lower().startswith(("http://", "https://")) else f"{_PODCAST_SCHEMES[scheme]}:{rest}"
        )
    if scheme in ("http", "https") and parts.netloc:
        return raw
    return None


def parse_opml(body: bytes) -> OpmlImport:
    """The subscriptions in an OPML body; raises ``OpmlError`` for malformed or unsafe input."""
    if len(body) > OPML_MAX_BYTES:
        raise OpmlError(f"the OPML file is {len(body)} bytes; the limit is {OPML_MAX_BYTES} bytes")
    if not body.strip():
        raise OpmlError("the OPML file is empty")
    try:
        refuse_entities(body, "the OPML file")
    except FeedParseError as exc:
        raise OpmlError(
            "the OPML file declares XML entities in its DOCTYPE; OPML never needs them and they can expand "
            "into gigabytes, so it is refused"
        ) from exc
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise OpmlError(f"the file is not well-formed XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"the file is XML but not OPML (its root element is <{root.tag}>, not <opml>)")
    body_element = next((child for child in root if child.tag.lower() == "body"), None)
    if body_element is None:
        raise OpmlError("the OPML file has no <body>, so no subscriptions")

    subscriptions: list[OpmlSubscription] = []
    seen: set[str] = set()
    skipped: list[str] = []
    duplicates = 0
    count = 0
    stack: list[tuple[ET.Element, int]] = [(child, 1) for child in reversed(list(body_element))]
    while stack:
        element, depth = stack.pop()
        if element.tag.lower() != "outline":
            continue
        count += 1
        if count > OPML_MAX_OUTLINES:
            raise OpmlError(f"the OPML file holds more than {OPML_MAX_OUTLINES} outlines")
        if depth > OPML_MAX_DEPTH:
            raise OpmlError(f"the OPML file nests outlines more than {OPML_MAX_DEPTH} deep")
        stack.extend((child, depth + 1) for child in reversed(list(element)))
        raw = _attr(element, "xmlUrl")
        if raw is None:
            continue
        title = _attr(element, "title") or _attr(element, "text")
        url = _feed_url(raw)
        if url is None:
            skipped.append(f"{title or raw}: {raw[:200]} is not an http(s) feed link")
            continue
        key = normalize_feed_url(url)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        subscriptions.append(OpmlSubscription(xml_url=url, title=title, html_url=_attr(element, "htmlUrl")))
    return OpmlImport(subscriptions=subscriptions, duplicates=duplicates, skipped=skipped)


def write_opml(
    subscriptions: list[OpmlSubscription], *, title: str = OPML_EXPORT_TITLE, created: datetime | None = None
) -> bytes:
    """OPML 2.0 for the given subscriptions, UTF-8, as podcast apps import it."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime((created or datetime.now(UTC)).astimezone(UTC))
    body = ET.SubElement(root, "body")
    for subscription in subscriptions:
        name = subscription.title or subscription.xml_url
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": subscription.xml_url}
        if subscription.html_url:
            attributes["htmlUrl"] = subscription.html_url
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
