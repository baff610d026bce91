"""Every queue message, versioned, defined once for sender and receiver.

ExtractQueue (standard) carries ``ExtractRequest``. ResultsQueue.fifo carries every write the
persister applies (``ResultMessage``). Each message knows its deterministic deduplication id, which
is both the FIFO ``MessageDeduplicationId`` and the key under which the persister records it as
applied, so a redelivery or a retried sender changes nothing.

The messages live here by subject: `base` (what every message shares), `extract` (ExtractQueue),
`results` (users, jobs, episodes, subscriptions), `commands` (a user's changes) and `imports`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from watcharr.models.messages.base import (
    TERMINAL_STATES,
    ExtractKind,
    ItemState,
    JobSource,
    SubscriptionKind,
    TokenHash,
    utc_now,
)
from watcharr.models.messages.commands import (
    Command,
    CommandId,
    EpisodeChanges,
    EpisodeDeleted,
    EpisodeRestored,
    EpisodesArchivedWatched,
    EpisodesRestoredAll,
    EpisodeUpdated,
    JobRetried,
    LikeStatus,
    Priority,
    TagColor,
    TagCreated,
    TagDeleted,
    TagName,
    TagUpdated,
    WatchStatus,
)
from watcharr.models.messages.extract import (
    ExtractRequest,
    FeedSync,
    YouTubeBatchEntry,
)
from watcharr.models.messages.imports import (
    MAX_WATCH_MARKS_PER_MESSAGE,
    ReferenceChunkImported,
    WatchHistoryImported,
    WatchMark,
)
from watcharr.models.messages.results import (
    EpisodeExtracted,
    FeedChecked,
    FeedEpisodesExtracted,
    ItemFailed,
    ItemRequeued,
    JobCreated,
    JobItemsAdded,
    JobItemSpec,
    SubscriptionAdded,
    SubscriptionRemoved,
    TokenRotated,
    UserCreated,
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


__all__ = [
    "MAX_WATCH_MARKS_PER_MESSAGE",
    "RESULT_MESSAGE",
    "TERMINAL_STATES",
    "Command",
    "CommandId",
    "EpisodeChanges",
    "EpisodeDeleted",
    "EpisodeExtracted",
    "EpisodeRestored",
    "EpisodeUpdated",
    "EpisodesArchivedWatched",
    "EpisodesRestoredAll",
    "ExtractKind",
    "ExtractRequest",
    "FeedChecked",
    "FeedEpisodesExtracted",
    "FeedSync",
    "ItemFailed",
    "ItemRequeued",
    "ItemState",
    "JobCreated",
    "JobItemSpec",
    "JobItemsAdded",
    "JobRetried",
    "JobSource",
    "LikeStatus",
    "Priority",
    "ReferenceChunkImported",
    "ResultMessage",
    "SubscriptionAdded",
    "SubscriptionKind",
    "SubscriptionRemoved",
    "TagColor",
    "TagCreated",
    "TagDeleted",
    "TagName",
    "TagUpdated",
    "TokenHash",
    "TokenRotated",
    "UserCreated",
    "WatchHistoryImported",
    "WatchMark",
    "WatchStatus",
    "YouTubeBatchEntry",
    "parse_result",
    "utc_now",
]
