"""Recognise the links people share and reduce each one to the URL to fetch and its dedup key.

Links arrive from the iOS share sheet (a link inside a sentence), from batches and from the CLI. A
YouTube video has dozens of URL forms (youtu.be, /shorts/, /embed/, m./music. hosts, tracking
parameters…); they all become ``https://www.youtube.com/watch?v=<id>`` and the key ``youtube:<id>``,
so that the same video shared twice restores the existing row instead of adding a second one.
Links to other sites are only cleaned (tracking parameters dropped, host punycoded); the extractor
lets yt-dlp decide whether it supports them and derives their key after extraction.

Pure code (no yt-dlp, no network): the API function imports this module on every cold start.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, unquote, unquote_plus, urljoin, urlsplit

from watcharr.limits import MAX_URL_LENGTH

if TYPE_CHECKING:
    from watcharr.models.messages import ExtractKind

CANONICAL_WATCH_URL = "https://www.youtube.com/watch?v={}"
CANONICAL_SHORTS_URL = "https://www.youtube.com/shorts/{}"
CANONICAL_PLAYLIST_URL = "https://www.youtube.com/playlist?list={}"

_SHARE_ADVICE = "share a video or a playlist"
_NO_LINK_ADVICE = "share a link to a video, a playlist or a podcast episode"
# Characters of a URL shown inside a reason, so reasons stay one readable line.
_SHOWN_URL_CHARS = 100
_SHOWN_TEXT_CHARS = 60
# attribution_link, consent and redirect pages wrap another URL; more nesting than this is not real.
_MAX_UNWRAP_DEPTH = 3

# An id may be followed by junk that is not an id character ("?si=" glued on by a careless copy),
# but a run of id characters longer or shorter than 11 is a different, invalid id.
_VIDEO_ID_RE = re.compile(r"([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_PLAYLIST_ID_RE = re.compile(r"[A-Za-z0-9_-]+")
_PLAYLIST_ID_LENGTHS = range(10, 65)
_APPLE_SHOW_ID_RE = re.compile(r"id(\d{1,20})")
_APPLE_EPISODE_ID_RE = re.compile(r"\d{1,20}")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
_FRAGMENT_QUERY_RE = re.compile(r"^[!/]*(?:watch)?\??")

# A link ends at whitespace and at characters that never appear raw in a shared URL (the quotes and
# angle brackets put around it).
_TOKEN_RE = re.compile('[^\\s<>"`\u201c\u201d\u00ab\u00bb]+')
# Invisible characters that copy-paste leaves in and around links; removed before anything else.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_USERINFO_RE = re.compile(r"(?<=//)[^/?#@\s]*@")
_HTTP_RE = re.compile(r"https?://", re.IGNORECASE)
_BARE_HOST_RE = re.compile(r"(?://)?((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)(?::\d+)?(?:[/?#]|$)")
_OTHER_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{1,31}):(//)?")
_LEADING_PUNCTUATION = "([{'*\u2018\u201c\u00ab"
_TRAILING_PUNCTUATION = ".,;:!?'\"*\u2026\u3002\u3001\uff0c\uff01\uff1f\u201d\u2019\u00bb\u203a"
_CLOSING_BRACKETS = {")": "(", "]": "[", "}": "{"}
# C0 and C1 controls, DEL, the bidirectional overrides used to disguise where a link points, and
# lone surrogates (valid in JSON strings, but not encodable, so not part of any real link).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# fmt: off
# Schemes that are never web pages, refused even when written without "//" (javascript:alert(1)).
_NON_WEB_SCHEMES = frozenset(
    {
        "javascript", "vbscript", "data", "file", "mailto", "tel", "sms", "about", "blob", "ftp", "ftps",
        "chrome", "view-source", "intent", "vnd.youtube", "youtube", "podcasts", "itms", "itms-podcasts"
    }
)

_LABEL_RE = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_MAX_HOST_LENGTH = 253

_YOUTUBE_HOST_RE = re.compile(r"(?:[a-z0-9-]+\.)?(?:youtube|youtube-nocookie|youtubekids)\.com")
_YOUTU_BE_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_YOUTUBE_API_HOST = "youtube.googleapis.com"
_YOUTUBE_CONSENT_HOST = "consent.youtube.com"
_YOUTUBE_STUDIO_HOST = "studio.youtube.com"
_APPLE_PODCAST_HOSTS = frozenset({"podcasts.apple.com", "embed.podcasts.apple.com", "itunes.apple.com"})

# First path segments of youtube.com that take the video id from the `v` query parameter.
_WATCH_PAGES = frozenset({"watch", "watch_popup", "watch.php", "movie", "movie_popup"})
# First path segments followed by the video id itself.
_ID_IN_PATH_PAGES = frozenset({"embed", "e", "v", "live", "shorts", "watch"})
_CHANNEL_PREFIXES = frozenset({"channel", "c", "user"})
_SEARCH_PAGES = frozenset({"results", "search"})
_FEED_PAGES = frozenset(
    {
        "feed", "feeds", "hashtag", "trending", "explore", "gaming", "premium", "kids", "music", "library",
        "subscriptions", "history", "playlists", "shorts", "live", "news", "sports", "learning", "fashion",
        "podcasts", "courses", "course", "channels", "moviesandtv", "movies"
    }
)
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

# Query parameters that only say where a click came from; dropping them never changes the page.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
        "igsh", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "si", "ref_src", "ref_url"
    }
)
# fmt: on
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when percent-encoding; "%" keeps existing escapes (and idempotence).
_SAFE_PATH = "/%!$&'()*+,;=:@~[]"
_SAFE_QUERY_PART = "/?%!$'()*+,;=:@~[]"
_SAFE_FRAGMENT = "/?%!$&'()*+,;=:@~[]#"


@dataclass(frozen=True)
class MediaLink:
    """A shared link reduced to what the extractor fetches and the key duplicates share."""

    url: str
    kind: ExtractKind
    # "youtube:<id>", "youtube-playlist:<list id>" or "apple-episode:<id>"; None when only the
    # extractor can tell (other sites: it uses f"{extractor_key.lower()}:{id}").
    media_key: str | None
    is_short: bool = False


class UnsupportedLink(ValueError):
    """A link this service will not add; ``reason`` says what was wrong, in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Parts(NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str


def find_url(text: str) -> str | None:
    """The first http(s) link in share-sheet text, without the punctuation around it.

    Also finds YouTube and Apple Podcasts links written without a scheme ("youtu.be/…",
    "www.youtube.com/…", "www.<any host>/…") and returns them with ``https://``.
    """
    found = _locate_url(text.translate(_INVISIBLE))
    return found[2] if found else None


def normalize_link(text: str) -> MediaLink:
    """The canonical link, extraction kind and dedup key of a shared link or share-sheet text.

    Raises UnsupportedLink, with a reason a person can act on, for anything that is not a link to
    a video, a playlist or a podcast episode.
    """
    return _classify(_link_in_text(text), depth=0)


def youtube_video_id(url: str) -> str | None:
    """The 11-character id of a YouTube video link in any of its forms, else None."""
    try:
        link = normalize_link(url)
    except UnsupportedLink:
        return None
    if link.media_key is not None and link.media_key.startswith("youtube:"):
        return link.media_key.removeprefix("youtube:")
    return None


def apple_podcast_ids(url: str) -> tuple[str, str | None] | None:
    """(show id, episode id or None) of an Apple Podcasts link; None for anything else.

    Episode links without the show's ``id<N>`` segment (``/podcast/<slug>?i=<M>``) also give None:
    they cannot be turned into a subscription.
    """
    found = find_url(url)
    if found is None:
        return None
    try:
        parts = _split(found)
    except UnsupportedLink:
        return None
    segments = _apple_podcast_segments(parts)
    if segments is None:
        return None
    show_id = _apple_show_id(segments)
    if show_id is None:
        return None
    episode = _query_value(parts.query, "i")
    return show_id, episode if episode and _APPLE_EPISODE_ID_RE.fullmatch(episode) else None


def is_apple_podcasts_show(url: str) -> bool:
    """Whether the link is an Apple Podcasts show page (something to subscribe to, not an episode)."""
    ids = apple_podcast_ids(url)
    return ids is not None and ids[1] is None


# ---- finding the link in a text ----------------------------------------------------------------


def _locate_url(text: str) -> tuple[int, int, str] | None:
    """(start, end, url): where the first link's token lies in ``text``, and the cleaned link."""
    for token in _TOKEN_RE.finditer(text):
        value = token.group()
        scheme = _HTTP_RE.search(value)
        if scheme is not None:
            return token.start(), token.end(), _strip_trailing(value[scheme.start() :])
        bare = _strip_trailing(value.lstrip(_LEADING_PUNCTUATION))
        host = _BARE_HOST_RE.match(bare)
        if host is not None and _is_shareable_bare_host(host.group(1).lower()):
            return token.start(), token.end(), "https://" + bare.removeprefix("//")
    return None


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation after a link, keeping brackets the link itself opened (Wikipedia)."""
    # Counted once, not per character: a token of a million ")" must not take quadratic time.
    surplus = {close: url.count(close) - url.count(open_) for close, open_ in _CLOSING_BRACKETS.items()}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in surplus and surplus[last] > 0:
            surplus[last] -= 1
        elif last not in _TRAILING_PUNCTUATION:
            break
        end -= 1
    return url[:end]


def _is_shareable_bare_host(host: str) -> bool:
    return (
        host.startswith("www.")
        or _is_youtube_host(host)
        or host in _YOUTU_BE_HOSTS
        or host in _APPLE_PODCAST_HOSTS
    )


def _link_in_text(text: str) -> str:
    """The link a person meant, or UnsupportedLink saying why there is none."""
    stripped = text.translate(_INVISIBLE).strip()
    if not stripped:
        raise UnsupportedLink(f"no link found: the text is empty; {_NO_LINK_ADVICE}")
    found = _locate_url(stripped)
    if found is None:
        raise _no_link(stripped)
    start, end, url = found
    # A text that begins with the link and goes on after a space on the same line is one link
    # with a space in it (a CLI argument or batch line); words before the link make it a sentence.
    if not stripped[:start].strip(_LEADING_PUNCTUATION + "<"):
        rest_of_line = _first_line(stripped[end:]).strip().strip(_TRAILING_PUNCTUATION + ")]}>")
        line = _first_line(stripped)
        if rest_of_line and _locate_url(rest_of_line):
            raise UnsupportedLink(
                f'"{_show(line)}" holds more than one link; send one link at a time, or a batch'
            )
        if rest_of_line:
            raise UnsupportedLink(
                f'"{_show(line)}" has a space in it; a link cannot contain spaces '
                "(put any comment before the link or on another line)"
            )
    return url


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0] if lines else ""


def _no_link(text: str) -> UnsupportedLink:
    for token in _TOKEN_RE.finditer(text):
        other = _OTHER_SCHEME_RE.match(token.group().lstrip(_LEADING_PUNCTUATION))
        if other is not None and (other.group(2) or other.group(1).lower() in _NON_WEB_SCHEMES):
            return UnsupportedLink(
                f'{_show(token.group())} is not a web link ("{other.group(1).lower()}:"); '
                "only http and https links can be added"
            )
    return UnsupportedLink(f'no link found in "{_show(text, _SHOWN_TEXT_CHARS)}"; {_NO_LINK_ADVICE}')


# ---- URL syntax ---------------------------------------------------------------------------------


def _split(url: str) -> _Parts:
    """Syntax checks common to every site; the host comes back lower-case and punycoded."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsupportedLink(
            f"the link {_show(url, _SHOWN_TEXT_CHARS)} is {len(url)} characters long, "
            f"more than the {MAX_URL_LENGTH} allowed"
        )
    if _CONTROL_RE.search(url):
        raise UnsupportedLink(f"{_show(url)} contains control or invalid characters, which no link has")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsupportedLink(f"{_show(url)} is not a valid web address") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsupportedLink(
            f'{_show(url)} is not a web link ("{scheme}:"); only http and https links can be added'
        )
    if "@" in parts.netloc:
        # The reason must not echo a password, so it names the host only.
        host = parts.netloc.rpartition("@")[2]
        raise UnsupportedLink(
            f"the link to {_show(host, _SHOWN_TEXT_CHARS)} contains a user name or password; "
            "share it without them"
        )
    try:
        hostname = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise UnsupportedLink(f"{_show(url)} has an invalid port or host") from None
    if not hostname:
        raise UnsupportedLink(f"{_show(url)} has no host name")
    if port == 0:
        raise UnsupportedLink(f"{_show(url)} has an invalid port")
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return _Parts(scheme, _canonical_host(hostname, url), port, parts.path, parts.query, parts.fragment)


