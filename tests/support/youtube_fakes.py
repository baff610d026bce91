"""Local stand-ins for what YouTube serves a datacenter, so the fallbacks can be tested without the internet.

- ``FakeYouTube``: one HTTP server on 127.0.0.1 with the YouTube Data API v3 (``/youtube/v3/videos``,
  ``/youtube/v3/playlistItems``) and oEmbed (``/oembed``), answering in the shapes Google documents
  (videos.list: items[].id, snippet{publishedAt, channelId, title, description, thumbnails,
  channelTitle}, contentDetails{duration}, statistics{viewCount}; errors: {"error": {"code", "message",
  "errors": [{"message", "domain", "reason"}]}}; oEmbed: title, author_name, author_url, type, height,
  width, version, provider_name, provider_url, thumbnail_height, thumbnail_width, thumbnail_url, html),
  plus ``/player/<id>``, a player response (playabilityStatus + videoDetails) for the stand-in below.
- ``standin_youtube_extractor``: yt-dlp cannot reach YouTube here, so a test-only subclass of yt-dlp's
  own ``YoutubeIE`` takes its place for the duration of a test. It keeps YoutubeIE's URL matching, name
  (so the extractor key, media keys and channel ids are YouTube's) and refusal wording (the code of
  ``_real_extract`` in yt_dlp/extractor/youtube/_video.py, with the real ``_youtube_login_hint``), and
  only reads the player response from ``FakeYouTube`` instead of www.youtube.com.
- ``CountingProxy``: a forward HTTP proxy on 127.0.0.1 that counts what passes through it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.local_http import LocalHttpServer

BOT_CHECK = "Sign in to confirm you’re not a bot. This helps protect our community. Learn more"
RATE_LIMITED = "This content isn't available, try again later."
PAGE_SIZE = 50


@dataclass
class FakeVideo:
    """One public video as the Data API describes it."""

    video_id: str
    title: str
    description: str = "A description."
    duration: str = "PT4M13S"
    channel_id: str = "UCSMOQeBJ2RAnuFungnQOxLg"
    channel_title: str = "Blender"
    handle: str = "@BlenderOfficial"
    views: int = 1234567
    published_at: str = "2024-03-15T10:00:00Z"
    # What yt-dlp is told: None (it works), or YouTube's playability reason (BOT_CHECK…).
    refusal: str | None = None
    # Whether the refusal still carries videoDetails (yt-dlp then has a title but nothing else).
    details_with_refusal: bool = False

    def resource(self) -> dict[str, Any]:
        thumbs = {
            size: {"url": f"https://i.ytimg.com/vi/{self.video_id}/{name}.jpg", "width": w, "height": h}
            for size, name, w, h in (
                ("default", "default", 120, 90),
                ("medium", "mqdefault", 320, 180),
                ("high", "hqdefault", 480, 360),
                ("maxres", "maxresdefault", 1280, 720),
            )
        }
        return {
            "kind": "youtube#video",
            "etag": f"etag-{self.video_id}",
            "id": self.video_id,
            "snippet": {
                "publishedAt": self.published_at,
                "channelId": self.channel_id,
                "title": self.title,
                "description": self.description,
                "thumbnails": thumbs,
                "channelTitle": self.channel_title,
                "categoryId": "1",
                "liveBroadcastContent": "none",
                "localized": {"title": self.title, "description": self.description},
            },
            "contentDetails": {
                "duration": self.duration,
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "contentRating": {},
                "projection": "rectangular",
            },
            "statistics": {"viewCount": str(self.views), "likeCount": "10", "favoriteCount": "0"},
        }

    def oembed(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "author_name": self.channel_title,
            "author_url": f"https://www.youtube.com/{self.handle}",
            "type": "video",
            "height": 113,
            "width": 200,
            "version": "1.0",
            "provider_name": "YouTube",
            "provider_url": "https://www.youtube.com/",
            "thumbnail_height": 360,
            "thumbnail_width": 480,
            "thumbnail_url": f"https://i.ytimg.com/vi/{self.video_id}/hqdefault.jpg",
            "html": f'<iframe width="200" height="113" src="https://www.youtube.com/embed/{self.video_id}?feature=oembed"></iframe>',
        }

    def player_response(self) -> dict[str, Any]:
        details = {
            "videoId": self.video_id,
            "title": self.title,
            "lengthSeconds": "253",
            "channelId": self.channel_id,
            "shortDescription": self.description,
            "viewCount": str(self.views),
            "author": self.channel_title,
        }
        if self.refusal is None:
            return {"playabilityStatus": {"status": "OK"}, "videoDetails": details}
        status = {
            "status": "LOGIN_REQUIRED" if "Sign in" in self.refusal else "UNPLAYABLE",
            "reason": self.refusal,
        }
        return {
            "playabilityStatus": status,
            **({"videoDetails": details} if self.details_with_refusal else {}),
        }


def api_error(code: int, reason: str, message: str, domain: str = "youtube.quota") -> dict[str, Any]:
    """The error body Google's APIs send."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


