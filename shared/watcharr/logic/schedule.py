"""The scheduled work: queue every subscribed feed for a refresh, re-queue items left behind, and
re-extract episodes saved with partial metadata (YouTube refused the datacenter; oEmbed stood in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from watcharr import limits
from watcharr.adapters.query_client import QueryClient
from watcharr.adapters.queues import QueuePublisher
from watcharr.logic.ingest import batch_youtube_requests
from watcharr.models.messages import (
    ExtractRequest,
    FeedSync,
    ItemFailed,
    ItemRequeued,
    ResultMessage,
    utc_now,
)
from watcharr.models.queries import ListSubscriptions, PartialEpisodes, StaleItems

# Partial episodes older than this are left as they are: a video that no source would describe in a
# week will not be described by the next hourly try either, and each try costs requests to YouTube.
REFRESH_WINDOW_DAYS = 7
REFRESH_PER_RUN = 200


@dataclass
class ScheduledWork:
    results: list[ResultMessage] = field(default_factory=list)
    requests: list[ExtractRequest] = field(default_factory=list)


def plan_feed_sync(query: QueryClient, at: str | None = None) -> ScheduledWork:
    """One ExtractRequest(kind=feed) per active subscription, with its validators and known episodes."""
    at = at or utc_now()
    answer = query(ListSubscriptions(user_id=None, include_seen_keys=True))
    work = ScheduledWork()
    for sub in answer["subscriptions"]:
        work.requests.append(
            ExtractRequest(
                at=at,
                user_id=sub["userId"],
                url=sub["feedUrl"],
                kind="feed",
                tag=sub["tag"],
                feed=FeedSync(
                    subscription_id=sub["id"],
                    etag=sub["etag"],
                    last_modified=sub["lastModified"],
                    known_keys=sub["seenKeys"],
                    backfill=None,
                    kind=sub["kind"],
                    include_shorts=sub["includeShorts"],
                ),
            )
        )
    return work


def plan_reconcile(
    query: QueryClient, *, now: datetime | None = None, stale_after: float = limits.STALE_ITEM_SECONDS
) -> ScheduledWork:
    """Items still `queued` long after their last change are queued again, or failed once out of tries.

    This is what keeps "nothing is lost" true when a message vanished: an API that died between the
    job and its fan-out, local mode's in-memory queues after a restart, a request lost in a DLQ.
    """
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(seconds=stale_after)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    work = ScheduledWork()
    for item in query(StaleItems(updated_before=cutoff))["items"]:
        if item["requeues"] >= limits.MAX_ITEM_REQUEUES:
            work.results.append(
                ItemFailed(
                    at=at,
                    job_id=item["job_id"],
                    item_id=item["id"],
                    reason=f"no result after {item['requeues'] + 1} tries; giving up",
                    attempts=item["requeues"] + 1,
                    retry=item["retries"],
                )
            )
            continue
        work.results.append(
            ItemRequeued(
                at=at,
                job_id=item["job_id"],
                item_id=item["id"],
                requeue=item["requeues"] + 1,
                retry=item["retries"],
            )
        )
        if item["kind"] == "feed":
            # A subscription's first-sync item: the feed sync of this same run fetches the feed, and
            # its FeedChecked ends the item; the item alone lacks what a feed request needs.
            continue
        work.requests.append(
            ExtractRequest(
                at=at,
                user_id=item["user_id"],
                job_id=item["job_id"],
                item_id=item["id"],
                url=item["url"],
                kind=item["kind"],
                media_key=item["media_key"],
                tag=item["tag"],
                retry=item["retries"],
            )
        )
    return work


def plan_metadata_refresh(
    query: QueryClient, *, youtube_batches: bool, now: datetime | None = None
) -> ScheduledWork:
    """One refresh request per episode with partial metadata, YouTube ones 50 to a request when the
    Data API is configured. The extractor answers with EpisodeExtracted(origin="refresh")."""
    now = now or datetime.now(UTC)
    since = (
        (now - timedelta(days=REFRESH_WINDOW_DAYS)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    answer = query(PartialEpisodes(created_after=since, limit=REFRESH_PER_RUN))
    requests = [
        ExtractRequest(
            at=at,
            user_id=episode["user_id"],
            url=episode["url"],
            kind="video",
            media_key=episode["external_id"],
            refresh=True,
        )
        for episode in answer["episodes"]
    ]
    return ScheduledWork(requests=batch_youtube_requests(requests) if youtube_batches else requests)


def send(publisher: QueuePublisher, work: ScheduledWork) -> None:
    publisher.send_results(work.results)
    publisher.send_extract_requests(work.requests)
