"""Every queue message, versioned, defined once for sender and receiver.

ExtractQueue (standard) carries ``ExtractRequest``. ResultsQueue.fifo carries every write the
persister applies (``ResultMessage``). Each message knows its deterministic deduplication id, which
is both the FIFO ``MessageDeduplicationId`` and the key under which the persister records it as
applied, so a redelivery or a retried sender changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TypeAdapter,
    model_serializer,
    model_validator,
)

from watcharr import limits
from watcharr.models.imports import MAX_IMPORT_CHUNK_BYTES, ReferenceImportChunk
from watcharr.models.media import MediaMetadata, OptionalReason, OptionalTitle, PageUrl, Reason

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


# ---- ExtractQueue ---------------------------------------------------------------------------


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


# ---- ResultsQueue.fifo ------------------------------------------------------------------------


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
    is a few messages for the single writer, not hundreds (podcast_sync sizes them)."""

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


# ---- Commands: a user's changes to the list, applied in order with the results -----------------

WatchStatus = Literal["unwatched", "pending", "watched"]
Priority = Literal["none", "low", "medium", "high"]
LikeStatus = Literal["none", "like", "dislike"]
TagName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MAX_TAG_LENGTH)
]
TagColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
CommandId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _Partial(_Frozen):
    """A model whose optional fields mean "leave as it is" when absent and "clear" when null.

    The publisher dumps with ``exclude_none``, which would turn an explicit null into an absent
    field; the serializer keeps exactly the fields that were set, nulls included.
    """

    _partial_fields: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _keep_explicit_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self._partial_fields:
            if name in self.model_fields_set:
                data[name] = data.get(name, getattr(self, name))
            else:
                data.pop(name, None)
        return data


class EpisodeChanges(_Partial):
    """What a PATCH changes; fields not sent stay as they are (``model_fields_set``)."""

    _partial_fields = (
        "watched", "watch_status", "favorite", "priority", "like_status", "notes", "is_archived", "tag_ids",
    )  # fmt: skip

    watched: bool = False
    watch_status: WatchStatus = "unwatched"
    favorite: bool = False
    priority: Priority = "none"
    like_status: LikeStatus = "none"
    notes: str | None = Field(default=None, max_length=limits.MAX_NOTES_LENGTH)
    is_archived: bool = False
    tag_ids: list[int] = Field(default_factory=list, max_length=limits.MAX_TAGS_PER_EPISODE)

    @model_validator(mode="after")
    def _consistent(self) -> EpisodeChanges:
        if not self.model_fields_set:
            raise ValueError("no change given")
        if {"watched", "watch_status"} <= self.model_fields_set and self.watched != (
            self.watch_status == "watched"
        ):
            raise ValueError("watched and watchStatus disagree")
        return self

    def settled_watch(self) -> tuple[bool, WatchStatus] | None:
        """The (watched, watch_status) pair to write, kept consistent as the reference app does."""
        if "watch_status" in self.model_fields_set:
            return self.watch_status == "watched", self.watch_status
        if "watched" in self.model_fields_set:
            return self.watched, "watched" if self.watched else "unwatched"
        return None


class _Command(_Message):
    """A user's change, named by the API's command id; its dedup id is the type and that id."""

    command_id: CommandId
    user_id: int

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.command_id,)


class EpisodeUpdated(_Command):
    type: Literal["EpisodeUpdated"] = "EpisodeUpdated"
    episode_id: int
    changes: EpisodeChanges


class EpisodeDeleted(_Command):
    """Soft delete (restorable, the bin) or, with ``permanent``, the row, its tag links and events."""

    type: Literal["EpisodeDeleted"] = "EpisodeDeleted"
    episode_id: int
    permanent: bool = False


class EpisodeRestored(_Command):
    type: Literal["EpisodeRestored"] = "EpisodeRestored"
    episode_id: int


class EpisodesArchivedWatched(_Command):
    """Every watched episode still on the list goes to the archive."""

    type: Literal["EpisodesArchivedWatched"] = "EpisodesArchivedWatched"


