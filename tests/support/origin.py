"""A local origin web site on 127.0.0.1 that yt-dlp's generic extractor understands.

Tests and benchmarks point real yt-dlp (and any other HTTP client) at it instead of the internet.
Routes, each answering GET and HEAD:

- ``/video/<id>``: an HTML page with a schema.org ``VideoObject`` in JSON-LD. Query options:
  ``title``, ``description``, ``duration`` (seconds), ``views``, ``date`` (YYYY-MM-DD), ``author``,
  ``vertical=1`` (1080x1920), ``formats=none`` (contentUrl is an HLS manifest with no variants, so
  yt-dlp finds the metadata but no formats) and ``content=none`` (no contentUrl at all).
- ``/og/<id>``: an OpenGraph-only page whose ``og:video`` is ``/media/<id>.mp4``.
- ``/media/<name>.mp4|.mp3|.m3u8``: a few bytes of "media" with the right Content-Type; the m3u8 is a
  master playlist with no variants.
- ``/playlist/<n>``: an RSS feed of n items linking to ``/video/<i>``, which yt-dlp lists as a
  playlist without fetching the entries when ``extract_flat`` is set. ``title`` sets its title.
- ``/status/<code>``, ``/hang`` (``?seconds=``, 30 by default, ended early by ``stop()``), ``/garbage``
  (binary noise served as text/html), ``/empty`` and ``/redirect?to=<path>&code=302``.
- Any path given to ``add()``: fixed content, with ETag / Last-Modified revalidation (304).

``?delay=<seconds>`` on any route, or ``OriginServer(latency=fn)`` with ``fn(path) -> seconds``, slows
answers down for benchmarks. ``hits(path)`` counts the requests each path (without query) received.
"""

from __future__ import annotations

import html
import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.support.local_http import LocalHttpServer

MAX_DELAY_SECONDS = 30.0
DEFAULT_HANG_SECONDS = 30.0
# A few bytes are enough: yt-dlp only reads the headers of a direct media link when not downloading.
FAKE_MEDIA = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
MEDIA_TYPES = {"mp4": "video/mp4", "mp3": "audio/mpeg", "m3u8": "application/vnd.apple.mpegurl"}


@dataclass(frozen=True)
class StaticRoute:
    """Fixed content served at one path by ``OriginServer.add``."""

    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _one(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _iso_duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def _script_json(data: object) -> str:
    # "</" would close the <script> element early; JSON allows "<\/" for it.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class OriginServer(LocalHttpServer):
    """The origin web site on 127.0.0.1 with a random free port; use as a context manager."""

    thread_name = "origin-server"

    def __init__(self, latency: Callable[[str], float] | None = None) -> None:
        super().__init__()
        self._latency = latency
        self._routes: dict[str, StaticRoute] = {}
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._log: list[tuple[str, str]] = []

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        origin = self

        class Handler(_OriginHandler):
            server_origin = origin

        return Handler

    def add(self, path: str, route: StaticRoute) -> None:
        """Serve fixed content at ``path`` (exact match, query ignored)."""
        with self._lock:
            self._routes[path] = route

    def hits(self, path: str) -> int:
        """How many requests ``path`` (without query) received, any method."""
        with self._lock:
            return self._hits[path]

    def hits_under(self, prefix: str) -> int:
        """How many requests went to paths starting with ``prefix``."""
        with self._lock:
            return sum(n for path, n in self._hits.items() if path.startswith(prefix))

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request so far as (method, path with query), in arrival order."""
        with self._lock:
            return list(self._log)

    def reset_counters(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self._hits.clear()
            self._log.clear()

    # ---- used by the handler -----------------------------------------------------------------

    def _record(self, method: str, target: str) -> None:
        with self._lock:
            self._hits[urlsplit(target).path] += 1
            self._log.append((method, target))

    def _sleep(self, seconds: float) -> None:
        # Waiting on the stop event lets stop() end a hang or a delay at once.
        if seconds > 0:
            self.stopping.wait(min(seconds, MAX_DELAY_SECONDS))

    def _route(self, path: str, query: dict[str, list[str]], request_headers: dict[str, str]) -> _Reply:
        with self._lock:
            static = self._routes.get(path)
        if static is not None:
            return _static_reply(static, request_headers)
        parts = path.strip("/").split("/")
        head, rest = parts[0], "/".join(parts[1:])
        if head == "video" and rest:
            return _video_page(self, rest, query)
        if head == "og" and rest:
            return _og_page(self, rest)
        if head == "media" and "." in rest:
            return _media(rest)
        if head == "playlist" and rest.isdigit():
            return _rss_playlist(self, int(rest), query)
        if head == "status" and rest.isdigit():
            code = int(rest)
            return _Reply(code, f"<html><body><h1>{code}</h1></body></html>".encode())
        if head == "hang":
            self._sleep(float(_one(query, "seconds", str(DEFAULT_HANG_SECONDS)) or 0))
            return _Reply(200, b"<html><body>late</body></html>")
        if head == "garbage":
            return _Reply(200, _garbage(path))
        if head == "empty":
            return _Reply(200, b"")
        if head == "redirect":
            target = _one(query, "to", "/") or "/"
            return _Reply(int(_one(query, "code", "302") or 302), headers={"Location": self.url(target)})
        return _Reply(404, b"<html><body>not found</body></html>")


class _OriginHandler(BaseHTTPRequestHandler):
    server_origin: OriginServer
    protocol_version = "HTTP/1.0"
    # Bounds how long a thread waits for a silent client, so stop() never waits long on one.
    timeout = 5

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self, *, send_body: bool) -> None:
        origin = self.server_origin
        origin._record(self.command, self.path)
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        delay = float(_one(query, "delay", "0") or 0)
        if origin._latency is not None:
            delay += origin._latency(split.path)
        origin._sleep(delay)
        reply = origin._route(split.path, query, {k.lower(): v for k, v in self.headers.items()})
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body and reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            return


# ---- page builders ----------------------------------------------------------------------------


def _video_page(origin: OriginServer, video_id: str, query: dict[str, list[str]]) -> _Reply:
    title = _one(query, "title", f"Test video {video_id}") or ""
    description = _one(query, "description", f"Description of test video {video_id}.")
    duration = int(_one(query, "duration", "63") or 63)
    author = _one(query, "author", "Origin Channel") or ""
    width, height = (1080, 1920) if _one(query, "vertical") == "1" else (1920, 1080)
    video: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": title,
        "description": description,
        "duration": _iso_duration(duration),
        "thumbnailUrl": [origin.url(f"/thumbs/{video_id}.jpg")],
        "uploadDate": _one(query, "date", "2024-03-15"),
        "width": width,
        "height": height,
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": int(_one(query, "views", "12345") or 0),
        },
        "author": {"@type": "Person", "name": author, "url": origin.url("/channel/origin")},
    }
    if _one(query, "formats") == "none":
        video["contentUrl"] = origin.url(f"/media/{video_id}.m3u8")
        video["encodingFormat"] = "application/x-mpegURL"
    elif _one(query, "content") != "none":
        video["contentUrl"] = origin.url(f"/media/{video_id}.mp4")
        # With a known type yt-dlp takes contentUrl as the format without requesting it.
        video["encodingFormat"] = "video/mp4"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        f'<script type="application/ld+json">{_script_json(video)}</script>'
        f"</head><body><h1>{html.escape(title)}</h1></body></html>"
    )
    return _Reply(200, page.encode())


def _og_page(origin: OriginServer, video_id: str) -> _Reply:
    meta = {
        "og:type": "video.other",
        "og:title": f"OpenGraph video {video_id}",
        "og:description": f"OpenGraph description {video_id}.",
        "og:image": origin.url(f"/thumbs/{video_id}.jpg"),
        "og:video": origin.url(f"/media/{video_id}.mp4"),
        "og:video:type": "video/mp4",
    }
    tags = "".join(f'<meta property="{k}" content="{html.escape(v)}">' for k, v in meta.items())
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'>{tags}</head><body></body></html>"
    return _Reply(200, page.encode())


def _media(name: str) -> _Reply:
    ext = name.rsplit(".", 1)[1]
    content_type = MEDIA_TYPES.get(ext)
    if content_type is None:
        return _Reply(404, b"")
    body = b"#EXTM3U\n" if ext == "m3u8" else FAKE_MEDIA
    return _Reply(200, body, content_type)


def _rss_playlist(origin: OriginServer, count: int, query: dict[str, list[str]]) -> _Reply:
    title = html.escape(_one(query, "title", f"Origin playlist of {count}") or "")
    items = "".join(
        f"<item><title>Entry {i}</title><link>{origin.url(f'/video/{i}')}</link>"
        f'<guid isPermaLink="false">entry-{i}</guid></item>'
        for i in range(1, count + 1)
    )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{origin.url('/')}</link><description>test</description>"
        f"{items}</channel></rss>"
    )
    return _Reply(200, feed.encode(), "application/rss+xml; charset=utf-8")


def _garbage(path: str) -> bytes:
    # Seeded noise, never starting with "<" or whitespace, so no parser can take it for markup.
    noise = random.Random(path).randbytes(2048)
    return b"\x9f" + noise


def _static_reply(route: StaticRoute, request_headers: dict[str, str]) -> _Reply:
    etag = route.headers.get("ETag")
    last_modified = route.headers.get("Last-Modified")
    not_modified = (etag is not None and request_headers.get("if-none-match") == etag) or (
        last_modified is not None and request_headers.get("if-modified-since") == last_modified
    )
    if not_modified:
        return _Reply(304, b"", route.content_type, dict(route.headers))
    return _Reply(route.status, route.body, route.content_type, dict(route.headers))
