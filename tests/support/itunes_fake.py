"""A stand-in for the iTunes Search API's lookup endpoint on 127.0.0.1 (the machine has no internet).

It answers the three lookups the extractor makes, in the shape Apple's endpoint gives (``resultCount``
and ``results``; a show is ``kind`` "podcast" with ``feedUrl``, an episode ``kind`` "podcast-episode"
with ``trackId``, ``episodeGuid``, ``episodeUrl``, ``trackName``, ``releaseDate``):

- ``/lookup?id=<show>``: the show;
- ``/lookup?id=<show>&entity=podcastEpisode&limit=<n>``: the show, then its newest n episodes (n ≤ 200,
  50 when not given), as the real endpoint lists them;
- ``/lookup?id=<episode>&entity=podcastEpisode``: that episode alone, unless it was added with
  ``direct=False`` (Apple then answers no result).

``failing(status)`` makes every lookup answer that HTTP status until ``failing(None)``.

``episodes_from_feed`` turns a real feed file into episode records with feedparser itself, so the
records do not come from the code under test. ``requests`` logs the query of every lookup.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser

from tests.support.local_http import LocalHttpServer

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass
class _Show:
    record: dict[str, Any]
    episodes: list[dict[str, Any]]
    hidden: set[str] = field(default_factory=set)


def episodes_from_feed(
    body: bytes, *, show_id: int, first_track_id: int, feed_url: str, show_title: str
) -> list[dict[str, Any]]:
    """Apple-style episode records for every item of a feed, newest first, numbered from ``first_track_id``.

    An item without a guid gets no ``episodeGuid``, as Apple gives none for it.
    """
    parsed = feedparser.parse(io.BytesIO(body))
    records = []
    for index, entry in enumerate(parsed.entries):
        when = entry.get("published_parsed")
        enclosure = next((e.get("href") for e in entry.get("enclosures") or [] if e.get("href")), None)
        record: dict[str, Any] = {
            "wrapperType": "podcastEpisode",
            "kind": "podcast-episode",
            "collectionId": show_id,
            "trackId": first_track_id + index,
            "collectionName": show_title,
            "trackName": entry.get("title"),
            "feedUrl": feed_url,
            "episodeUrl": enclosure,
            "releaseDate": datetime(*when[:6], tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None,
            "trackTimeMillis": 1_800_000,
            "episodeContentType": "audio",
            "description": entry.get("summary"),
        }
        if entry.get("id"):
            record["episodeGuid"] = entry["id"]
        records.append(record)
    records.sort(key=lambda r: r["releaseDate"] or "", reverse=True)
    return records


class ItunesFake(LocalHttpServer):
    """The lookup endpoint on a random free port of 127.0.0.1; use as a context manager."""

    thread_name = "itunes-fake"

    def __init__(self) -> None:
        super().__init__()
        self._shows: dict[str, _Show] = {}
        self._lock = threading.Lock()
        self._log: list[dict[str, str]] = []
        self._failing: int | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(_LookupHandler):
            itunes = fake

        return Handler

    @property
    def lookup_url(self) -> str:
        """The endpoint to give the extractor as WATCHARR_ITUNES_LOOKUP_URL."""
        return self.url("/lookup")

    def add_show(
        self,
        show_id: int,
        *,
        title: str,
        feed_url: str | None,
        episodes: Iterable[dict[str, Any]] = (),
        hidden_from_direct_lookup: Iterable[int] = (),
    ) -> None:
        """Serve a show; ``episodes`` newest first; a lookup of a hidden episode's own id finds nothing."""
        record: dict[str, Any] = {
            "wrapperType": "track",
            "kind": "podcast",
            "collectionId": show_id,
            "trackId": show_id,
            "collectionName": title,
            "trackName": title,
            "artworkUrl600": f"https://is1-ssl.mzstatic.com/image/{show_id}/600x600bb.jpg",
            "trackCount": 0,
        }
        if feed_url is not None:
            record["feedUrl"] = feed_url
        listed = list(episodes)
        record["trackCount"] = len(listed)
        with self._lock:
            self._shows[str(show_id)] = _Show(record, listed, {str(i) for i in hidden_from_direct_lookup})

    def failing(self, status: int | None) -> None:
        """Answer every lookup with ``status`` (an outage), or normally again with None."""
        with self._lock:
            self._failing = status

    @property
    def requests(self) -> list[dict[str, str]]:
        """The query of every lookup so far, in arrival order."""
        with self._lock:
            return [dict(q) for q in self._log]

    def _outage(self, query: dict[str, str]) -> int | None:
        with self._lock:
            if self._failing is not None:
                self._log.append(query)
            return self._failing

    def _answer(self, query: dict[str, str]) -> list[dict[str, Any]]:
        with self._lock:
            self._log.append(query)
            item_id = query.get("id", "")
            wants_episodes = query.get("entity") == "podcastEpisode"
            show = self._shows.get(item_id)
            if show is not None:
                limit = min(int(query.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
                return [show.record, *(show.episodes[:limit] if wants_episodes else [])]
            for show in self._shows.values():
                if item_id in show.hidden:
                    continue
                for episode in show.episodes:
                    if str(episode["trackId"]) == item_id:
                        return [episode]
            return []


class _LookupHandler(BaseHTTPRequestHandler):
    itunes: ItunesFake
    protocol_version = "HTTP/1.0"
    timeout = 5

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path != "/lookup":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        outage = self.itunes._outage(query)
        if outage is not None:
            self.send_error(outage)
            return
        results = self.itunes._answer(query)
        body = json.dumps({"resultCount": len(results), "results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
