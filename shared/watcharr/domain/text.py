"""What a page, a feed or a client sends is stored only in a safe form (issue 11 §4).

Titles, descriptions, channel names and failure reasons end up in a terminal (the CLI) and in other
apps' pages: control characters (C0, C1, DEL, NUL), terminal escape sequences and bidirectional
overrides (which make "gpj.exe" read as "exe.jpg") are removed, and each text is capped. A URL a page
names for a thumbnail, artwork, channel or episode is kept only when it is http(s).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# ESC-introduced sequences are removed whole, so their parameters ("[31m") are not left behind:
# CSI (ESC [ … final byte), OSC/DCS/PM/APC strings (ended by BEL or ESC \), then any other ESC + one char.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]?|\x1b.?",
    re.DOTALL,
)
# Explicit embeddings, overrides and isolates, the Arabic letter mark, and the LTR/RTL marks.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f"
_LINE_BREAKS = "\n\r\u2028\u2029\x85"
# Unicode's general category Cc: C0, DEL and C1. Unicode's stability policy fixes this set for good.
_CONTROLS = "".join(map(chr, [*range(0x00, 0x20), *range(0x7F, 0xA0)]))
# Regular expressions rather than a loop over characters: a description runs to thousands of them,
# and both the extractor and the persister clean it.
_DROPPED = re.compile(
    "[" + re.escape("".join(c for c in _CONTROLS if c not in _LINE_BREAKS + "\t") + _BIDI_CONTROLS) + "]"
)
_OTHER_BREAKS = re.compile("[" + re.escape(_LINE_BREAKS.replace("\n", "")) + "]")
# What an http(s) URL may not hold: whitespace (str.isspace's, which \s matches) and controls.
_NOT_IN_URL = re.compile("[\\s" + re.escape(_CONTROLS + _BIDI_CONTROLS) + "]")


def clean_line(value: str, limit: int) -> str:
    """One line of text (a title, a name, a reason): controls removed, breaks and tabs made spaces,
    runs of spaces joined, at most ``limit`` characters."""
    # Line breaks and tabs are whitespace to str.split, so the join makes each run of them one space.
    text = _DROPPED.sub("", _ESCAPE_SEQUENCE.sub("", value))
    return _cap(" ".join(text.split()), limit)


def clean_text(value: str, limit: int) -> str:
    """Text of several lines (a description): controls removed except line breaks and tabs (breaks
    become "\\n"), at most ``limit`` characters."""
    text = _OTHER_BREAKS.sub("\n", _ESCAPE_SEQUENCE.sub("", value).replace("\r\n", "\n"))
    return _cap(_DROPPED.sub("", text).strip(), limit)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def http_url_or_none(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host and no control characters, else None
    (javascript:, data:, vbscript: in any case or with leading spaces, relative paths…)."""
    if value is None:
        return None
    url = value.strip()
    if not url or _NOT_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None
