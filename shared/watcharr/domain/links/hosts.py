"""The hosts of the two sites whose links are understood here, not only cleaned: YouTube and Apple Podcasts."""

from __future__ import annotations

import re

_YOUTUBE_HOST_RE = re.compile(r"(?:[a-z0-9-]+\.)?(?:youtube|youtube-nocookie|youtubekids)\.com")
YOUTU_BE_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
YOUTUBE_API_HOST = "youtube.googleapis.com"
YOUTUBE_CONSENT_HOST = "consent.youtube.com"
YOUTUBE_STUDIO_HOST = "studio.youtube.com"
APPLE_PODCAST_HOSTS = frozenset({"podcasts.apple.com", "embed.podcasts.apple.com", "itunes.apple.com"})


def is_youtube_host(host: str) -> bool:
    """Whether ``host`` (lower-case) is youtube.com, one of its subdomains, or a sister site."""
    return _YOUTUBE_HOST_RE.fullmatch(host) is not None
