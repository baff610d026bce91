"""A podcast feed host on 127.0.0.1 (random free port) for tests, benchmarks and end-to-end runs.

Routes are registered by exact path (the query is ignored):

- ``put_feed(path, body)``: a feed with a strong ETag and a Last-Modified. A GET whose If-None-Match
  matches (or, without one, whose If-Modified-Since is not older) gets a real 304. Calling it again
  replaces the bytes (to add an item) and moves both validators on. ``gzip=True`` compresses the body
  for clients that accept gzip.
- ``put_raw(path, body, headers=..., status=...)``: exact bytes and headers, for crafted answers (a
  gzip bomb, a wrong Content-Length, a 404…).
- ``put_redirect(path, location, status=302)``: a redirect; chains are several of these.
- ``put_slow(path, body, first_byte_delay=..., byte_interval=...)``: waits before answering and/or
  trickles the body one byte at a time.
- ``put_stream(path, size)``: ``size`` bytes of a generated feed sent in 64 KiB chunks (chunked
  transfer, or with Content-Length when ``announce_length``); the log records how much was sent before
  the client hung up.

``requests`` logs every request (method, path, status, If-None-Match and If-Modified-Since seen,
body bytes sent); ``wait_idle()`` waits until every answer in flight is finished so the log is final.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.support.local_http import LocalHttpServer

STREAM_CHUNK_BYTES = 64 * 1024
RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass
class LoggedRequest:
    """One request the server answered (fields complete once ``wait_idle`` returns)."""

    method: str
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    accept_encoding: str | None
    user_agent: str | None
    status: int = 0
    bytes_sent: int = 0


@dataclass
class _Feed:
    body: bytes
    content_type: str
    etag: str
    last_modified: float
    gzip: bool


@dataclass
class _Raw:
    body: bytes
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Slow:
    body: bytes
    content_type: str
    first_byte_delay: float
    byte_interval: float


@dataclass
class _Stream:
    size: int
    announce_length: bool


_Route = _Feed | _Raw | _Slow | _Stream


def stream_chunk() -> bytes:
    """The 64 KiB unit a streamed feed repeats: items of an endless but valid-looking RSS."""
    item = b"<item><title>Filler</title><guid>filler</guid><description>" + b"x" * 400
    item += b"</description></item>\n"
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Endless</title>\n'
    unit = head + item * (STREAM_CHUNK_BYTES // len(item))
    return unit[:STREAM_CHUNK_BYTES].ljust(STREAM_CHUNK_BYTES, b" ")


class FeedServer(LocalHttpServer):
    """A threaded HTTP server for feeds on 127.0.0.1; use as a context manager."""

    thread_name = "feed-server"

    def __init__(self) -> None:
        super().__init__()
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._log: list[LoggedRequest] = []

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        feeds = self

        class Handler(_FeedHandler):
            feed_server = feeds

        return Handler

    # ---- routes ------------------------------------------------------------------------------

    def put_feed(self, path: str, body: bytes, *, content_type: str = RSS_TYPE, gzip: bool = False) -> str:
        """Serve ``body`` at ``path`` with validators, replacing what was there; returns its URL."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            previous = self._routes.get(path)
            # Last-Modified has one-second resolution: a replacement must move it on even within a second.
            modified = time.time()
            if isinstance(previous, _Feed) and previous.etag != etag:
                modified = max(modified, previous.last_modified + 1)
            elif isinstance(previous, _Feed):
                modified = previous.last_modified
            self._routes[path] = _Feed(body, content_type, etag, modified, gzip)
        return self.url(path)

    def put_raw(
        self, path: str, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> str:
        """Serve exactly ``body`` with ``status`` and ``headers`` (Content-Length added unless given)."""
        with self._lock:
            self._routes[path] = _Raw(body, status, dict(headers or {}))
        return self.url(path)

    def put_redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Redirect ``path`` to ``location`` (absolute, or relative to this server)."""
        return self.put_raw(path, b"", status=status, headers={"Location": location})

    def put_slow(
        self,
        path: str,
        body: bytes,
        *,
        first_byte_delay: float = 0.0,
        byte_interval: float = 0.0,
        content_type: str = RSS_TYPE,
    ) -> str:
        """Answer after ``first_byte_delay`` s, then send the body a byte every ``byte_interval`` s."""
        with self._lock:
            self._routes[path] = _Slow(body, content_type, first_byte_delay, byte_interval)
        return self.url(path)

    def put_stream(self, path: str, size: int, *, announce_length: bool = False) -> str:
        """Send ``size`` bytes of generated feed; chunked unless ``announce_length``."""
        with self._lock:
            self._routes[path] = _Stream(size, announce_length)
        return self.url(path)

    # ---- the log -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, in arrival order (copies)."""
        with self._lock:
            return [LoggedRequest(**vars(entry)) for entry in self._log]

    def requests_for(self, path: str) -> list[LoggedRequest]:
        """The logged requests of one path."""
        return [entry for entry in self.requests if entry.path == path]

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no answer is being sent, so ``requests`` holds final statuses and byte counts."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"the feed server still had {self._in_flight} answer(s) in flight")

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self._log.clear()

    # ---- used by the handler -----------------------------------------------------------------

    def _begin(self, entry: LoggedRequest) -> _Route | None:
        with self._lock:
            self._in_flight += 1
            self._log.append(entry)
            return self._routes.get(entry.path)

    def _end(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it is stopping."""
        return self.stopping.wait(seconds) if seconds > 0 else self.stopping.is_set()


def _not_modified(feed: _Feed, if_none_match: str | None, if_modified_since: str | None) -> bool:
    # RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or feed.etag in tags
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(feed.last_modified) <= since
    return False


class _FeedHandler(BaseHTTPRequestHandler):
    feed_server: FeedServer
    protocol_version = "HTTP/1.1"
    # Bounds how long a thread waits on a silent or non-reading client, so stop() never waits long.
    timeout = 5

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        server = self.feed_server
        entry = LoggedRequest(
            method="GET",
            path=urlsplit(self.path).path,
            if_none_match=self.headers.get("If-None-Match"),
            if_modified_since=self.headers.get("If-Modified-Since"),
            accept_encoding=self.headers.get("Accept-Encoding"),
            user_agent=self.headers.get("User-Agent"),
        )
        route = server._begin(entry)
        self.close_connection = True
        try:
            self._answer(route, entry)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return
        finally:
            server._end()

    def _head(self, entry: LoggedRequest, status: int, headers: dict[str, str]) -> None:
        entry.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, entry: LoggedRequest, data: bytes) -> None:
        self.wfile.write(data)
        entry.bytes_sent += len(data)

    def _answer(self, route: _Route | None, entry: LoggedRequest) -> None:
        if route is None:
            self._head(entry, 404, {"Content-Type": "text/plain", "Content-Length": "9"})
            self._send(entry, b"not found")
        elif isinstance(route, _Feed):
            self._answer_feed(route, entry)
        elif isinstance(route, _Raw):
            headers = {"Content-Length": str(len(route.body)), **route.headers}
            self._head(entry, route.status, headers)
            self._send(entry, route.body)
        elif isinstance(route, _Slow):
            self._answer_slow(route, entry)
        else:
            self._answer_stream(route, entry)

    def _answer_feed(self, feed: _Feed, entry: LoggedRequest) -> None:
        validators = {"ETag": feed.etag, "Last-Modified": formatdate(feed.last_modified, usegmt=True)}
        if _not_modified(feed, entry.if_none_match, entry.if_modified_since):
            self._head(entry, 304, validators)
            return
        body = feed.body
        headers = {"Content-Type": feed.content_type, **validators}
        if feed.gzip and "gzip" in (entry.accept_encoding or ""):
            body = gzip_module.compress(body)
            headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        headers["Content-Length"] = str(len(body))
        self._head(entry, 200, headers)
        self._send(entry, body)

    def _answer_slow(self, slow: _Slow, entry: LoggedRequest) -> None:
        if self.feed_server._sleep(slow.first_byte_delay):
            return
        self._head(entry, 200, {"Content-Type": slow.content_type, "Content-Length": str(len(slow.body))})
        if slow.byte_interval <= 0:
            self._send(entry, slow.body)
            return
        for index in range(len(slow.body)):
            self._send(entry, slow.body[index : index + 1])
            if self.feed_server._sleep(slow.byte_interval):
                return

    def _answer_stream(self, stream: _Stream, entry: LoggedRequest) -> None:
        headers = {"Content-Type": RSS_TYPE}
        if stream.announce_length:
            headers["Content-Length"] = str(stream.size)
        else:
            headers["Transfer-Encoding"] = "chunked"
        self._head(entry, 200, headers)
        chunk = stream_chunk()
        left = stream.size
        while left > 0 and not self.feed_server.stopping.is_set():
            piece = chunk[: min(left, len(chunk))]
            if stream.announce_length:
                self._send(entry, piece)
            else:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                entry.bytes_sent += len(piece)
            left -= len(piece)
        if not stream.announce_length and left == 0:
            self.wfile.write(b"0\r\n\r\n")
