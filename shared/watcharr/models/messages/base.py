"""What every message shares: the base class with its deduplication id, the time, the common words."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# A token is stored only as its SHA-256 hex digest (domain/tokens.py); anything else is refused.
TokenHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

# "youtube_batch": up to 50 YouTube video ids for one Data API call (only when a key is configured).
ExtractKind = Literal["video", "playlist", "feed", "apple_episode", "youtube_batch"]
JobSource = Literal["shortcut", "batch", "cli", "subscribe", "import"]
# A playlist's own item ends `expanded` once its entries are items of the job.
ItemState = Literal["queued", "expanded", "added", "restored", "failed"]
TERMINAL_STATES: frozenset[str] = frozenset({"expanded", "added", "restored", "failed"})
# What a subscription follows: a podcast feed, or a YouTube channel's or playlist's Atom feed.
SubscriptionKind = Literal["podcast", "youtube_channel", "youtube_playlist"]


def utc_now() -> str:
    """An ISO-8601 UTC timestamp with millisecond precision, as every message and row uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Message(_Frozen):
    v: Literal[1] = 1
    # When the event happened, set once by the first sender; the persister writes this time rather
    # than its own clock, so applying a message twice or late yields the same rows.
    at: str = Field(default_factory=utc_now)

    def _dedup_parts(self) -> tuple[object, ...]:
        raise NotImplementedError

    def dedup_id(self) -> str:
        """Deterministic id (≤128 chars) for FIFO deduplication and the persister's applied log."""
        return _dedup_id(self.__class__.__name__, *self._dedup_parts())


def _dedup_id(type_name: str, *parts: object) -> str:
    material = "|".join(str(p) for p in (type_name, *parts))
    return hashlib.sha256(material.encode()).hexdigest()
