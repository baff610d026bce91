"""The feed HTTP client against a real HTTP server on 127.0.0.1 (tests/support/feed_server.py).

The server is a loopback address, which the SSRF guard refuses on AWS, so these tests fetch with
``allow_private=True`` (local mode) except where the refusal itself is under test.
"""

from __future__ import annotations

import gzip
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.feed_server import FeedServer
from watcharr import limits
from watcharr.adapters.feed_http import USER_AGENT, FeedFetchError, FeedResponse, fetch_feed
from watcharr.domain.feeds import FeedParseError, parse_feed, select_new_episodes

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
APPLE = (FEEDS / "apple-sample-all-about-everything.xml").read_bytes()
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        yield feed_server


def fetch(url: str, **options: object) -> FeedResponse:
    arguments: dict[str, object] = {"etag": None, "last_modified": None, "allow_private": True}
    arguments.update(options)
    return fetch_feed(url, **arguments)  # type: ignore[arg-type]


def fetch_error(url: str, **options: object) -> FeedFetchError:
    with pytest.raises(FeedFetchError) as failure:
        fetch(url, **options)
    return failure.value


# ---- conditional GET -----------------------------------------------------------------------------


def test_fetch_then_304_then_a_new_item_arrives(server: FeedServer) -> None:
    # Given a feed with three episodes, fetched once
    url = server.put_feed("/cycle.xml", APPLE)
    first = fetch(url)
    assert first.status == 200
    assert first.body == APPLE
    assert first.etag and first.last_modified
    known = {e.key_hash for e in parse_feed(first.body, url).episodes}
    assert len(known) == 3

    # When it is fetched again with its validators, Then the server answers 304 and nothing is re-read
    second = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body) == (304, b"")
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)

    # When the publisher adds an episode, Then the next sync gets the feed and exactly one new episode
    new_item = (
        b"<item><title>A brand new episode</title><guid>new-ep</guid>"
        b'<enclosure url="http://example.com/new.m4a" type="audio/x-m4a" length="1"/>'
        b"<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate></item>"
    )
    server.put_feed("/cycle.xml", APPLE.replace(b"<item>", new_item + b"<item>", 1))
    third = fetch(url, etag=second.etag, last_modified=second.last_modified)
    assert third.status == 200
    assert third.etag != first.etag
    fresh = select_new_episodes(parse_feed(third.body, url), known, None)
    assert [e.media.title for e in fresh] == ["A brand new episode"]

    server.wait_idle()
    log = server.requests_for("/cycle.xml")
    assert [(r.status, r.if_none_match) for r in log] == [(200, None), (304, first.etag), (200, first.etag)]
    assert {r.user_agent for r in log} == {USER_AGENT}


def test_if_modified_since_alone_gets_a_304(server: FeedServer) -> None:
    url = server.put_feed("/ims.xml", APPLE)
    first = fetch(url)
    again = fetch(url, last_modified=first.last_modified)
    assert again.status == 304
    assert again.last_modified == first.last_modified


def test_validators_with_line_breaks_are_not_sent(server: FeedServer) -> None:
    url = server.put_feed("/inject.xml", APPLE)
    response = fetch(url, etag='"x"\r\nX-Injected: 1', last_modified="yesterday\nX-Injected: 1")
    assert response.status == 200
    server.wait_idle()
    assert [(r.if_none_match, r.if_modified_since) for r in server.requests_for("/inject.xml")] == [
        (None, None)
    ]


# ---- redirects -----------------------------------------------------------------------------------


def test_redirects_are_followed_and_recorded(server: FeedServer) -> None:
    final = server.put_feed("/moved/feed.xml", APPLE)
    server.put_redirect("/old.xml", "/hop.xml", status=301)
    server.put_redirect("/hop.xml", final, status=308)

    response = fetch(server.url("/old.xml"))

    assert response.status == 200
    assert response.body == APPLE
    assert response.final_url == final
    assert response.redirects == [server.url("/hop.xml"), final]


def test_too_many_redirects(server: FeedServer) -> None:
    for hop in range(8):
        server.put_redirect(f"/chain/{hop}", f"/chain/{hop + 1}")

    failure = fetch_error(server.url("/chain/0"), max_redirects=3)

    assert failure.reason == "too many redirects (more than 3)"
    assert not failure.retryable
    server.wait_idle()
    # The first request and three followed hops, not one more.
    assert sum(r.path.startswith("/chain/") for r in server.requests) == 4


def test_a_redirect_loop_ends(server: FeedServer) -> None:
    server.put_redirect("/loop/a", "/loop/b")
    server.put_redirect("/loop/b", "/loop/a")
    assert "too many redirects" in fetch_error(server.url("/loop/a")).reason


def test_a_redirect_without_location_fails(server: FeedServer) -> None:
    server.put_raw("/nowhere", b"", status=302)
    assert fetch_error(server.url("/nowhere")).reason == "HTTP 302 redirect without a Location"


# ---- the SSRF guard on every hop -----------------------------------------------------------------


def test_the_guard_refuses_a_loopback_feed_before_connecting(server: FeedServer) -> None:
    # On AWS (allow_private False) the test server itself, on 127.0.0.1, is out of bounds. A redirect
    # from a public host to 127.0.0.1 or 169.254.169.254 cannot be staged here (nothing public is
    # reachable), so the per-hop check is shown by this first-hop refusal and by the scheme refusal
    # below, which goes through the same check on the redirect hop.
    server.put_redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")

    failure = fetch_error(server.url("/to-metadata"), allow_private=False)

    assert failure.reason.startswith("blocked address: 127.0.0.1 resolves to 127.0.0.1, a loopback address")
    assert not failure.retryable
    server.wait_idle()
    assert server.requests_for("/to-metadata") == []


