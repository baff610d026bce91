"""YouTube links: dozens of URL forms (youtu.be, /shorts/, /embed/, m./music. hosts, tracking
parameters…) all become ``https://www.youtube.com/watch?v=<id>`` and the key ``youtube:<id>``, so the
same video shared twice restores the existing row instead of adding a second one."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from watcharr.domain.links.cleaning import MediaLink, Parts, UnsupportedLink, query_value, shown
from watcharr.domain.links.hosts import YOUTU_BE_HOSTS, YOUTUBE_CONSENT_HOST, YOUTUBE_STUDIO_HOST

# Classifies the link a wrapper page (consent, attribution, redirect) points to: (inner link or None,
# the wrapper's URL, the nesting depth so far, what the wrapper is called in a reason).
Unwrap = Callable[[str | None, str, int, str], MediaLink]

CANONICAL_WATCH_URL = "https://www.youtube.com/watch?v={}"
CANONICAL_SHORTS_URL = "https://www.youtube.com/shorts/{}"
CANONICAL_PLAYLIST_URL = "https://www.youtube.com/playlist?list={}"
_SHARE_ADVICE = "share a video or a playlist"

# An id may be followed by junk that is not an id character ("?si=" glued on by a careless copy),
# but a run of id characters longer or shorter than 11 is a different, invalid id.
_VIDEO_ID_RE = re.compile(r"([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_PLAYLIST_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_PLAYLIST_ID_LENGTHS = range(10, 65)
_FRAGMENT_QUERY_RE = re.compile(r"^[!/]*(?:watch)?\??")

# First path segments of youtube.com that take the video id from the `v` query parameter.
_WATCH_PAGES = frozenset({"watch", "watch_popup", "watch.php", "movie", "movie_popup"})

# First path segments followed by the video id itself.
_ID_IN_PATH_PAGES = frozenset({"embed", "e", "v", "live", "shorts", "watch"})
_CHANNEL_PREFIXES = frozenset({"channel", "c", "user"})
_SEARCH_PAGES = frozenset({"results", "search"})

# fmt: off
_FEED_PAGES = frozenset(
    {
        "feed", "feeds", "hashtag", "trending", "explore", "gaming", "premium", "kids", "music", "library",
        "subscriptions", "history", "playlists", "shorts", "live", "news", "sports", "learning", "fashion",
        "podcasts", "courses", "course", "channels", "moviesandtv", "movies"
    }
)
# fmt: on

# fmt: off
# youtube.com paths that are neither channels nor media (YouTube's own reserved names).
_RESERVED_PAGES = (
    frozenset(
        {
            "account", "about", "t", "upload", "signin", "logout", "post", "source", "shared", "oops",
            "index", "storefront", "oembed", "iframe_api", "get_video_info", "s", "browse", "clip",
            "playlist", "w", "attribution_link", "redirect", "ads", "creators", "howyoutubeworks", "jobs",
            "new", "yt", "verify_age", "paid_memberships", "reporthistory", "select_site",
            "supported_browsers"
        }
    )
    | _WATCH_PAGES
    | _ID_IN_PATH_PAGES
    | _CHANNEL_PREFIXES
    | _SEARCH_PAGES
    | _FEED_PAGES
)
# fmt: on


def _video(raw_id: str, url: str, *, is_short: bool = False) -> MediaLink:
    """A video link from the text that should start with the id (a path segment or ``v`` value)."""
    match = _VIDEO_ID_RE.match(raw_id)
    if match is None:
        raise UnsupportedLink(
            f'{shown(url)} has an invalid video id "{shown(raw_id, 20)}"; '
            "a YouTube video id is exactly 11 letters, digits, '-' or '_'"
        )
    video_id = match.group(1)
    canonical = (CANONICAL_SHORTS_URL if is_short else CANONICAL_WATCH_URL).format(video_id)
    return MediaLink(url=canonical, kind="video", media_key=f"youtube:{video_id}", is_short=is_short)


def _playlist(raw_id: str, url: str) -> MediaLink:
    match = _PLAYLIST_ID_RE.match(raw_id)
    list_id = match.group() if match else ""
    if list_id in {"WL", "LL", "LM"}:
        raise UnsupportedLink(
            f"{shown(url)} is a private list (Watch later or Liked videos) that only your YouTube "
            "account can read; share a public playlist or its videos"
        )
    # RDCLAK5uy_ lists are fixed curated playlists; every other RD… list is a Mix, generated per
    # viewer and different on each load, so adding it would add videos nobody chose.
    if list_id.startswith("RD") and not list_id.startswith("RDCLAK5uy_"):
        raise UnsupportedLink(
            f"{shown(url)} is a YouTube Mix, an endless list generated for each viewer; "
            "share one of its videos or a regular playlist"
        )
    if len(list_id) not in _PLAYLIST_ID_LENGTHS:
        raise UnsupportedLink(f'{shown(url)} has an invalid playlist id "{shown(raw_id, 20)}"')
    return MediaLink(
        url=CANONICAL_PLAYLIST_URL.format(list_id), kind="playlist", media_key=f"youtube-playlist:{list_id}"
    )


def youtube_link(parts: Parts, url: str, depth: int, unwrap: Unwrap) -> MediaLink:
    """The video or playlist a youtube.com, youtu.be or wrapper link names, or UnsupportedLink."""
    segments = [unquote(s) for s in parts.path.split("/") if s]
    first = segments[0].lower() if segments else ""
    second = segments[1] if len(segments) > 1 else ""

    if parts.host in YOUTU_BE_HOSTS:
        if not first:
            raise UnsupportedLink(f"{shown(url)} has no video id; the link looks cut off")
        return _video(segments[0], url)
    if parts.host == YOUTUBE_CONSENT_HOST:
        return unwrap(query_value(parts.query, "continue"), url, depth, "cookie consent page")
    if parts.host == YOUTUBE_STUDIO_HOST and first == "video" and second:
        return _video(second, url)
    if first == "attribution_link":
        return unwrap(query_value(parts.query, "u"), url, depth, "attribution link")
    if first == "redirect":
        return unwrap(query_value(parts.query, "q"), url, depth, "redirect page")

    video_id = query_value(parts.query, "v")
    list_id = query_value(parts.query, "list")
    # Both names are 11 id characters long, so they must be caught before the id is read.
    if first == "embed" and second.lower() in {"", "videoseries"} and list_id:
        return _playlist(list_id, url)
    if first == "embed" and second.lower() == "videoseries":
        raise UnsupportedLink(f"{shown(url)} has no playlist id; the link looks cut off")
    if first == "embed" and second.lower() == "live_stream":
        raise UnsupportedLink(f"{shown(url)} is a channel's live-stream player; share the live video itself")
    if first in _ID_IN_PATH_PAGES and second:
        return _video(second, url, is_short=first == "shorts")
    if first in _WATCH_PAGES or first == "":
        if video_id:
            return _video(video_id, url)
        if list_id:
            return _playlist(list_id, url)
        # Old links kept the video in the fragment: "/#/watch?v=…" and "/watch#!v=…".
        hidden = query_value(_FRAGMENT_QUERY_RE.sub("", parts.fragment), "v")
        if hidden:
            return _video(hidden, url)
        if first == "":
            raise UnsupportedLink(f"{shown(url)} is the YouTube home page; {_SHARE_ADVICE}")
        raise UnsupportedLink(f"{shown(url)} has no video id; the link looks cut off")
    if first in _ID_IN_PATH_PAGES and first not in _FEED_PAGES:
        raise UnsupportedLink(f"{shown(url)} has no video id; the link looks cut off")
    if first == "playlist":
        if list_id:
            return _playlist(list_id, url)
        raise UnsupportedLink(f"{shown(url)} has no playlist id; the link looks cut off")
    if first == "browse" and second.startswith("VL"):
        return _playlist(second[2:], url)
    if first == "browse" and second.startswith("MPREb_"):
        # A YouTube Music album page: the extractor resolves it to the album's playlist.
        canonical = f"https://music.youtube.com/browse/{quote(second, safe='')}"
        return MediaLink(url=canonical, kind="playlist", media_key=None)
    if first == "clip" and second:
        # A clip has its own id; the extractor reports the video it was cut from.
        return MediaLink(
            url=f"https://www.youtube.com/clip/{quote(second, safe='')}", kind="video", media_key=None
        )
    if (
        first.startswith("@")
        or (first in _CHANNEL_PREFIXES and second)
        or (first == "browse" and second.startswith("UC"))
        or (first and first not in _RESERVED_PAGES)
    ):
        raise UnsupportedLink(
            f"{shown(url)} is a channel page; {_SHARE_ADVICE}, or follow the channel with POST /api/channels"
        )
    if first in _SEARCH_PAGES:
        raise UnsupportedLink(f"{shown(url)} is a search results page; {_SHARE_ADVICE}")
    if first in _FEED_PAGES:
        raise UnsupportedLink(f"{shown(url)} is a feed page; {_SHARE_ADVICE}")
    raise UnsupportedLink(f"{shown(url)} is a YouTube page, not a video or a playlist; {_SHARE_ADVICE}")
