"""YouTube's channel side on 127.0.0.1: channel pages, channel and playlist feeds, channels.list.

``FakeYouTubeChannels`` extends ``FakeYouTube`` (same server: the Data API videos/playlistItems,
oEmbed and player routes stay) with what following a channel needs:

- Channel pages at every URL form (``/@handle``, ``/channel/UC…``, ``/c/name``, ``/user/name``, with or
  without a tab such as ``/videos``). Each page carries the channel id in the places a real one does
  (``CHANNEL_ID_MARKERS``); a channel's ``page_markers`` chooses which, so each way of reading the id
  is tested on its own. Unknown channels answer 404 with an HTML page; ``page_failures`` forces a
  status on a path; ``consent_wall`` sends every page to a cookie consent page, as YouTube does in the
  EU.
- Feeds at ``/feeds/videos.xml?channel_id=…`` and ``?playlist_id=…`` in the shape YouTube serves
  (namespaces ``yt`` and ``media``; ``yt:videoId``, ``yt:channelId``, ``media:group`` with
  ``media:title``, ``media:content``, ``media:thumbnail``, ``media:description`` and
  ``media:community`` holding ``media:starRating`` and ``media:statistics``). Shorts link to
  ``/shorts/<id>``. Like YouTube's, the feed-level ``yt:channelId`` and ``<id>`` lack the "UC" prefix.
  Each answer has an ETag and a Last-Modified; a matching If-None-Match (or, without one, an
  If-Modified-Since not older) gets a 304. ``publish`` adds one new upload between two fetches (the
  feed keeps the 15 newest, and both validators move on).
- ``/youtube/v3/channels`` (channels.list with ``forHandle`` or ``forUsername``, part=id), answering an
  unknown name with 200 and no items, as the real API does.

``requests`` logs (path with query, status, If-None-Match seen) for every channel-side request.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.support.youtube_fakes import KEY_INVALID, FakeYouTube

FEED_ENTRIES = 15
ATOM_TYPE = "text/xml; charset=UTF-8"
HTML_TYPE = "text/html; charset=utf-8"
# Where a channel page names its own channel id.
CHANNEL_ID_MARKERS = frozenset(
    {"canonical", "og_url", "itemprop_channel_id", "itemprop_identifier", "rss", "external_id", "channel_id"}
)
# Another channel that every page mentions (a featured channel), as real pages do.
FEATURED_CHANNEL_ID = "UCBR8-60-B28hp2BmDPdntcQ"


@dataclass
class FakeUpload:
    """One upload of a channel as its feed entry shows it."""

    video_id: str
    title: str
    published: str = "2024-03-15T10:00:00+00:00"
    description: str = "A description.\n\nSecond paragraph & more."
    views: int = 1234
    likes: int = 56
    is_short: bool = False

    def entry(self, channel: FakeChannel) -> str:
        link = (
            f"https://www.youtube.com/shorts/{self.video_id}"
            if self.is_short
            else f"https://www.youtube.com/watch?v={self.video_id}"
        )
        channel_url = f"https://www.youtube.com/channel/{channel.channel_id}"
        return f""" <entry>
  <id>yt:video:{self.video_id}</id>
  <yt:videoId>{self.video_id}</yt:videoId>
  <yt:channelId>{channel.channel_id}</yt:channelId>
  <title>{escape(self.title)}</title>
  <link rel="alternate" href={quoteattr(link)}/>
  <author>
   <name>{escape(channel.title)}</name>
   <uri>{channel_url}</uri>
  </author>
  <published>{self.published}</published>
  <updated>{self.published}</updated>
  <media:group>
   <media:title>{escape(self.title)}</media:title>
   <media:content url="https://www.youtube.com/v/{self.video_id}?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i2.ytimg.com/vi/{self.video_id}/hqdefault.jpg" width="480" height="360"/>
   <media:description>{escape(self.description)}</media:description>
   <media:community>
    <media:starRating count="{self.likes}" average="5.00" min="1" max="5"/>
    <media:statistics views="{self.views}"/>
   </media:community>
  </media:group>
 </entry>