def test_the_guard_checks_each_redirect_hop(server: FeedServer) -> None:
    server.put_redirect("/to-file", "file:///etc/passwd")

    failure = fetch_error(server.url("/to-file"))

    assert failure.reason == (
        "blocked address after redirect to file:///etc/passwd: only http and https URLs can be fetched, not 'file'"
    )
    assert not failure.retryable
    server.wait_idle()
    assert [r.status for r in server.requests_for("/to-file")] == [302]


# ---- size, time and encodings --------------------------------------------------------------------


def test_a_huge_streamed_feed_is_cut_off_while_streaming(server: FeedServer) -> None:
    url = server.put_stream("/huge-chunked.xml", 20 * MB)

    failure = fetch_error(url, max_bytes=1 * MB)

    assert failure.reason == "feed is larger than 1 MB"
    assert not failure.retryable
    server.wait_idle()
    # The client hung up early: the server only got a fraction out (the rest of what it wrote is what
    # the loopback socket buffers took in before the reset).
    assert server.requests_for("/huge-chunked.xml")[0].bytes_sent < 20 * MB


def test_an_announced_length_over_the_cap_is_refused_before_reading(server: FeedServer) -> None:
    url = server.put_stream("/huge-announced.xml", 20 * MB, announce_length=True)

    failure = fetch_error(url)

    assert failure.reason == "feed is larger than 15 MB"
    server.wait_idle()
    assert server.requests_for("/huge-announced.xml")[0].bytes_sent < 20 * MB


def test_a_gzip_bomb_is_stopped_at_the_cap_without_blowing_up_memory(server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * MB), compresslevel=9)
    url = server.put_raw("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})

    tracemalloc.start()
    try:
        failure = fetch_error(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert failure.reason == "feed is larger than 15 MB"
    assert len(bomb) < 1 * MB
    # The cap itself plus small decoding steps, never the 200 MB the bomb holds.
    assert peak < limits.FEED_MAX_BYTES + 8 * MB


def test_a_gzipped_feed_is_decoded(server: FeedServer) -> None:
    url = server.put_feed("/gzipped.xml", APPLE, gzip=True)
    response = fetch(url)
    assert response.body == APPLE
    server.wait_idle()
    log = server.requests_for("/gzipped.xml")[0]
    assert "gzip" in (log.accept_encoding or "")
    assert log.bytes_sent < len(APPLE)


@pytest.mark.parametrize("wrapped", [True, False], ids=["zlib", "raw"])
def test_a_deflated_feed_is_decoded(server: FeedServer, wrapped: bool) -> None:
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    body = compressor.compress(APPLE) + compressor.flush()
    url = server.put_raw(f"/deflate-{wrapped}.xml", body, headers={"Content-Encoding": "deflate"})
    assert fetch(url).body == APPLE


def test_a_cut_gzip_body_is_a_retryable_error(server: FeedServer) -> None:
    cut = gzip.compress(APPLE)[:-20]
    url = server.put_raw("/cut.xml.gz", cut, headers={"Content-Encoding": "gzip"})
    failure = fetch_error(url)
    assert failure.reason == "the gzip body ended early"
    assert failure.retryable


def test_a_body_shorter_than_announced_is_a_retryable_error(server: FeedServer) -> None:
    url = server.put_raw("/short.xml", APPLE[:100], headers={"Content-Length": "5000"})
    failure = fetch_error(url)
    assert failure.reason == "the connection closed after 100 of 5000 bytes"
    assert failure.retryable


def test_an_unknown_content_encoding_is_refused(server: FeedServer) -> None:
    url = server.put_raw("/brotli.xml", b"\x1b\x00", headers={"Content-Encoding": "br"})
    assert fetch_error(url).reason == "unsupported Content-Encoding 'br'"


def test_a_trickling_feed_hits_the_total_deadline(server: FeedServer) -> None:
    # A byte every 0.2 s keeps every single read inside any socket timeout, so only the total
    # deadline can end it.
    url = server.put_slow("/trickle.xml", APPLE, byte_interval=0.2)
    failure = fetch_error(url, timeout=1.0)
    assert failure.reason == "timed out after 1 s"
    assert failure.retryable


def test_a_server_that_never_answers_times_out(server: FeedServer) -> None:
    url = server.put_slow("/silent.xml", APPLE, first_byte_delay=30)
    failure = fetch_error(url, timeout=0.5)
    assert failure.reason == "timed out after 0.5 s"
    assert failure.retryable


# ---- failures a user sees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "retryable"),
    [
        (404, "HTTP 404 Not Found", False),
        (410, "HTTP 410 Gone", False),
        (403, "HTTP 403 Forbidden", False),
        (429, "HTTP 429 Too Many Requests", True),
        (500, "HTTP 500 Internal Server Error", True),
        (503, "HTTP 503 Service Unavailable", True),
    ],
)
def test_http_errors(server: FeedServer, status: int, reason: str, retryable: bool) -> None:
    url = server.put_raw(f"/status/{status}", b"<html>no</html>", status=status)
    failure = fetch_error(url)
    assert (failure.reason, failure.retryable) == (reason, retryable)


def test_an_html_page_is_fetched_but_is_no_feed(server: FeedServer) -> None:
    page = b"<!DOCTYPE html><html><head><title>My podcast</title></head><body>Subscribe!</body></html>"
    url = server.put_feed("/page.html", page, content_type="text/html; charset=utf-8")
    response = fetch(url)
    with pytest.raises(FeedParseError, match=r"is not an RSS or Atom feed \(it looks like an HTML page\)"):
        parse_feed(response.body, url)


def test_a_closed_port_is_a_retryable_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    failure = fetch_error(f"http://127.0.0.1:{port}/feed.xml")
    assert failure.reason == "127.0.0.1 refused the connection"
    assert failure.retryable
