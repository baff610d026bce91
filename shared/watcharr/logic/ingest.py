"""Turning accepted links into one job: a JobCreated for the writer and one ExtractRequest per link.

The job is sent to the FIFO queue before any ExtractRequest, so the persister always knows a job's
items before a result for one of them can reach it. When a YouTube Data API key is configured, the
YouTube videos of a job travel as ``youtube_batch`` requests of up to 50 ids (one API call each);
the plan itself keeps one request per item, which is what callers count and wait on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from watcharr.adapters.query_client import QueryClient
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.youtube_data_api import MAX_IDS_PER_CALL
from watcharr.domain.links.classify import normalize_link
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.logic.podcasts import first_sync_of
from watcharr.models.api import AddEpisodeAnswer, EpisodeSummary, LinkResult
from watcharr.models.messages import (
    TERMINAL_STATES,
    ExtractRequest,
    JobCreated,
    JobItemsAdded,
    JobItemSpec,
    JobRetried,
    JobSource,
    ResultMessage,
    YouTubeBatchEntry,
    utc_now,
)
from watcharr.models.queries import GetJob, JobView
from watcharr.settings import get_settings

# 50 items of at most ~4 KiB each keep every job message far below the SQS size limit.
ITEMS_PER_MESSAGE = 50


@dataclass(frozen=True)
class LinkRequest:
    """A link to add, or (``refused``) why the entry that stood for one cannot be read."""

    text: str
    tag: str | None = None
    refused: str | None = None
    # Set by importers only (see JobItemSpec): tags added to the episode, and when it was watched.
    import_tags: tuple[str, ...] | None = None
    watched_at: str | None = None


@dataclass
class JobPlan:
    job_id: str
    results: list[LinkResult] = field(default_factory=list)
    messages: list[ResultMessage] = field(default_factory=list)
    requests: list[ExtractRequest] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.requests)


def new_job_id() -> str:
    return uuid.uuid4().hex


def item_id(job_id: str, index: int) -> str:
    """Item ids are derived from their job, so a re-sent plan names the same items."""
    return f"{job_id}-{index:04d}"


def plan_job(
    user_id: int, links: Sequence[LinkRequest], source: JobSource, job_id: str | None = None
) -> JobPlan:
    """Classify every link; the supported ones become the job's items, the others NOK results."""
    plan = JobPlan(job_id=job_id or new_job_id())
    at = utc_now()
    items: list[JobItemSpec] = []
    for link in links:
        if link.refused is not None:
            plan.results.append(LinkResult(url=link.text, status="NOK", reason=link.refused))
            continue
        try:
            media = normalize_link(link.text)
        except UnsupportedLink as exc:
            plan.results.append(LinkResult(url=link.text, status="NOK", reason=exc.reason))
            continue
        spec = JobItemSpec(
            item_id=item_id(plan.job_id, len(items)),
            url=media.url,
            kind=media.kind,
            media_key=media.media_key,
            tag=link.tag,
            import_tags=list(link.import_tags) if link.import_tags is not None else None,
            watched_at=link.watched_at,
        )
        items.append(spec)
        plan.results.append(LinkResult(url=link.text, status="QUEUED"))
        plan.requests.append(
            ExtractRequest(
                at=at,
                user_id=user_id,
                job_id=plan.job_id,
                item_id=spec.item_id,
                url=spec.url,
                kind=spec.kind,
                media_key=spec.media_key,
                tag=spec.tag,
            )
        )
    if items:
        chunks = [items[i : i + ITEMS_PER_MESSAGE] for i in range(0, len(items), ITEMS_PER_MESSAGE)]
        plan.messages.append(
            JobCreated(at=at, job_id=plan.job_id, user_id=user_id, source=source, items=chunks[0])
        )
        plan.messages.extend(JobItemsAdded(at=at, job_id=plan.job_id, items=chunk) for chunk in chunks[1:])
    return plan


