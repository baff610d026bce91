"""The QueryFunction's answers: read-only views of the database, always scoped to one user."""

from __future__ import annotations

from collections import Counter
from functools import singledispatch
from typing import Any

from watcharr.adapters.store import ReadStore, Row
from watcharr.models.messages import TERMINAL_STATES
from watcharr.models.queries import (
    Answer,
    AuthAnswer,
    Authenticate,
    ChannelView,
    CommandAnswer,
    CommandView,
    DeadLetter,
    DeadLettersAnswer,
    EpisodeAnswer,
    EpisodesAnswer,
    EpisodeView,
    GetCommand,
    GetEpisode,
    GetImport,
    GetJob,
    ImportAnswer,
    ImportReport,
    JobAnswer,
    JobItemView,
    JobsAnswer,
    JobSummary,
    JobTotals,
    JobView,
    ListDeadLetters,
    ListEpisodes,
    ListJobs,
    ListSubscriptions,
    ListTags,
    NamedUser,
    PartialEpisode,
    PartialEpisodes,
    PartialEpisodesAnswer,
    Query,
    StaleItem,
    StaleItems,
    StaleItemsAnswer,
    SubscriptionsAnswer,
    SubscriptionView,
    TagRef,
    TagsAnswer,
    TagView,
    UserByName,
    UserByNameAnswer,
    UserView,
)


def answer_query(store: ReadStore | None, query: Query) -> Answer:
    """Answer one query; a database the writer has not created yet reads as empty."""
    if store is None:
        empty: Answer = query.answer_model.model_validate(_EMPTY.get(type(query), {"found": False}))
        return empty
    return _answer(query, store)


_EMPTY: dict[type, dict[str, Any]] = {
    ListEpisodes: {"episodes": [], "total": 0},
    ListJobs: {"jobs": [], "total": 0},
    ListTags: {"tags": []},
    ListSubscriptions: {"subscriptions": []},
    StaleItems: {"items": []},
    PartialEpisodes: {"episodes": []},
    ListDeadLetters: {"dead_letters": [], "total": 0},
}


@singledispatch
def _answer(query: Query, store: ReadStore) -> Answer:
    raise TypeError(f"unknown query {type(query).__name__}")


@_answer.register
def _(query: Authenticate, store: ReadStore) -> AuthAnswer:
    user = store.user_by_token_hash(query.token_hash)
    if user is None:
        return AuthAnswer(found=False)
    return AuthAnswer(found=True, user=UserView(**user))


@_answer.register
def _(query: UserByName, store: ReadStore) -> UserByNameAnswer:
    user = store.user_by_name(query.username)
    return UserByNameAnswer(found=user is not None, user=NamedUser(**user) if user else None)


def _job_summary(job: Row, counts: Counter[str]) -> dict[str, Any]:
    total = sum(counts.values())
    done = sum(counts[s] for s in TERMINAL_STATES)
    return {
        "job_id": job["id"],
        "source": job["source"],
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
        "status": "done" if done == total else "running",
        "total": total,
        "done": done,
        "left_out": job["left_out"],
        "totals": JobTotals(**counts),
    }


@_answer.register
def _(query: GetJob, store: ReadStore) -> JobAnswer:
    job = store.job(query.user_id, query.job_id)
    if job is None:
        return JobAnswer(found=False)
    items = store.job_items(query.job_id)
    counts = Counter(item["state"] for item in items)
    views = [_item_view(item) for item in items]
    return JobAnswer(found=True, job=JobView(**_job_summary(job, counts), items=views))


def _item_view(item: Row) -> JobItemView:
    return JobItemView(
        id=item["id"], url=item["url"], kind=item["kind"], state=item["state"], title=item["title"],
        reason=item["reason"], attempts=item["attempts"], parent_id=item["parent_item_id"],
        episode_id=item["episode_id"], type=item["episode_type"], channel=item["channel"],
        media_key=item["media_key"], tag=item["tag"], retries=item["retries"],
    )  # fmt: skip


