"""Finding the link a person meant in what the share sheet sends: a link inside a sentence, without
its punctuation, or written without a scheme ("youtu.be/…", "www.…")."""

from __future__ import annotations

import re

from watcharr.domain.links.cleaning import SHOWN_TEXT_CHARS, UnsupportedLink, shown
from watcharr.domain.links.hosts import APPLE_PODCAST_HOSTS, YOUTU_BE_HOSTS, is_youtube_host

_NO_LINK_ADVICE = "share a link to a video, a playlist or a podcast episode"

# A link ends at whitespace and at characters that never appear raw in a shared URL (the quotes and
# angle brackets put around it).
_TOKEN_RE = re.compile('[^\\s<>"`\u201c\u201d\u00ab\u00bb]+')

# Invisible characters that copy-paste leaves in and around links; removed before anything else.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_HTTP_RE = re.compile(r"https?://", re.IGNORECASE)
_BARE_HOST_RE = re.compile(r"(?://)?((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)(?::\d+)?(?:[/?#]|$)")
_OTHER_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{1,31}):(//)?")
_LEADING_PUNCTUATION = "([{'*\u2018\u201c\u00ab"
_TRAILING_PUNCTUATION = ".,;:!?'\"*\u2026\u3002\u3001\uff0c\uff01\uff1f\u201d\u2019\u00bb\u203a"
_CLOSING_BRACKETS = {")": "(", "]": "[", "}": "{"}

# fmt: off
# Schemes that are never web pages, refused even when written without "//" (javascript:alert(1)).
_NON_WEB_SCHEMES = frozenset(
    {
        "javascript", "vbscript", "data", "file", "mailto", "tel", "sms", "about", "blob", "ftp", "ftps",
        "chrome", "view-source", "intent", "vnd.youtube", "youtube", "podcasts", "itms", "itms-podcasts"
    }
)
# fmt: on


def find_url(text: str) -> str | None:
    """The first http(s) link in share-sheet text, without the punctuation around it.

    Also finds YouTube and Apple Podcasts links written without a scheme ("youtu.be/…",
    "www.youtube.com/…", "www.<any host>/…") and returns them with ``https://``.
    """
    found = _locate_url(text.translate(_INVISIBLE))
    return found[2] if found else None


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
        or is_youtube_host(host)
        or host in YOUTU_BE_HOSTS
        or host in APPLE_PODCAST_HOSTS
    )


def link_in_text(text: str) -> str:
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
                f'"{shown(line)}" holds more than one link; send one link at a time, or a batch'
            )
        if rest_of_line:
            raise UnsupportedLink(
                f'"{shown(line)}" has a space in it; a link cannot contain spaces '
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
                f'{shown(token.group())} is not a web link ("{other.group(1).lower()}:"); '
                "only http and https links can be added"
            )
    return UnsupportedLink(f'no link found in "{shown(text, SHOWN_TEXT_CHARS)}"; {_NO_LINK_ADVICE}')
