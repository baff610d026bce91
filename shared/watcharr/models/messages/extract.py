"""ExtractQueue (standard): what the extractor is asked to fetch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from watcharr.models.messages.base import ExtractKind, SubscriptionKind, _Frozen, _Message


class FeedSync(_Frozen):
    """What the extractor needs to sync one subscription without re-sending known episodes."""

    subscription_id: str
    etag: str | None = None
    last_modified: str | None = None
    # Short hashes of the episode keys the database already has for this feed (see feed_item_key).
    known_keys: list[str] = Field(default_factory=list)
    # How many of the newest unknown episodes to add; None means all of them.
    backfill: int | None = None
    # Which parser reads the feed (logic/extract.py), and whether a channel's Shorts are added.
    kind: SubscriptionKind = "podcast"
    include_shorts: bool = True


class YouTubeBatchEntry(_Frozen):
    """One video of a ``youtube_batch`` request: its job item (None for a refresh) and its link."""

    video_id: str
    url: str
    item_id: str | None = None
    tag: str | None = None


class ExtractRequest(_Message):
    type: Literal["ExtractRequest"] = "ExtractRequest"
    user_id: int
    url: str
    kind: ExtractKind
    job_id: str | None = None
    item_id: str | None = None
    media_key: str | None = None
    tag: str | None = None
    feed: FeedSync | None = None
    batch: list[YouTubeBatchEntry] = Field(default_factory=list)
    # Re-extract an episode saved with partial metadata: no job item, no user-visible effect.
    refresh: bool = False
    # How often the user retried the item (JobRetried); its results carry it in their dedup ids.
    retry: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.job_id, self.item_id, self.url, self.at)