def batch_youtube_requests(requests: Sequence[ExtractRequest]) -> list[ExtractRequest]:
    """YouTube video requests grouped into ``youtube_batch`` requests of up to 50; others unchanged.

    Requests are grouped per user, job and purpose (add or refresh), so a batch's results go to one
    job. A request whose key is not ``youtube:<id>`` (other sites, playlists, feeds) stays as it is.
    """
    kept: list[ExtractRequest] = []
    groups: dict[tuple[int, str | None, bool], list[ExtractRequest]] = {}
    for request in requests:
        key = request.media_key or ""
        if request.kind == "video" and key.startswith("youtube:"):
            groups.setdefault((request.user_id, request.job_id, request.refresh), []).append(request)
        else:
            kept.append(request)
    for members in groups.values():
        for start in range(0, len(members), MAX_IDS_PER_CALL):
            chunk = members[start : start + MAX_IDS_PER_CALL]
            first = chunk[0]
            kept.append(
                ExtractRequest(
                    at=first.at,
                    user_id=first.user_id,
                    job_id=first.job_id,
                    url=first.url,
                    kind="youtube_batch",
                    refresh=first.refresh,
                    batch=[
                        YouTubeBatchEntry(
                            video_id=(r.media_key or "").removeprefix("youtube:"),
                            url=r.url,
                            item_id=r.item_id,
                            tag=r.tag,
                        )
                        for r in chunk
                    ],
                )
            )
    return kept


def submit_job(publisher: QueuePublisher, plan: JobPlan, *, youtube_batches: bool | None = None) -> None:
    """Record the job with the writer first, then fan its items out to the extractors.

    ``youtube_batches`` (by default: whether this process has a Data API key configured) groups the
    job's YouTube videos 50 to a request.
    """
    publisher.send_results(plan.messages)
    batched = get_settings().youtube_api_configured if youtube_batches is None else youtube_batches
    publisher.send_extract_requests(batch_youtube_requests(plan.requests) if batched else plan.requests)


def wait_for_item(
    query: QueryClient, user_id: int, job_id: str, item_id: str, seconds: float
) -> dict[str, Any] | None:
    """Poll the job until the item is terminal or `seconds` pass; the item's view, or None on time-out."""
    deadline = time.monotonic() + seconds
    pause = 0.1
    while True:
        answer = query(GetJob(user_id=user_id, job_id=job_id))
        if answer.get("found"):
            for item in answer["job"]["items"]:
                if item["id"] == item_id and item["state"] in TERMINAL_STATES:
                    return item
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(pause, remaining))
        pause = min(pause * 1.5, 1.0)


def added_answer(query: QueryClient, user_id: int, plan: JobPlan, seconds: float) -> AddEpisodeAnswer:
    """add-episode's answer: "queued", or the one item's outcome when it ends within ``seconds``."""
    item_id = plan.requests[0].item_id
    item = wait_for_item(query, user_id, plan.job_id, item_id, seconds) if seconds and item_id else None
    if item is None:
        return AddEpisodeAnswer(success=True, jobId=plan.job_id, status="queued")
    failed = item["state"] == "failed"
    return AddEpisodeAnswer(
        success=not failed,
        jobId=plan.job_id,
        status=item["state"],
        episode=None
        if failed
        else EpisodeSummary(
            id=item["episodeId"], title=item["title"], type=item["type"], channel=item["channel"]
        ),
        error=item["reason"],
    )


@dataclass(frozen=True)
class RetryPlan:
    retried: JobRetried
    requests: list[ExtractRequest]


def plan_retry(user_id: int, job: JobView, command_id: str) -> RetryPlan | None:
    """The retry of a job's failed items: the command first, then each item's new ExtractRequest.

    None when no item failed. The requests are timed after the command, so the persister takes their
    results for the new attempt and any late result of the old one as stale (logic.persist).
    """
    failed = [item for item in job.items if item.state == "failed"]
    if not failed:
        return None
    retried_at = datetime.now(UTC)
    retried = JobRetried(
        at=_timestamp(retried_at),
        command_id=command_id,
        user_id=user_id,
        job_id=job.job_id,
        item_ids=[item.id for item in failed],
    )
    at = _timestamp(retried_at + timedelta(milliseconds=1))
    requests = [
        ExtractRequest(
            at=at,
            user_id=user_id,
            job_id=job.job_id,
            item_id=item.id,
            url=item.url,
            kind=item.kind,  # type: ignore[arg-type]
            media_key=item.media_key if item.kind == "feed" else _media_key(item.url),
            tag=item.tag,
            feed=first_sync_of(item.media_key) if item.kind == "feed" else None,
            retry=item.retries + 1,
        )
        for item in failed
    ]
    return RetryPlan(retried=retried, requests=requests)


def submit_retry(publisher: QueuePublisher, plan: RetryPlan) -> None:
    """The retry reaches the writer before any result of the new attempts can."""
    publisher.send_results([plan.retried])
    publisher.send_extract_requests(plan.requests)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _media_key(url: str) -> str | None:
    try:
        return normalize_link(url).media_key
    except UnsupportedLink:
        return None
