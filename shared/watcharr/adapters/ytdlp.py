"""yt-dlp through its Python API: one video's metadata, or a playlist's entry links without fetching them.

yt-dlp is imported inside the functions: importing it costs about 0.2 s, which every handler that
imports this module would otherwise pay at cold start. A container reuses one ``YoutubeDL`` per set of
options (building one is most of a link's CPU), emptying its cookies and its "printed once" memory
before each link, so no state carries from one user's link to the next.

What the options guarantee: no download, no cookies (nothing read from a browser; a cookie file only
when the deployer configured one, see docs/YOUTUBE.md), no cache directory, no plugins, no
configuration files (the API never reads them; only yt-dlp's command line does), one retry (SQS does
the real retrying), ``socket_timeout`` on every request, the configured outbound proxy if any, and
metadata even when a site withholds the media (``ignore_no_formats_error``: yt-dlp then only warns
"Requested format is not available", which is what YouTube without a JavaScript runtime leads to).

The SSRF guard sits where yt-dlp opens sockets: unless private addresses are allowed (local mode),
every connection — the first page, each redirect hop, every request an extractor makes on its own —
is refused when the address it resolved to is not public. yt-dlp uses its urllib handler everywhere,
as on Lambda (whose layer has no ``requests``), so that one socket factory is the only way out.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from watcharr.adapters.netguard import address_problem
from watcharr.adapters.secrets import ytdlp_cookie_file
from watcharr.domain.extraction_errors import (
    NO_TITLE,
    NOT_A_SINGLE_VIDEO,
    NOT_MEDIA,
    ExtractionError,
    ExtractionFailure,
    PermanentExtractionError,
    TransientExtractionError,
    classify_extraction_error,
    extraction_error,
    first_refusal,
    redact_secrets,
)
from watcharr.domain.text import http_url_or_none
from watcharr.models.media import ChannelInfo, MediaMetadata, MediaType
from watcharr.observability import logger

if TYPE_CHECKING:
    from watcharr.settings import Settings

# The errors live in the domain (pure, shared with other adapters); callers of this adapter catch them here.
__all__ = [
    "ExtractionError",
    "PermanentExtractionError",
    "PlaylistListing",
    "TransientExtractionError",
    "extract_media",
    "list_playlist",
    "media_from_info",
]

# A Short is at most this long and taller than wide, when the site does not say so itself.
SHORT_MAX_SECONDS = 60
_PLAYLIST_TYPES = ("playlist", "multi_video")


@dataclass(frozen=True)
class PlaylistListing:
    """The first ``limit`` entries of a playlist or feed, as links, and how many were left out."""

    title: str | None
    entries: list[str]
    # None when the site does not tell the size and the listing stopped at the limit.
    total: int | None
    # Exact when ``total`` is known; otherwise 1 means "at least one more".
    left_out: int


# Warnings yt-dlp gives on every ordinary page it reads without a site extractor: logged at debug.
EXPECTED_WARNINGS = ("Falling back on generic information extractor",)


class _YtDlpLog:
    """yt-dlp's ``logger=`` hook: keeps its warnings for classification, logs them without secrets."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def debug(self, message: str) -> None:
        logger.debug(redact_secrets(message))

    def info(self, message: str) -> None:
        logger.debug(redact_secrets(message))

    def warning(self, message: str) -> None:
        self.warnings.append(message)
        level = logging.DEBUG if any(w in message for w in EXPECTED_WARNINGS) else logging.WARNING
        logger.log(level, "yt-dlp warning", extra={"ytdlp_message": redact_secrets(message)})

    def error(self, message: str) -> None:
        # The same error is raised and classified by the caller; a failed link is not a service error.
        logger.warning("yt-dlp error", extra={"ytdlp_message": redact_secrets(message)})


# Whether the extraction running in this context may connect to non-public addresses (local mode).
_ALLOW_PRIVATE: ContextVar[bool] = ContextVar("ytdlp_allow_private", default=False)