def _canonical_host(host: str, url: str) -> str:
    invalid = UnsupportedLink(f'{_show(url)} has an invalid host name "{_show(host, _SHOWN_TEXT_CHARS)}"')
    host = host.rstrip(".")
    if ":" in host or _IPV4_RE.fullmatch(host):
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise invalid from None
        # Loopback and private networks serve local test pages; the extractor's SSRF guard decides
        # whether they may be fetched. Link-local (cloud metadata) and the rest are never web sites.
        unusable = (
            address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved
        )
        if unusable and not address.is_loopback:
            raise UnsupportedLink(f"{_show(url)} points to a reserved network address, not a web site")
        return address.compressed
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise invalid from None
    labels = host.split(".")
    if host == "localhost" or (len(labels) > 1 and labels[-1] == "localhost"):
        labels = labels[:-1]
    elif len(labels) < 2 or not _TLD_RE.fullmatch(labels[-1]):
        raise invalid
    if len(host) > _MAX_HOST_LENGTH or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise invalid
    return host


def _netloc(parts: _Parts) -> str:
    host = f"[{parts.host}]" if ":" in parts.host else parts.host
    return host if parts.port is None else f"{host}:{parts.port}"


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Decoded (key, value) pairs in order; "&amp;" from HTML-escaped copies counts as "&"."""
    while "&amp;" in query:
        query = query.replace("&amp;", "&")
    pairs = []
    for piece in re.split("[&;]", query):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _query_value(query: str, name: str) -> str | None:
    """The first non-empty value of a query parameter."""
    return next((value for key, value in _query_pairs(query) if key == name and value), None)


def _show(text: str, limit: int = _SHOWN_URL_CHARS) -> str:
    """Text fit for a one-line reason: control characters replaced, long text cut."""
    text = _CONTROL_RE.sub("\ufffd", _USERINFO_RE.sub("", " ".join(text.split())))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- classification ------------------------------------------------------------------------------


def _classify(url: str, depth: int) -> MediaLink:
    parts = _split(url)
    if _is_youtube_host(parts.host) or parts.host in _YOUTU_BE_HOSTS or parts.host == _YOUTUBE_API_HOST:
        return _youtube(parts, url, depth)
    if parts.host in _APPLE_PODCAST_HOSTS:
        return _apple(parts, url)
    canonical = _generic_url(parts)
    if len(canonical) > MAX_URL_LENGTH:
        raise UnsupportedLink(
            f"the link {_show(url, _SHOWN_TEXT_CHARS)} is longer than the {MAX_URL_LENGTH} "
            "characters allowed once encoded"
        )
    return MediaLink(url=canonical, kind="video", media_key=None)


def _is_youtube_host(host: str) -> bool:
    return _YOUTUBE_HOST_RE.fullmatch(host) is not None


def _generic_url(parts: _Parts) -> str:
    """The link as given, minus tracking parameters and default port, consistently percent-encoded."""
    kept = [
        quote(piece, safe=_SAFE_QUERY_PART + "=")
        for piece in parts.query.split("&")
        if piece and not _is_tracking_param(unquote_plus(piece.partition("=")[0]))
    ]
    url = f"{parts.scheme}://{_netloc(parts)}{quote(parts.path, safe=_SAFE_PATH) or '/'}"
    if kept:
        url += "?" + "&".join(kept)
    if parts.fragment:
        url += "#" + quote(parts.fragment, safe=_SAFE_FRAGMENT)
    return url


def _is_tracking_param(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


# ---- YouTube -----------------------------------------------------------------------------------


def _video(raw_id: str, url: str, *, is_short: bool = False) -> MediaLink:
    """A video link from the text that should start with the id (a path segment or ``v`` value)."""
    match = _VIDEO_ID_RE.match(raw_id)
    if match is None:
        raise UnsupportedLink(
            f'{_show(url)} has an invalid video id "{_show(raw_id, 20)}"; '
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
            f"{_show(url)} is a private list (Watch later or Liked videos) that only your YouTube "
            "account can read; share a public playlist or its videos"
        )
    # RDCLAK5uy_ lists are fixed curated playlists; every other RD… list is a Mix, generated per
    # viewer and different on each load, so adding it would add videos nobody chose.
    if list_id.startswith("RD") and not list_id.startswith("RDCLAK5uy_"):
        raise UnsupportedLink(
            f"{_show(url)} is a YouTube Mix, an endless list generated for each viewer; "
            "share one of its videos or a regular playlist"
        )
    if len(list_id) not in _PLAYLIST_ID_LENGTHS:
        raise UnsupportedLink(f'{_show(url)} has an invalid playlist id "{_show(raw_id, 20)}"')
    return MediaLink(
        url=CANONICAL_PLAYLIST_URL.format(list_id), kind="playlist", media_key=f"youtube-playlist:{list_id}"
    )


def _youtube(parts: _Parts, url: str, depth: int) -> MediaLink:
    segments = [unquote(s) for s in parts.path.split("/") if s]
    first = segments[0].lower() if segments else ""
    second = segments[1] if len(segments) > 1 else ""

    if parts.host in _YOUTU_BE_HOSTS:
        if not first:
            raise UnsupportedLink(f"{_show(url)} has no video id; the link looks cut off")
        return _video(segments[0], url)
    if parts.host == _YOUTUBE_CONSENT_HOST:
        return _unwrap(_query_value(parts.query, "continue"), url, depth, "cookie consent page")
    if parts.host == _YOUTUBE_STUDIO_HOST and first == "video" and second:
        return _video(second, url)
    if first == "attribution_link":
        return _unwrap(_query_value(parts.query, "u"), url, depth, "attribution link")
    if first == "redirect":
        return _unwrap(_query_value(parts.query, "q"), url, depth, "redirect page")

    video_id = _query_value(parts.query, "v")
    list_id = _query_value(parts.query, "list")
    # Both names are 11 id characters long, so they must be caught before the id is read.
    if first == "embed" and second.lower() in {"", "videoseries"} and list_id:
        return _playlist(list_id, url)
    if first == "embed" and second.lower() == "videoseries":
        raise UnsupportedLink(f"{_show(url)} has no playlist id; the link looks cut off")
    if first == "embed" and second.lower() == "live_stream":
        raise UnsupportedLink(f"{_show(url)} is a channel's live-stream player; share the live video itself")
    if first in _ID_IN_PATH_PAGES and second:
        return _video(second, url, is_short=first == "shorts")
    if first in _WATCH_PAGES or first == "":
        if video_id:
            return _video(video_id, url)
        if list_id:
            return _playlist(list_id, url)
        # Old links kept the video in the fragment: "/#/watch?v=…" and "/watch#!v=…".
        hidden = _query_value(_FRAGMENT_QUERY_RE.sub("", parts.fragment), "v")
        if hidden:
            return _video(hidden, url)
        if first == "":
            raise UnsupportedLink(f"{_show(url)} is the YouTube home page; {_SHARE_ADVICE}")
        raise UnsupportedLink(f"{_show(url)} has no video id; the link looks cut off")
    if first in _ID_IN_PATH_PAGES and first not in _FEED_PAGES:
        raise UnsupportedLink(f"{_show(url)} has no video id; the link looks cut off")
    if first == "playlist":
        if list_id:
            return _playlist(list_id, url)
        raise UnsupportedLink(f"{_show(url)} has no playlist id; the link looks cut off")
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
        raise UnsupportedLink(f"{_show(url)} is a channel page; {_SHARE_ADVICE}")
    if first in _SEARCH_PAGES:
        raise UnsupportedLink(f"{_show(url)} is a search results page; {_SHARE_ADVICE}")
    if first in _FEED_PAGES:
        raise UnsupportedLink(f"{_show(url)} is a feed page; {_SHARE_ADVICE}")
    raise UnsupportedLink(f"{_show(url)} is a YouTube page, not a video or a playlist; {_SHARE_ADVICE}")


def _unwrap(inner: str | None, url: str, depth: int, what: str) -> MediaLink:
    """Classify the link a YouTube wrapper page (consent, attribution, redirect) points to."""
    if not inner or depth >= _MAX_UNWRAP_DEPTH:
        raise UnsupportedLink(f"{_show(url)} is a YouTube {what} without a usable link in it")
    return _classify(urljoin("https://www.youtube.com/", inner.strip()), depth + 1)


# ---- Apple Podcasts ----------------------------------------------------------------------------


def _apple_podcast_segments(parts: _Parts) -> list[str] | None:
    """Path segments after ``[<country>/]podcast/``, or None when it is not a podcast page."""
    if parts.host not in _APPLE_PODCAST_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments and _COUNTRY_RE.fullmatch(segments[0]):
        segments = segments[1:]
    if not segments or segments[0].lower() != "podcast":
        return None
    return segments[1:]


def _apple_show_id(segments: list[str]) -> str | None:
    return next((m.group(1) for s in segments if (m := _APPLE_SHOW_ID_RE.fullmatch(s))), None)


def _apple(parts: _Parts, url: str) -> MediaLink:
    segments = _apple_podcast_segments(parts)
    if segments is None:
        raise UnsupportedLink(
            f"{_show(url)} is an Apple Podcasts page that is not an episode; "
            "share an episode, or subscribe to a show with POST /api/podcasts"
        )
    episode = _query_value(parts.query, "i")
    if episode is None:
        if _apple_show_id(segments) is None:
            raise UnsupportedLink(f"{_show(url)} names neither a podcast show nor an episode")
        raise UnsupportedLink(
            f"{_show(url)} is a podcast show, not an episode; "
            "to follow it, subscribe with POST /api/podcasts instead"
        )
    if not _APPLE_EPISODE_ID_RE.fullmatch(episode):
        raise UnsupportedLink(f'{_show(url)} has an invalid episode id "{_show(episode, 20)}"')
    # Apple serves every country and the legacy iTunes host from podcasts.apple.com; the path
    # (country, slug, show id) is kept because the extractor reads the country from it.
    path = quote(parts.path.rstrip("/"), safe=_SAFE_PATH)
    return MediaLink(
        url=f"https://podcasts.apple.com{path}?i={episode}",
        kind="apple_episode",
        media_key=f"apple-episode:{episode}",
    )
