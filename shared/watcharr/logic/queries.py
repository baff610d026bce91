"""The QueryFunction's answers: read-only views of the database, always scoped to one user."""

from __future__ import annotations

from collections import Counter
from functools import singledispatch
from typing import Any

from watcharr.adapters.store import ReadStore
from watcharr.models.messages import TERMINAL_STATES
from watcharr.models.queries import (
    Authenticate,
    GetJob,
    ListEpisodes,
    ListSubscriptions,
    PartialEpisodes,
    Query,
    StaleItems,
    UserByName,
)

JOB_STATES = ("queued", "expanded", "added", "restored", "failed")


def answer_query(store: ReadStore | None, query: Query) -> dict[str, Any]:
    """Answer one query; a database the writer has not created yet reads as empty."""
    if store is None:
        return _empty_answer(query)
    return _answer(query, store)


def _empty_answer(query: Query) -> dict[str, Any]:
    if isinstance(query, Authenticate | UserByName | GetJob):
        return {"found": False}
    key = {
        ListEpisodes: "episodes",
        ListSubscriptions: "subscriptions",
        StaleItems: "items",
        PartialEpisodes: "episodes",
    }[type(query)]
    return {key: []}


@singledispatch
def _answer(query: Query, store: ReadStore) -> dict[str, Any]:
    raise TypeError(f"unknown query {type(query).__name__}")


@_answer.register
def _(query: Authenticate, store: ReadStore) -> dict[str, Any]:
    user = store.user_by_token_hash(query.token_hash)
    if user is None:
        return {"found": False}
    return {
        "found": True,
        "user": {"id": user["id"], "username": user["username"], "tokenHash": user["token_hash"]},
    }


@_answer.register
def _(query: UserByName, store: ReadStore) -> dict[str, Any]:
    user = store.user_by_name(query.username)
    return {"found": user is not None, "user": user}


@_answer.register
def _(query: GetJob, store: ReadStore) -> dict[str, Any]:
    job = store.job(query.user_id, query.job_id)
    if job is None:
        return {"found": False}
    items = store.job_items(query.job_id)
    counts = Counter(item["state"] for item in items)
    totals = {state: counts.get(state, 0) for state in JOB_STATES}
    done = sum(counts[s] for s in TERMINAL_STATES)
    return {
        "found": True,
        "job": {
            "jobId": job["id"],
            "source": job["source"],
            "createdAt": job["created_at"],
            "updatedAt": job["updated_at"],
            "status": "done" if done == len(items) else "running",
            "total": len(items),
            "done": done,
            "leftOut": job["left_out"],
            "totals": totals,
            "items": [
                {
                    "id": item["id"],
                    "url": item["url"],
                    "kind": item["kind"],
                    "state": item["state"],
                    "title": item["title"],
                    "reason": item["reason"],
                    "attempts": item["attempts"],
                    "parentId": item["parent_item_id"],
                    "episodeId": item["episode_id"],
                    "type": item["episode_type"],
                    "channel": item["channel"],
                }
                for item in items
            ],
        },
    }


@_answer.register
def _(query: ListEpisodes, store: ReadStore) -> dict[str, Any]:
    rows = store.episodes(
        query.user_id,
        type_=query.type,
        watched=query.watched,
        tag=query.tag,
        limit=query.limit,
        offset=query.offset,
    )
    return {"episodes": [_episode_view(row) for row in rows]}


def _episode_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "externalId": row["external_id"],
        "title": row["title"],
        "description": row["description"],
        "duration": row["duration"],
        "thumbnailUrl": row["thumbnail_url"],
        "url": row["url"],
        "uploadDate": row["upload_date"],
        "publishedDate": row["published_date"],
        "viewCount": row["view_count"],
        "watched": bool(row["watched"]),
        "watchStatus": row["watch_status"],
        "favorite": bool(row["favorite"]),
        "isShort": bool(row["is_short"]),
        "partialMetadata": bool(row["partial_metadata"]),
        "tags": row["tags"],
        "channel": {"id": row["channel_id"], "name": row["channel_name"], "url": row["channel_url"]}
        if row["channel_id"]
        else None,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


@_answer.register
def _(query: ListSubscriptions, store: ReadStore) -> dict[str, Any]:
    subscriptions = []
    for row in store.subscriptions(query.user_id):
        view = {
            "id": row["id"],
            "userId": row["user_id"],
            "feedUrl": row["feed_url"],
            "title": row["title"],
            "artworkUrl": row["artwork_url"],
            "tag": row["tag"],
            "etag": row["etag"],
            "lastModified": row["last_modified"],
            "lastSyncAt": row["last_sync_at"],
            "lastStatus": row["last_status"],
            "lastError": row["last_error"],
            "episodeCount": row["episode_count"],
            "createdAt": row["created_at"],
        }
        if query.include_seen_keys:
            view["seenKeys"] = store.seen_keys(row["id"])
        subscriptions.append(view)
    return {"subscriptions": subscriptions}


@_answer.register
def _(query: StaleItems, store: ReadStore) -> dict[str, Any]:
    return {"items": store.stale_items(query.updated_before, query.limit)}


@_answer.register
def _(query: PartialEpisodes, store: ReadStore) -> dict[str, Any]:
    return {"episodes": store.partial_episodes(query.created_after, query.limit)}
