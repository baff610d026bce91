"""The podcast feed's own HTTP client: one bounded, guarded, conditional GET.

Built on the standard library (``urllib.parse`` + ``http.client``) rather than ``urllib.request``'s
opener, because the opener can neither connect to the address the SSRF guard vetted (it resolves the
host again) nor bound the time of each read. Every hop of a redirect chain passes
``netguard.resolve_fetchable`` and is recorded; the body is read in chunks under a byte cap (on the
wire and after gzip/deflate decoding) and a total deadline, so a huge, compressed-bomb or trickling
feed costs at most ``max_bytes`` of memory and ``timeout`` seconds.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from watcharr import limits
from watcharr.adapters.netguard import BlockedUrl, ResolvedAddress, resolve_fetchable

USER_AGENT = "2watcharr/1.0 (+podcast sync)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
READ_CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Statuses worth another try later; every other 4xx means the URL itself is wrong.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class FeedFetchError(Exception):
    """A feed could not be fetched; ``reason`` is shown to the user, ``retryable`` drives retries."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class FeedResponse:
    """A fetched feed: status 200 with its bytes, or 304 (unchanged, empty body)."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    final_url: str
    redirects: list[str] = field(default_factory=list)


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def _too_large(max_bytes: int) -> FeedFetchError:
    return FeedFetchError(f"feed is larger than {_size_text(max_bytes)}", retryable=False)


def _timed_out(timeout: float) -> FeedFetchError:
    return FeedFetchError(f"timed out after {timeout:g} s", retryable=True)


def _open_socket(addresses: list[ResolvedAddress], timeout: float) -> socket.socket:
    """Connect to the first vetted address that answers, as socket.create_connection would."""
    error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error if error is not None else OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, addresses: list[ResolvedAddress], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _open_socket(self._addresses, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, addresses: list[ResolvedAddress], timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._addresses = addresses

    def connect(self) -> None:
        # The certificate is checked against the host name, not the pinned address.
        sock = _open_socket(self._addresses, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _Inflater:
    """Streaming gzip/deflate decoding that never produces more than the cap allows."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._decoder: zlib._Decompress | None = None
        self._pending = b""

    def _start(self, data: bytes) -> zlib._Decompress:
        if self._encoding == "deflate":
            # "deflate" should be zlib-wrapped, but some servers send raw deflate; the zlib header
            # (CMF byte with method 8, CMF*256+FLG divisible by 31) tells them apart.
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def decode_into(self, chunk: bytes, body: bytearray, max_bytes: int) -> None:
        """Append the decoded ``chunk`` to ``body``; raises ``_TooLarge`` past ``max_bytes``."""
        if self._decoder is None:
            self._pending += chunk
            if len(self._pending) < 2:
                return
            chunk, self._pending = self._pending, b""
            self._decoder = self._start(chunk)
        data = chunk
        while data:
            # Bounded steps: a highly compressed chunk never inflates into one huge temporary.
            step = min(max_bytes - len(body) + 1, READ_CHUNK_BYTES * 4)
            body += self._decoder.decompress(data, step)
            if len(body) > max_bytes:
                raise _TooLarge
            data = self._decoder.unconsumed_tail

    def finish(self) -> None:
        """Refuse a compressed body that stopped before its end (a cut connection)."""
        if self._decoder is None or not self._decoder.eof:
            raise FeedFetchError(f"the {self._encoding} body ended early", retryable=True)


class _TooLarge(Exception):
    pass


def _read_body(
    response: http.client.HTTPResponse, sock: socket.socket, deadline: float, timeout: float, max_bytes: int
) -> bytes:
    declared = (response.getheader("Content-Length") or "").strip()
    announced = int(declared) if declared.isdigit() else None
    if announced is not None and announced > max_bytes:
        raise _too_large(max_bytes)
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding == "x-gzip":
        encoding = "gzip"
    if encoding not in ("identity", "gzip", "deflate"):
        raise FeedFetchError(f"unsupported Content-Encoding {encoding!r}", retryable=False)
    inflater = _Inflater(encoding) if encoding != "identity" else None
    body = bytearray()
    wire = 0
    try:
        # Python 3.13 closes the response (and the socket) as soon as the announced length is read.
        while not response.isclosed():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timed_out(timeout)
            # Each read waits at most for what is left of the deadline, so trickled bytes cannot
            # stretch the fetch.
            sock.settimeout(remaining)
            chunk = response.read1(READ_CHUNK_BYTES)
            if not chunk:
                break
            wire += len(chunk)
            if wire > max_bytes:
                raise _TooLarge
            if inflater is None:
                body += chunk
            else:
                inflater.decode_into(chunk, body, max_bytes)
    except _TooLarge:
        raise _too_large(max_bytes) from None
    if announced is not None and not response.chunked and wire < announced:
        raise FeedFetchError(f"the connection closed after {wire} of {announced} bytes", retryable=True)
    if inflater is not None:
        inflater.finish()
    return bytes(body)


