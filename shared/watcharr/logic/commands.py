"""The persister's rules for a user's commands: changes to episodes, tags and jobs.

A command that can never apply (its episode or tag is not the user's or is gone, a tag name is
taken, a tag id is unknown) is recorded `failed` with a plain reason and changes nothing else. It is
never raised: a raise would keep it at the head of the one FIFO group and block everything behind it.
Each state change writes a `media_events` row at the message's time, named as the reference app
names them (`removed` for a delete, `tagged` for a change of tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

from watcharr.adapters.store import Row, WriteStore
from watcharr.models.messages import (
    Command,
    EpisodeDeleted,
    EpisodeRestored,
    EpisodesArchivedWatched,
    EpisodesRestoredAll,
    EpisodeUpdated,
    JobRetried,
    TagCreated,
    TagDeleted,
    TagUpdated,
)
from watcharr.observability import logger


class CommandRefused(Exception):
    """The command can never apply; ``reason`` says why in the user's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Touched:
    """What a command was about, for its row: the episode and the tag (a new tag's id once made)."""

    episode_id: int | None = None
    tag_id: int | None = None


def apply_command(store: WriteStore, message: Command) -> None:
    """Apply one command inside the message's transaction and record its outcome."""
    if store.command_recorded(message.command_id):
        logger.warning(
            "command id used twice; the second is ignored", extra={"command_id": message.command_id}
        )
        return
    touched = Touched(
        episode_id=getattr(message, "episode_id", None), tag_id=getattr(message, "tag_id", None)
    )
    state, reason = "applied", None
    try:
        with store.savepoint():
            _rule(message, store, touched)
    except CommandRefused as refused:
        state, reason = "failed", refused.reason
    store.record_command(
        message.command_id, message.user_id, message.type, state=state, reason=reason,
        episode_id=touched.episode_id, tag_id=touched.tag_id, at=message.at,
    )  # fmt: skip


@singledispatch
def _rule(message: Command, store: WriteStore, touched: Touched) -> None:
    raise TypeError(f"no rule for {type(message).__name__}")


def _episode(store: WriteStore, user_id: int, episode_id: int) -> Row:
    episode = store.episode_of(user_id, episode_id)
    if episode is None:
        raise CommandRefused(f"no such episode: {episode_id}")
    return episode


@_rule.register
def _(message: EpisodeUpdated, store: WriteStore, touched: Touched) -> None:
    episode = _episode(store, message.user_id, message.episode_id)
    changes, asked = message.changes, message.changes.model_fields_set
    columns: dict[str, object] = {}
    events: list[str] = []
    settled = changes.settled_watch()
    if settled is not None:
        watched, status = settled
        if (bool(episode["watched"]), episode["watch_status"]) != settled:
            columns.update(watched=int(watched), watch_status=status)
        if episode["watch_status"] != status:
            events.append(status)
    toggles = (("favorite", "favorited", "unfavorited"), ("is_archived", "archived", "unarchived"))
    for field, on, off in toggles:
        value = getattr(changes, field)
        if field in asked and bool(episode[field]) != value:
            columns[field] = int(value)
            events.append(on if value else off)
    if "priority" in asked and episode["priority"] != changes.priority:
        columns["priority"] = changes.priority
        events.append("priority_changed")
    if "like_status" in asked and (episode["like_status"] or "none") != changes.like_status:
        columns["like_status"] = changes.like_status
        events.append({"like": "liked", "dislike": "disliked", "none": "unliked"}[changes.like_status])
    if "notes" in asked and episode["notes"] != changes.notes:
        columns["notes"] = changes.notes
        events.append("notes_changed")
    if "tag_ids" in asked:
        wanted = set(changes.tag_ids)
        unknown = wanted - store.tag_ids_of(message.user_id, wanted)
        if unknown:
            raise CommandRefused(f"no such tag: {', '.join(str(t) for t in sorted(unknown))}")
        if wanted != store.episode_tag_ids(episode["id"]):
            store.set_episode_tags(episode["id"], sorted(wanted), message.at)
            events.append("tagged")
    if columns:
        store.update_episode(episode["id"], columns, message.at)
    for event in events:
        store.log_event(message.user_id, episode["id"], event, message.at)


@_rule.register
def _(message: EpisodeDeleted, store: WriteStore, touched: Touched) -> None:
    episode = _episode(store, message.user_id, message.episode_id)
    if message.permanent:
        store.delete_episode(episode["id"])
    elif not episode["is_deleted"]:
        store.update_episode(episode["id"], {"is_deleted": 1}, message.at)
        store.log_event(message.user_id, episode["id"], "removed", message.at)


@_rule.register
def _(message: EpisodeRestored, store: WriteStore, touched: Touched) -> None:
    episode = _episode(store, message.user_id, message.episode_id)
    if episode["is_deleted"]:
        store.update_episode(episode["id"], {"is_deleted": 0}, message.at)
        store.log_event(message.user_id, episode["id"], "restored", message.at)


@_rule.register
def _(message: EpisodesArchivedWatched, store: WriteStore, touched: Touched) -> None:
    for episode_id in store.episode_ids(message.user_id, deleted=False, watched=True):
        store.update_episode(episode_id, {"is_archived": 1}, message.at)
        store.log_event(message.user_id, episode_id, "archived", message.at)


@_rule.register
def _(message: EpisodesRestoredAll, store: WriteStore, touched: Touched) -> None:
    for episode_id in store.episode_ids(message.user_id, deleted=True):
        store.update_episode(episode_id, {"is_deleted": 0}, message.at)
        store.log_event(message.user_id, episode_id, "restored", message.at)


def _name_is_free(store: WriteStore, user_id: int, name: str, tag_id: int | None = None) -> None:
    taken = store.tag_named(user_id, name)
    if taken is not None and taken["id"] != tag_id:
        raise CommandRefused(f'a tag named "{taken["name"]}" already exists')


def _own_tag(store: WriteStore, user_id: int, tag_id: int) -> None:
    if not store.tag_ids_of(user_id, [tag_id]):
        raise CommandRefused(f"no such tag: {tag_id}")


@_rule.register
def _(message: TagCreated, store: WriteStore, touched: Touched) -> None:
    _name_is_free(store, message.user_id, message.name)
    touched.tag_id = store.insert_tag(message.user_id, message.name, message.color, message.at)


@_rule.register
def _(message: TagUpdated, store: WriteStore, touched: Touched) -> None:
    _own_tag(store, message.user_id, message.tag_id)
    columns = {
        field: getattr(message, field) for field in ("name", "color") if field in message.model_fields_set
    }
    if "name" in columns:
        _name_is_free(store, message.user_id, message.name, message.tag_id)
    store.update_tag(message.tag_id, columns)


@_rule.register
def _(message: TagDeleted, store: WriteStore, touched: Touched) -> None:
    _own_tag(store, message.user_id, message.tag_id)
    store.delete_tag(message.tag_id)


@_rule.register
def _(message: JobRetried, store: WriteStore, touched: Touched) -> None:
    if store.job_of(message.user_id, message.job_id) is None:
        raise CommandRefused(f"no such job: {message.job_id}")
    states = store.job_item_states(message.job_id, message.item_ids)
    missing = [item_id for item_id in message.item_ids if item_id not in states]
    if missing:
        raise CommandRefused(f"no such item in this job: {', '.join(missing)}")
    for item_id, state in states.items():
        if state == "failed":
            store.requeue_item(item_id, message.at)