QUOTA_EXCEEDED = api_error(
    403,
    "quotaExceeded",
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
)
KEY_INVALID = api_error(400, "badRequest", "API key not valid. Please pass a valid API key.", domain="global")


@dataclass
class FakeYouTube(LocalHttpServer):
    """The Data API, oEmbed and player responses on one local server; a context manager."""

    api_key: str = "AIzaSyFAKE-test-key-0123456789"
    latency: float = 0.0
    videos: dict[str, FakeVideo] = field(default_factory=dict)
    playlists: dict[str, list[str]] = field(default_factory=dict)
    # When set, the Data API answers every call with this error (status, body).
    api_failure: tuple[int, dict[str, Any]] | None = None
    # Ids oEmbed refuses with 401 (private, or embedding disabled).
    oembed_unauthorized: set[str] = field(default_factory=set)
    hits: Counter[str] = field(default_factory=Counter)
    keys_seen: list[str] = field(default_factory=list)
    cookies_seen: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        LocalHttpServer.__init__(self)

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.video_id] = video
        return video

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/youtube/v3"

    @property
    def oembed_url(self) -> str:
        return f"{self.base_url}/oembed"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                status, body = fake._answer(self.path, self.headers.get("Cookie"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def _answer(self, target: str, cookie: str | None) -> tuple[int, Any]:
        split = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        with self._lock:
            self.hits[split.path] += 1
            if cookie:
                self.cookies_seen.append(cookie)
            if "key" in query:
                self.keys_seen.append(query["key"])
        if self.latency:
            time.sleep(self.latency)
        if split.path.startswith("/youtube/v3/"):
            if self.api_failure is not None:
                return self.api_failure
            if query.get("key") != self.api_key:
                return 400, KEY_INVALID
            if split.path == "/youtube/v3/videos":
                return 200, self._videos(query)
            if split.path == "/youtube/v3/playlistItems":
                return self._playlist_items(query)
        if split.path == "/oembed":
            video_id = parse_qs(urlsplit(query.get("url", "")).query).get("v", [""])[0]
            if video_id in self.oembed_unauthorized:
                return 401, "Unauthorized"
            video = self.videos.get(video_id)
            return (200, video.oembed()) if video else (404, "Not Found")
        if split.path.startswith("/player/"):
            video = self.videos.get(split.path.removeprefix("/player/"))
            if video is None:
                return 200, {"playabilityStatus": {"status": "ERROR", "reason": "Video unavailable"}}
            return 200, video.player_response()
        return 404, {"error": {"code": 404, "message": "Not Found", "errors": []}}

    def _videos(self, query: dict[str, str]) -> dict[str, Any]:
        ids = [i for i in query.get("id", "").split(",") if i]
        items = [self.videos[i].resource() for i in ids if i in self.videos]
        return {
            "kind": "youtube#videoListResponse",
            "etag": "list-etag",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    def _playlist_items(self, query: dict[str, str]) -> tuple[int, Any]:
        ids = self.playlists.get(query.get("playlistId", ""))
        if ids is None:
            message = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found."
            return 404, api_error(404, "playlistNotFound", message, domain="youtube.playlistItem")
        start = int(query.get("pageToken") or 0)
        page = ids[start : start + PAGE_SIZE]
        answer: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": "page-etag",
            "items": [
                {"kind": "youtube#playlistItem", "id": f"item-{i}", "contentDetails": {"videoId": video_id}}
                for i, video_id in enumerate(page, start)
            ],
            "pageInfo": {"totalResults": len(ids), "resultsPerPage": PAGE_SIZE},
        }
        if start + PAGE_SIZE < len(ids):
            answer["nextPageToken"] = str(start + PAGE_SIZE)
        return 200, answer


@contextmanager
def standin_youtube_extractor(fake: FakeYouTube) -> Iterator[None]:
    """Replace yt-dlp's YoutubeIE, for the duration of the block, with one that reads ``fake``."""
    import yt_dlp.globals
    from yt_dlp.extractor import import_extractors
    from yt_dlp.extractor.youtube import YoutubeIE as RealYoutubeIE
    from yt_dlp.utils import int_or_none, remove_end

    from watcharr.adapters.ytdlp import drop_reused_instances

    player_base = f"{fake.base_url}/player/"

    class YoutubeIE(RealYoutubeIE):  # the class name is what gives the extractor key "Youtube"
        def _real_extract(self, url: str) -> dict[str, Any]:
            video_id = self._match_id(url)
            player = self._download_json(player_base + video_id, video_id)
            status = player.get("playabilityStatus") or {}
            details = player.get("videoDetails") or {}
            reason = status.get("reason") or ""
            if status.get("status") != "OK" and reason:
                # As youtube/_video.py _real_extract words it before raise_no_formats.
                if "sign in" in reason.lower():
                    reason = remove_end(reason, "This helps protect our community. Learn more")
                    reason = f"{remove_end(reason.strip(), '.')}. {self._youtube_login_hint}"
                self.raise_no_formats(reason, expected=True)
            return {
                "id": video_id,
                "title": details.get("title"),
                "description": details.get("shortDescription"),
                "duration": int_or_none(details.get("lengthSeconds")),
                "view_count": int_or_none(details.get("viewCount")),
                "channel_id": details.get("channelId"),
                "channel": details.get("author"),
                "channel_url": f"https://www.youtube.com/channel/{details['channelId']}"
                if details.get("channelId")
                else None,
                "webpage_url": f"https://www.youtube.com/watch?v={video_id}",
                "formats": [],
            }

    import_extractors()
    registry = yt_dlp.globals.extractors.value
    real = registry["YoutubeIE"]
    registry["YoutubeIE"] = YoutubeIE
    drop_reused_instances()
    try:
        yield
    finally:
        registry["YoutubeIE"] = real
        drop_reused_instances()


class CountingProxy(LocalHttpServer):
    """A forward HTTP proxy on 127.0.0.1 (plain http only) that counts the requests it relays."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        # The relay itself must not go through any proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _relay(self, send_body: bool) -> None:
                with proxy._lock:
                    proxy.requests.append(self.path)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in {"proxy-connection", "host"}
                }
                upstream = urllib.request.Request(self.path, headers=headers, method=self.command)
                try:
                    with opener.open(upstream, timeout=10) as response:
                        status, body, reply_headers = response.status, response.read(), response.headers
                except urllib.error.HTTPError as exc:
                    status, body, reply_headers = exc.code, exc.read(), exc.headers
                self.send_response(status)
                for name in ("Content-Type", "ETag", "Last-Modified", "Location"):
                    if reply_headers.get(name):
                        self.send_header(name, reply_headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._relay(send_body=True)

            def do_HEAD(self) -> None:
                self._relay(send_body=False)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


def youtube_settings_env(fake: FakeYouTube, *, with_key: bool) -> dict[str, str]:
    """The WATCHARR_* variables that point the extractor at ``fake`` (with or without an API key)."""
    return {
        "WATCHARR_YOUTUBE_API_URL": fake.api_url,
        "WATCHARR_YOUTUBE_OEMBED_URL": fake.oembed_url,
        "WATCHARR_YOUTUBE_API_KEY": fake.api_key if with_key else "",
    }