"""


@dataclass
class FakeChannel:
    """A channel: its id, names, uploads (newest first) and which id markers its page carries."""

    channel_id: str
    title: str
    handle: str
    custom_name: str | None = None
    user_name: str | None = None
    uploads: list[FakeUpload] = field(default_factory=list)
    page_markers: frozenset[str] = CHANNEL_ID_MARKERS

    def page(self) -> str:
        """The channel page's HTML, with the chosen id markers only."""
        return channel_page_html(self.channel_id, self.title, self.handle, self.page_markers)


@dataclass
class FakePlaylist:
    """A playlist of one channel's uploads."""

    playlist_id: str
    title: str
    channel: FakeChannel
    video_ids: list[str] = field(default_factory=list)


def channel_page_html(channel_id: str, title: str, handle: str, markers: frozenset[str]) -> str:
    """A channel page as www.youtube.com serves it, reduced to the parts that name channels."""
    url = f"https://www.youtube.com/channel/{channel_id}"
    head = [
        f"<title>{escape(title)} - YouTube</title>",
        f'<meta property="og:title" content={quoteattr(title)}>',
    ]
    if "canonical" in markers:
        head.append(f'<link rel="canonical" href="{url}">')
    if "rss" in markers:
        head.append(
            '<link rel="alternate" type="application/rss+xml" title="RSS" '
            f'href="https://www.youtube.com/feeds/videos.xml?channel_id={channel_id}">'
        )
    if "og_url" in markers:
        head.append(f'<meta property="og:url" content="{url}">')
    body = [f'<link itemprop="url" href="http://www.youtube.com/{quote(handle, safe="@")}">']
    if "itemprop_identifier" in markers:
        body.append(f'<meta itemprop="identifier" content="{channel_id}">')
    if "itemprop_channel_id" in markers:
        body.append(f'<meta itemprop="channelId" content="{channel_id}">')
    metadata: dict[str, Any] = {"title": title, "vanityChannelUrl": f"http://www.youtube.com/{handle}"}
    if "external_id" in markers:
        metadata["externalId"] = channel_id
    header: dict[str, Any] = {"title": title}
    if "channel_id" in markers:
        header["channelId"] = channel_id
    initial_data = {
        "responseContext": {"serviceTrackingParams": []},
        "header": {"pageHeaderRenderer": header},
        "metadata": {"channelMetadataRenderer": metadata},
        # Other channels appear on every page (featured channels, recommendations) by browseId.
        "contents": {"featuredChannels": [{"browseId": FEATURED_CHANNEL_ID, "title": "YouTube"}]},
    }
    script = f"var ytInitialData = {json.dumps(initial_data)};"
    return (
        '<!DOCTYPE html><html lang="en"><head>'
        + "".join(head)
        + '</head><body><div id="content">'
        + "".join(body)
        + f'</div><script nonce="n0nce">{script}</script></body></html>'
    )


CONSENT_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Before you continue to YouTube</title></head><body>'
    '<form action="https://consent.youtube.com/save" method="POST">'
    '<input type="hidden" name="continue" value="https://www.youtube.com/"><button>Accept all</button>'
    "</form></body></html>"
)
NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>This page isn't available.</body></html>"


@dataclass
class _FeedVersion:
    body: bytes
    etag: str
    last_modified: float