class BlockedConnection(OSError):
    """The SSRF guard refused a connection yt-dlp was about to open."""


def _guarded(create_socket: Any) -> Any:
    def connect(ip_addr: tuple[Any, ...], timeout: Any, source_address: Any) -> Any:
        address = ipaddress.ip_address(str(ip_addr[4][0]).split("%")[0])
        problem = None if _ALLOW_PRIVATE.get() else address_problem(address)
        if problem is not None:
            raise BlockedConnection(f"refused to fetch from {address}: it is {problem}")
        return create_socket(ip_addr, timeout, source_address)

    return connect


@functools.cache
def _yt_dlp() -> ModuleType:
    """Import yt-dlp once: no plugins (its ``--no-plugin-dirs``), urllib only, sockets behind the guard."""
    import yt_dlp
    import yt_dlp.globals
    from yt_dlp.networking import _helper, _urllib
    from yt_dlp.networking.common import _REQUEST_HANDLERS

    yt_dlp.globals.plugin_dirs.value = []
    for name in [n for n in _REQUEST_HANDLERS if n != "Urllib"]:
        del _REQUEST_HANDLERS[name]
    unguarded = _helper.create_connection

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None, **kwargs: Any
    ) -> Any:
        create_socket = kwargs.pop("_create_socket_func", _helper._socket_connect)
        return unguarded(address, timeout, source_address, _create_socket_func=_guarded(create_socket))

    _urllib.create_connection = create_connection
    return yt_dlp


@functools.cache
def _youtube_dl() -> type:
    """yt-dlp's ``YoutubeDL`` without the ``--print`` work done for nothing.

    While processing each video yt-dlp calls ``_forceprint`` twice (before and after its match
    filter), and each call renders the formats, thumbnails and subtitles tables and the output file
    name before looking whether any ``--print`` template asks for them. The adapter sets none, so
    the call is skipped unless one is set: 6–7 % of a link's CPU, more for a video with many formats.
    """

    class YoutubeDL(_yt_dlp().YoutubeDL):
        def __init__(self, params: dict[str, Any]) -> None:
            super().__init__(params)
            # The same key keeps Generic's place in the registry: it is still tried last.
            if "Generic" in self._ies:
                self.add_info_extractor(_generic_ie()())

        def _forceprint(self, key: str, info_dict: Any) -> Any:
            wanted = self.params["forceprint"].get(key) or self.params["print_to_file"].get(key)
            # "video" also feeds the --get-* fields from what it returns; only the download path asks.
            if wanted or key == "video":
                return super()._forceprint(key, info_dict)
            return None

    return YoutubeDL


@functools.cache
def _generic_ie() -> type:
    """yt-dlp's generic extractor, looking for embedded players only with the extractors that can find one.

    On a page no site extractor claims, the generic extractor asks every one of the ~1,750 extractors
    in turn whether the page embeds one of its players. All but 172 of them (yt-dlp 2026.10.26) answer
    with ``InfoExtractor``'s own code and no embed pattern, which finds nothing on any page: asking
    them was half of a link's CPU. This one asks the others only, in the registry's order, so it finds the
    same embeds, in the same order, with the same "exclusive embed" rule.
    """
    from yt_dlp.extractor.generic import GenericIE as YtDlpGenericIE

    class GenericIE(YtDlpGenericIE):  # the class name is what gives the extractor key "Generic"
        def _extract_embeds(self, url: str, webpage: str, **kwargs: Any) -> Any:
            ydl = self._downloader
            every = ydl._ies
            # yt-dlp's loop reads the registry from its downloader; nothing else runs meanwhile on it.
            ydl._ies = {key: ie for key, ie in every.items() if _finds_embeds(ie)}
            try:
                return super()._extract_embeds(url, webpage, **kwargs)
            finally:
                ydl._ies = every

    return GenericIE


