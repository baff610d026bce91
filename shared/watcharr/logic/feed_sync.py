"""What syncing one followed feed shares, a podcast's or a YouTube channel's.

A conditional GET with the subscription's ETag/Last-Modified (a 304 is "unchanged" and nothing is
parsed); the new episodes, oldest first, in ``FeedEpisodesExtracted`` batches each well under the
queue's size limit, followed by a ``FeedChecked`` "updated"; and a failure retried while it may pass,
then reported as a ``FeedChecked`` "failed" with a reason a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcharr import limits
from watcharr.adapters.feed_http import FeedResponse
from watcharr.logic.extraction import Extraction, Sources, retry_or_fail
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import (
    ExtractRequest,
    FeedChecked,
    FeedEpisodesExtracted,
    FeedSync,
    ResultMessage,
)
from watcharr.settings import Settings

# A FeedEpisodesExtracted holds at most this many episodes and bytes of them: a short transaction for
# the writer, and room to spare under the queues' message limit.
EPISODES_PER_MESSAGE = 50
BYTES_PER_MESSAGE = limits.MAX_MESSAGE_BYTES * 3 // 4


@dataclass(frozen=True)
class FeedSyncRun:
    """One delivery (the ``attempt``-th) of a request to sync the subscription in ``request.feed``."""

    request: ExtractRequest
    settings: Settings
    attempt: int
    sources: Sources

    @property
    def sync(self) -> FeedSync:
        """The subscription being synced."""
        if self.request.feed is None:
            raise ValueError("a feed request needs its subscription")
        return self.request.feed

    def checked(self, status: str, **fields: object) -> FeedChecked:
        """The subscription's ``FeedChecked`` with ``status`` and ``fields``."""
        return FeedChecked(
            at=self.request.at,
            subscription_id=self.sync.subscription_id,
            status=status,  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )

    def retry_or_report(self, reason: str, retryable: bool, **fields: object) -> Extraction:
        """Retry a failure that may pass; else report the feed "failed" with ``reason`` and ``fields``."""
        # A feed given up on is tried again by the next scheduled sync.
        return retry_or_fail(
            reason,
            retryable=retryable,
            attempt=self.attempt,
            settings=self.settings,
            give_up=lambda final: Extraction(results=[self.checked("failed", error=final, **fields)]),
        )

    def fetch(self, url: str) -> FeedResponse:
        """The feed at ``url``, asked for only if it changed since the subscription's validators."""
        return self.sources.feeds.fetch_feed(
            url,
            etag=self.sync.etag,
            last_modified=self.sync.last_modified,
            allow_private=self.settings.allow_private_network,
            timeout=self.settings.feed_timeout,
        )

    def updated(self, fresh: list[MediaMetadata], response: FeedResponse, **fields: object) -> Extraction:
        """The ``fresh`` episodes (newest first, as feeds list them) and the "updated" check after them."""
        # Oldest first, so the list's "newest added" order matches the feed's.
        episodes: list[ResultMessage] = [
            FeedEpisodesExtracted(
                at=self.request.at,
                user_id=self.request.user_id,
                subscription_id=self.sync.subscription_id,
                episodes=batch,
                tag=self.request.tag,
            )
            for batch in episode_batches(list(reversed(fresh)))
        ]
        done = self.checked(
            "updated",
            etag=response.etag,
            last_modified=response.last_modified,
            final_url=response.final_url,
            new_episodes=len(fresh),
            **fields,
        )
        return Extraction(results=[*episodes, done])


def episode_batches(episodes: list[MediaMetadata]) -> list[list[MediaMetadata]]:
    """Episodes grouped for FeedEpisodesExtracted messages, each well under the queue's size limit."""
    batches: list[list[MediaMetadata]] = []
    batch: list[MediaMetadata] = []
    size = 0
    for media in episodes:
        length = len(media.model_dump_json(exclude_none=True).encode())
        if batch and (len(batch) == EPISODES_PER_MESSAGE or size + length > BYTES_PER_MESSAGE):
            batches.append(batch)
            batch, size = [], 0
        batch.append(media)
        size += length
    if batch:
        batches.append(batch)
    return batches
