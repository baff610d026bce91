"""The persister's rules for imports: a reference app user's list, a watch history, an import's item.

Each rule runs inside the message's one transaction (see ``logic.persist``), so a chunk lands whole
or not at all and a redelivered chunk changes nothing. Counts go to the ``imports`` row of the import,
and every row left out to ``import_skips`` with its reason, for the report.

The user. A reference user whose name is new here is created with the reference's display name,
admin flag, times and the SHA-256 of its API token, so a Shortcut keeps working with only its host
changed. A name that exists here is merged into: the user here keeps its own token (an import never
changes who can sign in; the report says the reference token does not work here and that
``watcharr users rotate-token`` gives a new one) and gains a display name it lacks. A token already
used by another user here, or one the reader could not take, is left out with a reason, and the user
gets an unusable token until it rotates one.

Episodes. An episode is the same as one here when its external id is (a reference YouTube id
``dQw4w9WgXcQ`` is ``youtube:dQw4w9WgXcQ`` here, as links are keyed; other ids are kept as they are).
A new one comes with every field. One already here is merged, never doubled: what the user set here
wins, and the reference fills in what is still at its default (a watch state of "unwatched", priority
and like status "none", no notes); favourite and archived are kept when set on either side; an
episode live on either side stays live (deleted only when deleted in both); metadata the row here
lacks is filled in; created_at is the earlier of the two, updated_at the later. Tags merge by name
(any case), keeping a colour set here; tag links and events are added, events once each (their
reference id is kept).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from watcharr.adapters.store import Row, WriteStore
from watcharr.models.imports import ImportedEpisode, ImportedUser
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import EpisodeExtracted, ReferenceChunkImported, WatchHistoryImported

REFERENCE_SOURCE = "2watcharr"
TAKEOUT_SOURCE = "takeout"
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")


def episode_key(episode: ImportedEpisode) -> str:
    """The external id an imported episode has here, so links added later find it."""
    if episode.type == "video" and _YOUTUBE_ID.fullmatch(episode.external_id):
        return f"youtube:{episode.external_id}"
    return episode.external_id


def unusable_token_hash(username: str) -> str:
    """A value no SHA-256 of a token ever equals (not hex), unique as the user name is."""
    return f"none:{username}"


def _user(store: WriteStore, user: ImportedUser) -> tuple[int, str, list[str]]:
    """The user's id here, whether it was created or merged into, and what could not come along."""
    existing = store.user_named(user.username)
    if existing is not None:
        reasons = []
        if user.token_hash is not None and existing["token_hash"] != user.token_hash:
            reasons.append(
                f"user {user.username}: already here, so it keeps its token here and the reference token does "
                f"not work; use that token, or give it a new one with `watcharr users rotate-token {user.username}`"
            )
        store.merge_imported_user(existing["id"], user)
        return existing["id"], "merged", reasons
    reasons = [f"user {user.username}: {user.token_problem}"] if user.token_problem else []
    token_hash = user.token_hash
    if token_hash is not None and store.token_hash_taken(token_hash):
        reasons.append(f"user {user.username}: its API token is another user's here, so it is not kept")
        token_hash = None
    if token_hash is None:
        reasons.append(
            f"user {user.username}: has no working token; give it one with `watcharr users rotate-token`"
        )
    return (
        store.insert_imported_user(user, token_hash or unusable_token_hash(user.username)),
        "created",
        reasons,
    )


def merged_episode(here: Row, ref: ImportedEpisode) -> dict[str, Any]:
    """The columns to change on an episode here so it also holds what the reference knew (see above)."""
    columns: dict[str, Any] = {}
    if here["watch_status"] == "unwatched" and not here["watched"]:
        columns.update(watched=int(ref.watched), watch_status=ref.watch_status)
    if here["priority"] == "none":
        columns["priority"] = ref.priority
    if (here["like_status"] or "none") == "none":
        columns["like_status"] = ref.like_status
    if here["notes"] is None:
        columns["notes"] = ref.notes
    columns["favorite"] = int(bool(here["favorite"]) or ref.favorite)
    columns["is_archived"] = int(bool(here["is_archived"]) or ref.is_archived)
    columns["is_deleted"] = int(bool(here["is_deleted"]) and ref.is_deleted)
    columns["is_short"] = int(bool(here["is_short"]) or ref.is_short)
    for name in (
        "description", "duration", "thumbnail_url", "upload_date", "published_date", "view_count", "channel_id",
        "custom_order", "archived_at",
    ):  # fmt: skip
        if here[name] is None:
            columns[name] = getattr(ref, name)
    columns["created_at"] = min(here["created_at"], ref.created_at)
    columns["updated_at"] = max(here["updated_at"], ref.updated_at)
    return {name: value for name, value in columns.items() if here[name] != value}


