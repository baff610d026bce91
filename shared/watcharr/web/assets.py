"""The page's static files, read once per container and answered with validators and security headers.

The files live beside this module (``static/``), so they ship in the SharedLayer with the code that
serves them: no bucket, no CDN, one deploy path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
INDEX = "index.html"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Scripts, styles and API calls only from this origin. Thumbnails are the one thing from elsewhere
# (YouTube's image hosts, a feed's artwork), so images may come from any http(s) host; with
# no-referrer those hosts never learn the page's address.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# The page itself is revalidated on every load (a deploy shows at once); its scripts and styles may be
# reused for a few minutes, and after that a 304 costs a round trip and no bytes.
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"


@dataclass(frozen=True)
class Asset:
    """One static file as it is answered: its bytes, type and strong validator."""

    name: str
    body: str
    content_type: str
    etag: str

    @property
    def cache_control(self) -> str:
        """How long a browser may reuse the file without asking."""
        return PAGE_CACHE if self.name == INDEX else ASSET_CACHE


@dataclass(frozen=True)
class Answer:
    """What to send for one request of a static file."""

    status: int
    headers: dict[str, str]
    body: str


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """Every file in ``static/`` by name, read once per container."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        raw = path.read_bytes()
        etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
        found[path.name] = Asset(path.name, raw.decode("utf-8"), content_type, etag)
    return found


def total_bytes() -> int:
    """What the whole page weighs before compression, every file once."""
    return sum(len(asset.body.encode("utf-8")) for asset in assets().values())


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether the browser's copy is current (``If-None-Match`` may list several tags, weak or not)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def answer_for(name: str, if_none_match: str | None) -> Answer | None:
    """The answer for ``name`` (200 with the file or 304), or None when there is no such file."""
    asset = assets().get(name)
    if asset is None:
        return None
    headers = {
        "Content-Type": asset.content_type,
        "ETag": asset.etag,
        "Cache-Control": asset.cache_control,
        **SECURITY_HEADERS,
    }
    if matches(if_none_match, asset.etag):
        return Answer(304, headers, "")
    return Answer(200, headers, asset.body)
