"""What a page, a feed or a client sends is stored only in a safe form (issue 11 §4).

Titles, descriptions, channel names and failure reasons end up in a terminal (the CLI) and in other
apps' pages: control characters (C0, C1, DEL, NUL), terminal escape sequences and bidirectional
overrides (which make "gpj.exe" read as "exe.jpg") are removed, and each text is capped. A URL a page
names for a thumbnail, artwork, channel or episode is kept only when it is http(s).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# ESC-introduced sequences are removed whole, so their parameters ("[31m") are not left behind:
# CSI (ESC [ … final byte), OSC/DCS/PM/APC strings (ended by BEL or ESC \), then any other ESC + one char.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]?|\x1b.?",
    re.DOTALL,
)
# Explicit embeddings, overrides and isolates, the Arabic letter mark, and the LTR/RTL marks.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS


def clean_line(value: str, limit: int) -> str:
    """One line of text (a title, a name, a reason): controls removed, breaks and tabs made spaces,
    runs of spaces joined, at most ``limit`` characters."""
    text = _strip_controls(_ESCAPE_SEQUENCE.sub("", value), line_break=" ")
    return _cap(" ".join(text.split()), limit)


def clean_text(value: str, limit: int) -> str:
    """Text of several lines (a description): controls removed except line breaks and tabs (breaks
    become "\\n"), at most ``limit`` characters."""
    text = _strip_controls(_ESCAPE_SEQUENCE.sub("", value).replace("\r\n", "\n"), line_break="\n")
    return _cap(text.strip(), limit)


def _strip_controls(text: str, *, line_break: str) -> str:
    """Every control character removed, except line breaks (made ``line_break``) and tabs."""
    kept: list[str] = []
    for char in text:
        if char in _LINE_BREAKS:
            kept.append(line_break)
        elif char == "\t":
            kept.append("\t" if line_break == "\n" else " ")
        elif not _is_control(char):
            kept.append(char)
    return "".join(kept)


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
    if not url or any(_is_control(c) or c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None