# The parts of InfoExtractor that look for embeds; an extractor that keeps all three and has no
# pattern finds nothing.
_EMBED_METHODS = ("extract_from_webpage", "_extract_from_webpage", "_extract_embed_urls")


def _finds_embeds(ie: Any) -> bool:
    """Whether an extractor (its lazy class, its class or an instance) can find an embed on a page."""
    # Asked of the class: a cache of instances would keep every YoutubeDL they belong to alive.
    return _class_finds_embeds(ie if isinstance(ie, type) else type(ie))


@functools.cache
def _class_finds_embeds(cls: type) -> bool:
    from yt_dlp.extractor.common import InfoExtractor

    # A lazy extractor stands for its module's class, which is imported here as the loop would.
    real = getattr(cls, "real_class", cls)
    if real._EMBED_REGEX:
        return True

    def defined(name: str) -> Any:
        return next(k.__dict__[name] for k in real.__mro__ if name in k.__dict__)

    return any(defined(name) is not InfoExtractor.__dict__[name] for name in _EMBED_METHODS)


def _options(
    settings: Settings, log: _YtDlpLog, *, noplaylist: bool, playlist_end: int | None
) -> dict[str, Any]:
    return {
        "skip_download": True,
        "quiet": True,
        "no_warnings": False,
        "noprogress": True,
        "logger": log,
        "color": {"stdout": "never", "stderr": "never"},
        "cookiefile": ytdlp_cookie_file(settings),
        "cookiesfrombrowser": None,
        # None leaves yt-dlp on the environment's proxies, as without the setting.
        "proxy": settings.ytdlp_proxy or None,
        "cachedir": False,
        "socket_timeout": settings.socket_timeout,
        "retries": 1,
        "extractor_retries": 1,
        "noplaylist": noplaylist,
        "ignore_no_formats_error": True,
        "check_formats": False,
        # A playlist (even one met while extracting a single link) is listed, never fetched entry by entry.
        "extract_flat": "in_playlist",
        "playlistend": playlist_end,
        "allow_playlist_files": False,
    }


def _run(url: str, params: dict[str, Any], allow_private: bool) -> dict[str, Any]:
    yt_dlp = _yt_dlp()
    policy = _ALLOW_PRIVATE.set(allow_private)
    try:
        if params["cookiefile"]:
            # A deployer's cookie file is loaded at construction and saved on close: a fresh instance.
            with _youtube_dl()(params) as ydl:
                info: dict[str, Any] = ydl.extract_info(url, download=False)
        else:
            info = _reusable_ydl(params).extract_info(url, download=False)
    except yt_dlp.utils.YoutubeDLError as exc:
        raise _classified(exc) from exc
    finally:
        _ALLOW_PRIVATE.reset(policy)
    return info


_THREAD_STATE = threading.local()


def _reusable_ydl(params: dict[str, Any]) -> Any:
    """This thread's YoutubeDL for these options, reset for the next link.

    Building one costs ~50 ms of CPU (it lists ~1,750 extractors), several times what one link's
    extraction costs, so a container keeps one per set of options. Nothing of one link reaches the next:
    the cookie jar is emptied (no cookie file is configured on this path), the "printed once" memory is
    reset so every warning reaches the caller's log, and the log itself is the caller's.
    """
    log: _YtDlpLog = params["logger"]
    key = repr(sorted((k, v) for k, v in params.items() if k != "logger"))
    cache: dict[str, tuple[Any, _LogRelay]] = _THREAD_STATE.__dict__.setdefault("ydls", {})
    if key not in cache:
        relay = _LogRelay()
        cache[key] = (_youtube_dl()({**params, "logger": relay}), relay)
    ydl, relay = cache[key]
    relay.target = log
    ydl.cookiejar.clear()
    ydl._printed_messages = set()
    return ydl


def drop_reused_instances() -> None:
    """Forget this thread's kept YoutubeDL instances: their extractors were built from yt-dlp's
    registry as it was, so code that swaps an extractor (the tests' YouTube stand-in) calls this."""
    _THREAD_STATE.__dict__.pop("ydls", None)