class EpisodesRestoredAll(_Command):
    """Everything in the bin comes back."""

    type: Literal["EpisodesRestoredAll"] = "EpisodesRestoredAll"


class TagCreated(_Command):
    type: Literal["TagCreated"] = "TagCreated"
    name: TagName
    color: TagColor | None = None


class TagUpdated(_Command, _Partial):
    """Renames or recolours a tag; ``color`` null clears it, an absent field stays."""

    _partial_fields = ("name", "color")

    type: Literal["TagUpdated"] = "TagUpdated"
    tag_id: int
    name: TagName = ""
    color: TagColor | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> TagUpdated:
        if not {"name", "color"} & self.model_fields_set:
            raise ValueError("no change given")
        return self


class TagDeleted(_Command):
    """The tag and its links go; the episodes stay."""

    type: Literal["TagDeleted"] = "TagDeleted"
    tag_id: int


class JobRetried(_Command):
    """The named failed items of a job are queued again; the API then sends their ExtractRequests."""

    type: Literal["JobRetried"] = "JobRetried"
    job_id: str
    item_ids: list[str] = Field(min_length=1, max_length=limits.MAX_URLS_PER_BATCH)


# ---- Imports: a list brought along, as bounded messages the persister applies like any other ----

MAX_WATCH_MARKS_PER_MESSAGE = 500


class ReferenceChunkImported(_Message):
    """One bounded part of a reference app user's list (``models.imports.ReferenceImportChunk``).

    Keyed by the reference user's id, the chunk's sequence and a hash of its content: the same file
    imported again (or after a crash) sends the very same ids, so nothing applies twice, while a chunk
    that changed in the reference since is applied (and merged) anew.
    """

    type: Literal["ReferenceChunkImported"] = "ReferenceChunkImported"
    import_id: str
    chunk: ReferenceImportChunk

    @model_validator(mode="after")
    def _bounded(self) -> ReferenceChunkImported:
        if len(self.chunk.model_dump_json()) > MAX_IMPORT_CHUNK_BYTES:
            raise ValueError(f"an import chunk may be at most {MAX_IMPORT_CHUNK_BYTES} bytes")
        return self

    def _dedup_parts(self) -> tuple[object, ...]:
        content = hashlib.sha256(self.chunk.model_dump_json().encode()).hexdigest()
        return (self.chunk.user.source_id, self.chunk.sequence, content)


class WatchMark(_Frozen):
    """A video of the watch history and when it was watched (None: the history did not say)."""

    video_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{11}$")]
    watched_at: str | None = None


class WatchHistoryImported(_Message):
    """Marks the user's episodes of these YouTube videos watched; videos not on the list are counted."""

    type: Literal["WatchHistoryImported"] = "WatchHistoryImported"
    import_id: str
    user_id: int
    sequence: int
    videos: list[WatchMark] = Field(max_length=MAX_WATCH_MARKS_PER_MESSAGE)

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.import_id, self.sequence)


Command = (
    EpisodeUpdated
    | EpisodeDeleted
    | EpisodeRestored
    | EpisodesArchivedWatched
    | EpisodesRestoredAll
    | TagCreated
    | TagUpdated
    | TagDeleted
    | JobRetried
)


ResultMessage = Annotated[
    UserCreated
    | TokenRotated
    | JobCreated
    | JobItemsAdded
    | EpisodeExtracted
    | FeedEpisodesExtracted
    | ItemFailed
    | ItemRequeued
    | SubscriptionAdded
    | SubscriptionRemoved
    | FeedChecked
    | EpisodeUpdated
    | EpisodeDeleted
    | EpisodeRestored
    | EpisodesArchivedWatched
    | EpisodesRestoredAll
    | TagCreated
    | TagUpdated
    | TagDeleted
    | JobRetried
    | ReferenceChunkImported
    | WatchHistoryImported,
    Field(discriminator="type"),
]
RESULT_MESSAGE: TypeAdapter[ResultMessage] = TypeAdapter(ResultMessage)


def parse_result(body: str) -> ResultMessage:
    """Parse a ResultsQueue message body; raises pydantic.ValidationError on anything else."""
    return RESULT_MESSAGE.validate_json(body)
