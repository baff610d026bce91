"""ResultsQueue.fifo: users, jobs and their items, extracted episodes, subscriptions and feed checks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from watcharr import limits
from watcharr.models.media import MediaMetadata, OptionalReason, OptionalTitle, PageUrl, Reason
from watcharr.models.messages.base import (
    ExtractKind,
    JobSource,
    SubscriptionKind,
    TokenHash,
    _Frozen,
    _Message,
)


class JobItemSpec(_Frozen):
    item_id: str
    url: str
    kind: ExtractKind
    media_key: str | None = None
    tag: str | None = None
    # An import's item (a Takeout playlist or history video): tags added to the episode (never
    # replacing its others) and the time it was watched, applied when the episode lands; an episode
    # already on the list keeps its state instead of being restored.
    import_tags: list[str] | None = Field(default=None, max_length=limits.MAX_TAGS_PER_EPISODE)
    watched_at: str | None = None


class UserCreated(_Message):
    type: Literal["UserCreated"] = "UserCreated"
    username: str
    token_hash: TokenHash

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.username,)


class TokenRotated(_Message):
    type: Literal["TokenRotated"] = "TokenRotated"
    username: str
    token_hash: TokenHash

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.username, self.token_hash)


class JobCreated(_Message):
    type: Literal["JobCreated"] = "JobCreated"
    job_id: str
    user_id: int
    source: JobSource
    items: list[JobItemSpec]

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.job_id,)


class JobItemsAdded(_Message):
    """More items of a job: the rest of a large batch, or the entries of a playlist."""

    type: Literal["JobItemsAdded"] = "JobItemsAdded"
    job_id: str
    items: list[JobItemSpec]
    parent_item_id: str | None = None
    # Playlist entries beyond the limit, reported on the job rather than silently dropped.
    left_out: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        first = self.items[0].item_id if self.items else ""
        return (self.job_id, self.parent_item_id, first)


class EpisodeExtracted(_Message):
    type: Literal["EpisodeExtracted"] = "EpisodeExtracted"
    user_id: int
    media: MediaMetadata
    # "refresh" completes an existing episode's partial metadata and does nothing else.
    origin: Literal["add", "sync", "refresh"] = "add"
    job_id: str | None = None
    item_id: str | None = None
    tag: str | None = None
    subscription_id: str | None = None
    retry: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        if self.origin == "refresh":
            # One refresh per scheduled run: a redelivery repeats `at`, the next run does not.
            return ("refresh", self.user_id, self.media.media_key, self.at)
        if self.item_id is not None:
            return _item_parts(self.job_id, self.item_id, self.retry)
        return (self.user_id, self.subscription_id, self.media.media_key)


def _item_parts(job_id: str | None, item_id: str, retry: int) -> tuple[object, ...]:
    """A job item's result is named by its attempt: SQS drops a repeated MessageDeduplicationId for
    five minutes even after deletion, so a retry's result needs an id of its own."""
    return (job_id, item_id) if not retry else (job_id, item_id, retry)


class FeedEpisodesExtracted(_Message):
    """New episodes of one feed sync, written in one transaction: a backfill of hundreds of episodes
    is a few messages for the single writer, not hundreds (logic/feed_sync.py sizes them)."""

    type: Literal["FeedEpisodesExtracted"] = "FeedEpisodesExtracted"
    user_id: int
    subscription_id: str
    episodes: list[MediaMetadata]
    tag: str | None = None

    def _dedup_parts(self) -> tuple[object, ...]:
        first = self.episodes[0].media_key if self.episodes else ""
        return (self.user_id, self.subscription_id, self.at, first)


class ItemFailed(_Message):
    type: Literal["ItemFailed"] = "ItemFailed"
    job_id: str
    item_id: str
    reason: Reason
    attempts: int = 1
    retry: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        return _item_parts(self.job_id, self.item_id, self.retry)


class ItemRequeued(_Message):
    """The reconciler sent an item's ExtractRequest again; counts towards its attempts."""

    type: Literal["ItemRequeued"] = "ItemRequeued"
    job_id: str
    item_id: str
    requeue: int
    # The requeues are counted afresh after a retry, so the retry's number tells them apart.
    retry: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        parts = (self.job_id, self.item_id, self.requeue)
        return parts if not self.retry else (*parts, self.retry)


class SubscriptionAdded(_Message):
    type: Literal["SubscriptionAdded"] = "SubscriptionAdded"
    subscription_id: str
    user_id: int
    feed_url: str
    tag: str | None = None
    kind: SubscriptionKind = "podcast"
    include_shorts: bool = True
    # The job that follows the first sync: one item, finished by the subscription's first FeedChecked.
    job_id: str | None = None

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.subscription_id, self.at)


class SubscriptionRemoved(_Message):
    type: Literal["SubscriptionRemoved"] = "SubscriptionRemoved"
    subscription_id: str
    user_id: int

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.subscription_id, self.at)


class FeedChecked(_Message):
    type: Literal["FeedChecked"] = "FeedChecked"
    subscription_id: str
    status: Literal["updated", "unchanged", "failed"]
    etag: str | None = None
    last_modified: str | None = None
    title: OptionalTitle = None
    artwork_url: PageUrl = None
    final_url: str | None = None
    # Set when the subscription's feed lives elsewhere now: an Apple Podcasts show resolved to its
    # feed, or a permanent redirect.
    feed_url: str | None = None
    redirects: list[str] = Field(default_factory=list)
    error: OptionalReason = None
    # Every episode key hash the feed holds now, so later syncs skip what was seen but not backfilled.
    seen_keys: list[str] = Field(default_factory=list)
    new_episodes: int = 0

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.subscription_id, self.at)