class _LogRelay:
    """The logger a reused YoutubeDL keeps, passing each line to the current link's log."""

    def __init__(self) -> None:
        self.target = _YtDlpLog()

    def debug(self, message: str) -> None:
        self.target.debug(message)

    def info(self, message: str) -> None:
        self.target.info(message)

    def warning(self, message: str) -> None:
        self.target.warning(message)

    def error(self, message: str) -> None:
        self.target.error(message)


def _classified(exc: BaseException) -> ExtractionError:
    """Map a yt-dlp error to Permanent/TransientExtractionError, reading the HTTP status or network cause."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    http_status: int | None = None
    network_error = False
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedConnection):
            return extraction_error(
                ExtractionFailure(reason=str(current), retryable=False, code="blocked_address")
            )
        if isinstance(current, HTTPError):
            http_status = current.status
        elif isinstance(current, TransportError):
            network_error = True
        # DownloadError.exc_info and ExtractorError.cause hold the original exception.
        exc_info = getattr(current, "exc_info", None)
        if isinstance(exc_info, tuple) and len(exc_info) == 3:
            pending.append(exc_info[1])
        cause = getattr(current, "cause", None)
        # urllib's URLError keeps the socket error in `reason`, not in the exception chain.
        reason = getattr(current, "reason", None)
        pending.extend(
            [
                value if isinstance(value, BaseException) else None
                for value in (cause, reason, current.__cause__)
            ]
        )
    message = str(getattr(exc, "msg", None) or exc)
    return extraction_error(classify_extraction_error(message, http_status, network_error=network_error))


def _date(yyyymmdd: object) -> str | None:
    text = str(yyyymmdd) if yyyymmdd else ""
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else None


def _int(value: object) -> int | None:
    return round(value) if isinstance(value, int | float) else None


def _key_prefix(info: dict[str, Any], page_url: str) -> str:
    extractor = str(info.get("extractor_key") or "generic").lower()
    # The generic extractor's id is the last path segment, the same on every site: scope it by host.
    return f"generic:{urlsplit(page_url).netloc}" if extractor == "generic" else extractor


def _media_key(info: dict[str, Any], page_url: str) -> str:
    if str(info.get("extractor_key") or "").lower() == "generic":
        parts = urlsplit(page_url)
        return f"generic:{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return f"{_key_prefix(info, page_url)}:{info['id']}"


def _channel(info: dict[str, Any], page_url: str, media_type: MediaType) -> ChannelInfo | None:
    name = info.get("channel") or info.get("uploader")
    url = info.get("channel_url") or info.get("uploader_url")
    raw_id = info.get("channel_id") or info.get("uploader_id") or url
    prefix = _key_prefix(info, page_url)
    if raw_id:
        # YouTube channel ids (UC…) are global; other sites' uploader ids are only unique on that site.
        channel_id = str(raw_id) if prefix == "youtube" else f"{prefix}:{raw_id}"
    elif name:
        # The generic extractor names the site itself as uploader when a page names nobody.
        channel_id = prefix if name == urlsplit(page_url).netloc else f"{prefix}:{name}"
    else:
        return None
    return ChannelInfo(id=channel_id, type=media_type, name=name, url=url)


def _is_short(info: dict[str, Any], url: str, hint: bool) -> bool:
    if hint or info.get("media_type") == "short":
        return True
    if any("/shorts/" in str(u) for u in (url, info.get("original_url"), info.get("webpage_url"))):
        return True
    duration, width, height = info.get("duration"), info.get("width"), info.get("height")
    return bool(duration and width and height and duration <= SHORT_MAX_SECONDS and height > width)


def _media_type(info: dict[str, Any]) -> MediaType:
    # Storyboards (mhtml) are images with vcodec "none"; they say nothing about the media itself.
    formats = [f for f in info.get("formats") or [] if f.get("ext") != "mhtml"]
    return "podcast" if formats and all(f.get("vcodec") == "none" for f in formats) else "video"


def extract_media(url: str, settings: Settings, *, is_short_hint: bool = False) -> MediaMetadata:
    """Metadata of the single video or audio at ``url``, without downloading it.

    Raises PermanentExtractionError (unsupported link, 404/410, private, removed, not a video…) or
    TransientExtractionError (timeout, connection failure, 5xx, 429, YouTube's bot check).
    """
    log = _YtDlpLog()
    info = _run(
        url, _options(settings, log, noplaylist=True, playlist_end=None), settings.allow_private_network
    )
    if info.get("_type") in _PLAYLIST_TYPES:
        raise extraction_error(NOT_A_SINGLE_VIDEO)
    refusal = first_refusal(log.warnings)
    # yt-dlp invents "<site> video #<id>" when a site gives no title; without one there is nothing to add.
    if not info.get("fulltitle"):
        raise extraction_error(refusal or NO_TITLE)
    # The generic extractor takes any non-HTML answer for a "direct link"; one of unknown type is not media.
    if info.get("direct") and info.get("ext") == "unknown_video":
        raise extraction_error(NOT_MEDIA)
    # The site refused the media (bot check, premiere…) but gave details: keep them, marked partial.
    return media_from_info(info, url, is_short_hint=is_short_hint, partial=refusal is not None)


def media_from_info(
    info: dict[str, Any], url: str, *, is_short_hint: bool = False, partial: bool = False
) -> MediaMetadata:
    """The episode fields of one yt-dlp info dict (as ``extract_info`` returns it) for the link ``url``."""
    # A page URL a site gives that is not http(s) is not stored: the shared link stands in for it.
    page_url = http_url_or_none(str(info.get("webpage_url") or "")) or url
    media_type = _media_type(info)
    return MediaMetadata(
        media_key=_media_key(info, page_url),
        type=media_type,
        title=str(info.get("fulltitle") or info.get("title")),
        url=page_url,
        description=info.get("description") or None,
        duration=_int(info.get("duration")),
        thumbnail_url=info.get("thumbnail"),
        upload_date=_date(info.get("upload_date")),
        published_date=_date(info.get("release_date") or info.get("upload_date")),
        view_count=_int(info.get("view_count")),
        is_short=_is_short(info, url, is_short_hint),
        channel=_channel(info, page_url, media_type),
        partial=partial,
    )


def _entry_url(entry: dict[str, Any]) -> str | None:
    from yt_dlp.utils import unsmuggle_url

    raw = entry.get("url") or entry.get("webpage_url")
    if not raw:
        return None
    # Feed entries carry yt-dlp's "#__youtubedl_smuggle=" fragment; the link itself is what we keep.
    plain, _ = unsmuggle_url(str(raw))
    return str(plain)


def list_playlist(url: str, settings: Settings, limit: int) -> PlaylistListing:
    """The first ``limit`` entry links of a playlist, channel tab or feed, without fetching any entry.

    A link to a single video gives a listing of that one video.
    """
    log = _YtDlpLog()
    # One entry past the limit tells whether anything was left out when the site gives no total.
    info = _run(
        url, _options(settings, log, noplaylist=False, playlist_end=limit + 1), settings.allow_private_network
    )
    if info.get("_type") not in _PLAYLIST_TYPES:
        page_url = str(info.get("webpage_url") or url)
        return PlaylistListing(title=info.get("fulltitle") or None, entries=[page_url], total=1, left_out=0)
    links = [link for link in (_entry_url(e) for e in info.get("entries") or [] if e) if link]
    total = _int(info.get("playlist_count"))
    if total is None and len(links) <= limit:
        total = len(links)
    entries = links[:limit]
    left_out = max(total - len(entries), 0) if total is not None else int(len(links) > limit)
    return PlaylistListing(title=info.get("title") or None, entries=entries, total=total, left_out=left_out)