def _request(
    url: str,
    addresses: list[ResolvedAddress],
    headers: dict[str, str],
    deadline: float,
    timeout: float,
    max_bytes: int,
) -> tuple[int, str, http.client.HTTPMessage, bytes]:
    """One GET to vetted addresses: (status, reason, headers, body); body only for a 200."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection_class = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
    port = parts.port or (443 if connection_class is _PinnedHTTPSConnection else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(timeout)
    connection = connection_class(host, port, addresses, min(timeout, remaining))
    try:
        connection.request("GET", target, headers=headers)
        sock = connection.sock
        if sock is None:
            raise FeedFetchError(f"no connection to {host}", retryable=True)
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        response = connection.getresponse()
        try:
            body = b""
            if response.status == 200:
                body = _read_body(response, sock, deadline, timeout, max_bytes)
            return response.status, response.reason, response.headers, body
        finally:
            response.close()
    finally:
        connection.close()


def _fetch_error(exc: Exception, url: str, timeout: float) -> FeedFetchError:
    host = urlsplit(url).hostname or url
    if isinstance(exc, TimeoutError):
        return _timed_out(timeout)
    if isinstance(exc, socket.gaierror):
        return FeedFetchError(f"cannot resolve host {host}", retryable=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"TLS certificate of {host} is not valid: {exc.verify_message}"
        return FeedFetchError(reason, retryable=False)
    if isinstance(exc, http.client.InvalidURL):
        return FeedFetchError(f"not a valid URL: {exc}", retryable=False)
    if isinstance(exc, ConnectionRefusedError):
        return FeedFetchError(f"{host} refused the connection", retryable=True)
    if isinstance(exc, http.client.RemoteDisconnected):
        return FeedFetchError(f"{host} closed the connection without answering", retryable=True)
    if isinstance(exc, (http.client.HTTPException, zlib.error)):
        return FeedFetchError(f"bad HTTP response from {host}: {exc!r}", retryable=True)
    return FeedFetchError(f"network error talking to {host}: {exc}", retryable=True)


def fetch_feed(
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    allow_private: bool,
    timeout: float = limits.FEED_TIMEOUT_SECONDS,
    max_bytes: int = limits.FEED_MAX_BYTES,
    max_redirects: int = limits.FEED_MAX_REDIRECTS,
) -> FeedResponse:
    """GET a feed conditionally; 200 with its (decoded) bytes or 304 when unchanged.

    Redirects are followed by hand: each hop passes the SSRF guard (``allow_private`` False refuses
    loopback, private and metadata addresses) and is listed in ``FeedResponse.redirects``. ``timeout``
    bounds the whole fetch, redirects included. Raises ``FeedFetchError`` with a readable reason and
    whether trying again later can help.
    """
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    # Validators come from an earlier response; one with a line break would be refused by http.client.
    if etag and etag.isprintable():
        headers["If-None-Match"] = etag
    if last_modified and last_modified.isprintable():
        headers["If-Modified-Since"] = last_modified
    redirects: list[str] = []
    current = url
    while True:
        try:
            addresses = resolve_fetchable(current, allow_private=allow_private)
        except BlockedUrl as exc:
            where = f" after redirect to {current}" if redirects else ""
            raise FeedFetchError(f"blocked address{where}: {exc.reason}", retryable=False) from exc
        except OSError as exc:
            raise _fetch_error(exc, current, timeout) from exc
        try:
            status, reason, response_headers, body = _request(
                current, addresses, headers, deadline, timeout, max_bytes
            )
        except (OSError, http.client.HTTPException, zlib.error) as exc:
            raise _fetch_error(exc, current, timeout) from exc
        if status in REDIRECT_STATUSES:
            location = response_headers.get("Location")
            if not location:
                raise FeedFetchError(f"HTTP {status} redirect without a Location", retryable=False)
            if len(redirects) >= max_redirects:
                raise FeedFetchError(f"too many redirects (more than {max_redirects})", retryable=False)
            current = urljoin(current, location.strip())
            redirects.append(current)
            continue
        new_etag = response_headers.get("ETag")
        new_modified = response_headers.get("Last-Modified")
        if status == 304:
            # A 304 may omit the validators; the ones we sent still describe the unchanged feed.
            return FeedResponse(304, b"", new_etag or etag, new_modified or last_modified, current, redirects)
        if status == 200:
            return FeedResponse(200, body, new_etag, new_modified, current, redirects)
        raise FeedFetchError(f"HTTP {status} {reason}".rstrip(), retryable=status in RETRYABLE_STATUSES)