def apply_reference_chunk(store: WriteStore, message: ReferenceChunkImported) -> None:
    """Bring one chunk of a reference user's list in (see the module's rules)."""
    chunk = message.chunk
    user_id, user_outcome, user_reasons = _user(store, chunk.user)
    store.start_import(message.import_id, user_id, REFERENCE_SOURCE, message.at)
    counts: Counter[str] = Counter()
    for channel in chunk.channels:
        counts["channels"] += store.upsert_imported_channel(channel)
    tag_ids: dict[str, int] = {}
    for tag in chunk.tags:
        tag_ids[tag.source_id], new = store.merge_imported_tag(user_id, tag)
        if not chunk.episodes:
            # Tag chunks carry every tag; episode chunks repeat the ones they link to.
            counts["tags_imported" if new else "tags_merged"] += 1
    episode_ids: dict[str, int] = {}
    for episode in chunk.episodes:
        key = episode_key(episode)
        here = store.find_episode(user_id, key)
        if here is None:
            episode_ids[episode.source_id] = store.insert_imported_episode(user_id, key, episode)
            counts["episodes_imported"] += 1
        else:
            store.merge_imported_episode(here["id"], merged_episode(here, episode))
            episode_ids[episode.source_id] = here["id"]
            counts["episodes_merged"] += 1
    for link in chunk.tag_links:
        if link.episode_source_id in episode_ids and link.tag_source_id in tag_ids:
            counts["tag_links"] += store.link_imported_tag(
                episode_ids[link.episode_source_id], tag_ids[link.tag_source_id], link.created_at
            )
    for event in chunk.events:
        if event.episode_source_id in episode_ids:
            counts["events"] += store.insert_imported_event(
                user_id, episode_ids[event.episode_source_id], event
            )
    store.count_import(
        message.import_id,
        {"chunks": 1, **counts},
        message.at,
        user_outcome=user_outcome if chunk.sequence == 0 else None,
    )
    reasons = (user_reasons if chunk.sequence == 0 else []) + list(chunk.skipped)
    store.add_import_skips(message.import_id, chunk.sequence, reasons)


def apply_watch_history(store: WriteStore, message: WatchHistoryImported) -> None:
    """Mark the user's episodes of the history's videos watched; count the videos not on the list."""
    store.start_import(message.import_id, message.user_id, TAKEOUT_SOURCE, message.at)
    marks = {f"youtube:{video.video_id}": video.watched_at for video in message.videos}
    found = store.episodes_by_external_id(message.user_id, marks)
    marked = sum(
        _mark_watched(store, episode, marks[episode["external_id"]] or message.at) for episode in found
    )
    store.count_import(
        message.import_id, {"watched_marked": marked, "not_on_list": len(marks) - len(found)}, message.at
    )


def _mark_watched(store: WriteStore, episode: Row, watched_at: str) -> bool:
    if episode["watched"] and episode["watch_status"] == "watched":
        return False
    store.update_episode(episode["id"], {"watched": 1, "watch_status": "watched"}, watched_at)
    store.log_event(episode["user_id"], episode["id"], "watched", watched_at)
    return True


def is_import_item(item: Row) -> bool:
    """Whether a job item came from an import (it carries tags to add or a watched time)."""
    return item["import_tags"] is not None or item["watched_at"] is not None


def add_imported_video(store: WriteStore, message: EpisodeExtracted, item: Row) -> tuple[str, int]:
    """An import's item landed: a new episode is added; one already here keeps its state (no restore).

    Either way it gains the item's tags and, with a watched time, is marked watched.
    """
    media: MediaMetadata = message.media
    if media.channel is not None:
        store.upsert_channel(media.channel, message.at)
    here = store.find_episode(message.user_id, media.media_key)
    if here is None:
        episode_id = store.insert_episode(message.user_id, media, None, message.at)
        store.log_event(message.user_id, episode_id, "added", message.at)
        outcome = "added"
    else:
        episode_id, outcome = here["id"], "restored"
    tags = json.loads(item["import_tags"]) if item["import_tags"] else []
    store.add_tags(message.user_id, episode_id, tags, message.at)
    if item["watched_at"] is not None:
        episode = store.episode_of(message.user_id, episode_id)
        assert episode is not None
        _mark_watched(store, episode, item["watched_at"])
    return outcome, episode_id