@dataclass
class FakeYouTubeChannels(FakeYouTube):
    """``FakeYouTube`` plus channel pages, channel/playlist feeds and channels.list; a context manager."""

    channels: dict[str, FakeChannel] = field(default_factory=dict)
    channel_playlists: dict[str, FakePlaylist] = field(default_factory=dict)
    # Path (without query) → status answered instead of the page or feed.
    page_failures: dict[str, int] = field(default_factory=dict)
    consent_wall: bool = False
    requests: list[tuple[str, int, str | None]] = field(default_factory=list)
    _feeds: dict[str, _FeedVersion] = field(default_factory=dict)

    def add_channel(self, channel: FakeChannel) -> FakeChannel:
        with self._lock:
            self.channels[channel.channel_id] = channel
        return channel

    def add_playlist(self, playlist: FakePlaylist) -> FakePlaylist:
        with self._lock:
            self.channel_playlists[playlist.playlist_id] = playlist
        return playlist

    def publish(self, channel_id: str, upload: FakeUpload) -> None:
        """A new upload: it tops the channel's feed from the next fetch on."""
        with self._lock:
            self.channels[channel_id].uploads.insert(0, upload)

    def feed_url(self, *, channel_id: str | None = None, playlist_id: str | None = None) -> str:
        query = f"channel_id={channel_id}" if channel_id else f"playlist_id={playlist_id}"
        return self.url(f"/feeds/videos.xml?{query}")

    def feed_requests(self) -> list[tuple[str, int, str | None]]:
        """The logged requests for feeds: (path with query, status, If-None-Match)."""
        with self._lock:
            return [r for r in self.requests if r[0].startswith("/feeds/")]

    # ---- HTTP -----------------------------------------------------------------------------------

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        api_handler = super().handler_class()

        class Handler(api_handler):
            def do_GET(self) -> None:
                split = urlsplit(self.path)
                inherited = split.path.startswith(("/youtube/v3/", "/player/")) or split.path == "/oembed"
                if inherited and split.path != "/youtube/v3/channels":
                    super().do_GET()
                    return
                status, headers, body = fake._channel_side(self.path, dict(self.headers.items()))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _channel_side(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        if self.latency:
            time.sleep(self.latency)
        response: tuple[int, dict[str, str], bytes]
        if split.path in self.page_failures:
            response = (self.page_failures[split.path], {"Content-Type": HTML_TYPE}, b"<html>Oops</html>")
        elif split.path == "/youtube/v3/channels":
            response = self._channels_list(query)
        elif split.path == "/feeds/videos.xml":
            response = self._feed(query, headers)
        elif self.consent_wall and split.path != "/consent":
            response = (302, {"Location": self.url(f"/consent?continue={quote(target, safe='')}")}, b"")
        elif split.path == "/consent":
            response = (200, {"Content-Type": HTML_TYPE}, CONSENT_PAGE.encode())
        else:
            channel = self._channel_at(split.path)
            response = (
                (200, {"Content-Type": HTML_TYPE}, channel.page().encode())
                if channel is not None
                else (404, {"Content-Type": HTML_TYPE}, NOT_FOUND_PAGE.encode())
            )
        with self._lock:
            self.hits[split.path] += 1
            self.requests.append((target, response[0], headers.get("If-None-Match")))
        return response

    def _channel_at(self, path: str) -> FakeChannel | None:
        segments = [unquote(s) for s in path.split("/") if s]
        first, second = [*segments, "", ""][:2]
        with self._lock:
            for channel in self.channels.values():
                if (
                    first == channel.handle
                    or (first == "channel" and second == channel.channel_id)
                    or (first == "c" and second == channel.custom_name)
                    or (first == "user" and second == channel.user_name)
                ):
                    return channel
        return None

    def _channels_list(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json; charset=UTF-8"}
        if query.get("key") != self.api_key:
            return 400, json_type, json.dumps(KEY_INVALID).encode()
        if self.api_failure is not None:
            return self.api_failure[0], json_type, json.dumps(self.api_failure[1]).encode()
        handle, user = query.get("forHandle"), query.get("forUsername")
        with self._lock:
            found = [
                c
                for c in self.channels.values()
                if (handle and c.handle.lower() == ("@" + handle.lstrip("@")).lower())
                or (user and c.user_name and c.user_name.lower() == user.lower())
            ]
        answer: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": "channels-etag",
            "pageInfo": {"totalResults": len(found), "resultsPerPage": 5},
        }
        if found:
            answer["items"] = [
                {"kind": "youtube#channel", "etag": "c-etag", "id": c.channel_id} for c in found
            ]
        return 200, json_type, json.dumps(answer).encode()

    def _feed(self, query: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        key = (
            f"channel_id={query['channel_id']}"
            if "channel_id" in query
            else f"playlist_id={query.get('playlist_id')}"
        )
        body = self._feed_body(query)
        if body is None:
            return 404, {"Content-Type": HTML_TYPE}, NOT_FOUND_PAGE.encode()
        version = self._version(key, body)
        validators = {
            "ETag": version.etag,
            "Last-Modified": formatdate(version.last_modified, usegmt=True),
            "Content-Type": ATOM_TYPE,
        }
        if _not_modified(headers, version):
            return 304, {"ETag": version.etag, "Last-Modified": validators["Last-Modified"]}, b""
        return 200, validators, body

    def _version(self, key: str, body: bytes) -> _FeedVersion:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            previous = self._feeds.get(key)
            if previous is not None and previous.etag == etag:
                return previous
            # Last-Modified has one-second resolution: a change must move it on even within a second.
            modified = time.time() if previous is None else max(time.time(), previous.last_modified + 1)
            self._feeds[key] = _FeedVersion(body, etag, modified)
            return self._feeds[key]

    def _feed_body(self, query: dict[str, str]) -> bytes | None:
        with self._lock:
            if "channel_id" in query:
                channel = self.channels.get(query["channel_id"])
                if channel is None:
                    return None
                return channel_feed_xml(channel, channel.uploads[:FEED_ENTRIES]).encode()
            playlist = self.channel_playlists.get(query.get("playlist_id", ""))
            if playlist is None:
                return None
            by_id = {u.video_id: u for u in playlist.channel.uploads}
            uploads = [by_id[v] for v in playlist.video_ids if v in by_id][:FEED_ENTRIES]
            return channel_feed_xml(playlist.channel, uploads, playlist=playlist).encode()


def _not_modified(headers: dict[str, str], version: _FeedVersion) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        return version.etag in [tag.strip() for tag in if_none_match.split(",")]
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return int(version.last_modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def channel_feed_xml(
    channel: FakeChannel, uploads: list[FakeUpload], *, playlist: FakePlaylist | None = None
) -> str:
    """A channel's (or a playlist's) feed in the shape www.youtube.com/feeds/videos.xml serves."""
    short_id = channel.channel_id.removeprefix("UC")
    channel_url = f"https://www.youtube.com/channel/{channel.channel_id}"
    if playlist is None:
        self_link = f"http://www.youtube.com/feeds/videos.xml?channel_id={channel.channel_id}"
        ids = f" <id>yt:channel:{short_id}</id>\n <yt:channelId>{short_id}</yt:channelId>\n"
        title, alternate = channel.title, channel_url
    else:
        self_link = f"http://www.youtube.com/feeds/videos.xml?playlist_id={playlist.playlist_id}"
        ids = (
            f" <id>yt:playlist:{playlist.playlist_id}</id>\n <yt:playlistId>{playlist.playlist_id}</yt:playlistId>\n"
            f" <yt:channelId>{short_id}</yt:channelId>\n"
        )
        title, alternate = playlist.title, f"https://www.youtube.com/playlist?list={playlist.playlist_id}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"'
        ' xmlns="http://www.w3.org/2005/Atom">\n'
        f' <link rel="self" href="{self_link}"/>\n'
        f"{ids}"
        f" <title>{escape(title)}</title>\n"
        f' <link rel="alternate" href={quoteattr(alternate)}/>\n'
        f" <author>\n  <name>{escape(channel.title)}</name>\n  <uri>{channel_url}</uri>\n </author>\n"
        " <published>2006-05-02T12:00:00+00:00</published>\n"
        + "".join(upload.entry(channel) for upload in uploads)
        + "</feed>\n"
    )