@_answer.register
def _(query: ListJobs, store: ReadStore) -> JobsAnswer:
    jobs, total = store.jobs(query.user_id, query.limit, query.offset)
    return JobsAnswer(
        jobs=[JobSummary(**_job_summary(job, Counter(job["states"]))) for job in jobs], total=total
    )


@_answer.register
def _(query: ListEpisodes, store: ReadStore) -> EpisodesAnswer:
    rows, total = store.episodes(query)
    return EpisodesAnswer(episodes=[_episode_view(row) for row in rows], total=total)


@_answer.register
def _(query: GetEpisode, store: ReadStore) -> EpisodeAnswer:
    row = store.episode(query.user_id, query.episode_id)
    return EpisodeAnswer(found=row is not None, episode=_episode_view(row) if row else None)


def _episode_view(row: Row) -> EpisodeView:
    tags = [TagRef(**tag) for tag in row["tags"]]
    return EpisodeView(
        id=row["id"], type=row["type"], external_id=row["external_id"], title=row["title"],
        description=row["description"], duration=row["duration"], thumbnail_url=row["thumbnail_url"],
        url=row["url"], upload_date=row["upload_date"], published_date=row["published_date"],
        view_count=row["view_count"],
        channel=ChannelView(id=row["channel_id"], name=row["channel_name"], url=row["channel_url"])
        if row["channel_id"]
        else None,
        watched=bool(row["watched"]), watch_status=row["watch_status"], favorite=bool(row["favorite"]),
        priority=row["priority"], like_status=row["like_status"] or "none", notes=row["notes"],
        is_archived=bool(row["is_archived"]), is_deleted=bool(row["is_deleted"]), is_short=bool(row["is_short"]),
        partial_metadata=bool(row["partial_metadata"]), created_at=row["created_at"],
        updated_at=row["updated_at"], tags=[tag.name for tag in tags], tag_details=tags,
    )  # fmt: skip


@_answer.register
def _(query: ListTags, store: ReadStore) -> TagsAnswer:
    return TagsAnswer(tags=[TagView(**row) for row in store.tags(query.user_id)])


@_answer.register
def _(query: GetCommand, store: ReadStore) -> CommandAnswer:
    row = store.command(query.user_id, query.command_id)
    if row is None:
        return CommandAnswer(found=False)
    episode = (
        store.episode(query.user_id, row["episode_id"]) if query.with_episode and row["episode_id"] else None
    )
    return CommandAnswer(
        found=True, command=CommandView(**row), episode=_episode_view(episode) if episode else None
    )


@_answer.register
def _(query: ListSubscriptions, store: ReadStore) -> SubscriptionsAnswer:
    return SubscriptionsAnswer(
        subscriptions=[
            SubscriptionView(**row, seen_keys=store.seen_keys(row["id"]) if query.include_seen_keys else None)
            for row in store.subscriptions(query.user_id)
        ]
    )


@_answer.register
def _(query: StaleItems, store: ReadStore) -> StaleItemsAnswer:
    return StaleItemsAnswer(
        items=[StaleItem(**row) for row in store.stale_items(query.updated_before, query.limit)]
    )


@_answer.register
def _(query: PartialEpisodes, store: ReadStore) -> PartialEpisodesAnswer:
    rows = store.partial_episodes(query.created_after, query.limit)
    return PartialEpisodesAnswer(episodes=[PartialEpisode(**row) for row in rows])


@_answer.register
def _(query: GetImport, store: ReadStore) -> ImportAnswer:
    row = store.import_report(query.import_id)
    return ImportAnswer(found=row is not None, report=ImportReport(**row) if row else None)


@_answer.register
def _(query: ListDeadLetters, store: ReadStore) -> DeadLettersAnswer:
    if query.message_id is not None:
        row = store.dead_letter(query.message_id)
        return DeadLettersAnswer(dead_letters=[DeadLetter(**row)] if row else [], total=1 if row else 0)
    rows, total = store.dead_letters(query.limit, query.offset)
    return DeadLettersAnswer(dead_letters=[DeadLetter(**row) for row in rows], total=total)
