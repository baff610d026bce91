"""Cleaning a URL: syntax checks every link passes, its host punycoded, tracking parameters dropped.

Links to sites other than YouTube and Apple Podcasts are only cleaned; the extractor lets yt-dlp decide
whether it supports them and derives their key after extraction. ``MediaLink`` is what every link is
reduced to, ``UnsupportedLink`` the one-sentence reason a link is refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, unquote_plus, urlsplit

from watcharr.limits import MAX_URL_LENGTH

if TYPE_CHECKING:
    from watcharr.models.messages import ExtractKind

# Characters of a URL shown inside a reason, so reasons stay one readable line.
_SHOWN_URL_CHARS = 100
SHOWN_TEXT_CHARS = 60
_USERINFO_RE = re.compile(r"(?<=//)[^/?#@\s]*@")

# C0 and C1 controls, DEL, the bidirectional overrides used to disguise where a link points, and
# lone surrogates (valid in JSON strings, but not encodable, so not part of any real link).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LABEL_RE = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_MAX_HOST_LENGTH = 253

# fmt: off
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
SAFE_PATH = "/%!$&'()*+,;=:@~[]"
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


class Parts(NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str


def split_url(url: str) -> Parts:
    """Syntax checks common to every site; the host comes back lower-case and punycoded."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsupportedLink(
            f"the link {shown(url, SHOWN_TEXT_CHARS)} is {len(url)} characters long, "
            f"more than the {MAX_URL_LENGTH} allowed"
        )
    if _CONTROL_RE.search(url):
        raise UnsupportedLink(f"{shown(url)} contains control or invalid characters, which no link has")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsupportedLink(f"{shown(url)} is not a valid web address") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsupportedLink(
            f'{shown(url)} is not a web link ("{scheme}:"); only http and https links can be added'
        )
    if "@" in parts.netloc:
        # The reason must not echo a password, so it names the host only.
        host = parts.netloc.rpartition("@")[2]
        raise UnsupportedLink(
            f"the link to {shown(host, SHOWN_TEXT_CHARS)} contains a user name or password; "
            "share it without them"
        )
    try:
        hostname = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise UnsupportedLink(f"{shown(url)} has an invalid port or host") from None
    if not hostname:
        raise UnsupportedLink(f"{shown(url)} has no host name")
    if port == 0:
        raise UnsupportedLink(f"{shown(url)} has an invalid port")
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return Parts(scheme, _canonical_host(hostname, url), port, parts.path, parts.query, parts.fragment)


def _canonical_host(host: str, url: str) -> str:
    invalid = UnsupportedLink(f'{shown(url)} has an invalid host name "{shown(host, SHOWN_TEXT_CHARS)}"')
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
            raise UnsupportedLink(f"{shown(url)} points to a reserved network address, not a web site")
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


def _netloc(parts: Parts) -> str:
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


def query_value(query: str, name: str) -> str | None:
    """The first non-empty value of a query parameter."""
    return next((value for key, value in _query_pairs(query) if key == name and value), None)


def shown(text: str, limit: int = _SHOWN_URL_CHARS) -> str:
    """Text fit for a one-line reason: control characters replaced, long text cut."""
    text = _CONTROL_RE.sub("\ufffd", _USERINFO_RE.sub("", " ".join(text.split())))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def generic_url(parts: Parts) -> str:
    """The link as given, minus tracking parameters and default port, consistently percent-encoded."""
    kept = [
        quote(piece, safe=_SAFE_QUERY_PART + "=")
        for piece in parts.query.split("&")
        if piece and not _is_tracking_param(unquote_plus(piece.partition("=")[0]))
    ]
    url = f"{parts.scheme}://{_netloc(parts)}{quote(parts.path, safe=SAFE_PATH) or '/'}"
    if kept:
        url += "?" + "&".join(kept)
    if parts.fragment:
        url += "#" + quote(parts.fragment, safe=_SAFE_FRAGMENT)
    return url


def _is_tracking_param(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS
