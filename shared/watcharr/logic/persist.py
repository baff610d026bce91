"""The persister's rules: how each FIFO message changes the database.

Each message is applied in one transaction together with a row in `applied_messages` keyed by its
deterministic dedup id, so a redelivered message finds that row and changes nothing (invariant 3).
Rows take their times from the message, not the clock, for the same reason.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Literal

from watcharr.adapters.store import Row, WriteStore
from watcharr.logic.commands import apply_command
from watcharr.logic.persist_import import (
    add_imported_video,
    apply_reference_chunk,
    apply_watch_history,
    is_import_item,
)
from watcharr.logic.podcasts import first_sync_key
from watcharr.models.messages import (
    Command,
    EpisodeExtracted,
    FeedChecked,
    FeedEpisodesExtracted,
    ItemFailed,
    ItemRequeued,
    JobCreated,
    JobItemsAdded,
    JobItemSpec,
    ReferenceChunkImported,
    ResultMessage,
    SubscriptionAdded,
    SubscriptionRemoved,
    TokenRotated,
    UserCreated,
    WatchHistoryImported,
)
from watcharr.observability import logger

Outcome = Literal["applied", "duplicate"]
EpisodeOutcome = Literal["added", "restored", "unchanged"]


def apply_result(store: WriteStore, message: ResultMessage) -> Outcome:
    """Apply one message atomically, once."""
    with store.transaction():
        dedup_id = applied_key(store, message)
        if dedup_id is None or store.was_applied(dedup_id):
            return "duplicate"
        _apply(message, store)
        store.mark_applied(dedup_id, message.type, message.at)
    return "applied"


def applied_key(store: WriteStore, message: ResultMessage) -> str | None:
    """The key a message is recorded under in `applied_messages`; None for a stale result.

    An item's result carries the number of the user's retry (JobRetried) it answers, in its dedup id
    too; a result of an attempt from before the item's latest retry is stale and changes nothing,
    however often it comes.
    """
    if isinstance(message, ItemFailed | EpisodeExtracted | ItemRequeued) and message.item_id is not None:
        retry = store.item_retry(message.item_id)
        if retry is not None and message.retry < retry["retries"]:
            return None
    return message.dedup_id()


@singledispatch
def _apply(message: ResultMessage, store: WriteStore) -> None:
    raise TypeError(f"no rule for {type(message).__name__}")


@_apply.register
def _(message: Command, store: WriteStore) -> None:
    apply_command(store, message)


@_apply.register
def _(message: ReferenceChunkImported, store: WriteStore) -> None:
    apply_reference_chunk(store, message)


@_apply.register
def _(message: WatchHistoryImported, store: WriteStore) -> None:
    apply_watch_history(store, message)


@_apply.register
def _(message: UserCreated, store: WriteStore) -> None:
    if not store.insert_user(message.username, message.token_hash, message.at):
        logger.warning("user already exists; token unchanged", extra={"username": message.username})


@_apply.register
def _(message: TokenRotated, store: WriteStore) -> None:
    if not store.set_token_hash(message.username, message.token_hash, message.at):
        logger.warning("no such user; token not rotated", extra={"username": message.username})


@_apply.register
def _(message: JobCreated, store: WriteStore) -> None:
    store.insert_job(message.job_id, message.user_id, message.source, message.at)
    store.insert_items(message.job_id, message.items, None, message.at)


@_apply.register
def _(message: JobItemsAdded, store: WriteStore) -> None:
    store.insert_items(message.job_id, message.items, message.parent_item_id, message.at)
    if message.left_out:
        store.add_left_out(message.job_id, message.left_out, message.at)
    if message.parent_item_id is not None:
        reason = (
            f"{message.left_out} entries beyond the playlist limit left out" if message.left_out else None
        )
        store.finish_item(message.parent_item_id, state="expanded", reason=reason, at=message.at)


@_apply.register
def _(message: EpisodeExtracted, store: WriteStore) -> None:
    if message.origin == "refresh":
        refresh_partial_episode(store, message)
        return
    if message.origin == "sync" and _unsubscribed(store, message.subscription_id):
        return
    item = store.item(message.item_id) if message.item_id else None
    if item is not None and item["state"] in ("added", "restored"):
        # A second result for a finished item (the reconciler re-queued it while the first was in flight).
        return
    accepted_at = _accepted_at(item) if item is not None else message.at
    if item is not None and is_import_item(item):
        outcome, episode_id = add_imported_video(store, message, item)
    else:
        outcome, episode_id = restore_or_insert_episode(store, message, accepted_at)
    if item is not None:
        store.finish_item(
            item["id"],
            state="restored" if outcome == "restored" else "added",
            title=message.media.title,
            episode_id=episode_id,
            attempts=item["attempts"] + 1,
            at=message.at,
        )


def _accepted_at(item: Row) -> str:
    """When the add behind an item was accepted: the job's time, or the user's retry of the item."""
    return max(item["created_at"], item["retried_at"] or "")


def refresh_partial_episode(store: WriteStore, message: EpisodeExtracted) -> None:
    """Complete the partial metadata of an episode the user already has: no insert, no un-delete, no
    watch-state reset, no job item, no event. An episode gone from the database is left gone."""
    existing = store.find_episode(message.user_id, message.media.media_key)
    if existing is None or not existing["partial_metadata"]:
        return
    if message.media.channel is not None:
        store.upsert_channel(message.media.channel, message.at)
    store.refresh_episode(existing["id"], message.media, message.at)


@_apply.register
def _(message: FeedEpisodesExtracted, store: WriteStore) -> None:
    if _unsubscribed(store, message.subscription_id):
        return
    for media in message.episodes:
        episode = EpisodeExtracted(
            at=message.at,
            user_id=message.user_id,
            media=media,
            origin="sync",
            tag=message.tag,
            subscription_id=message.subscription_id,
        )
        restore_or_insert_episode(store, episode, message.at)


def _unsubscribed(store: WriteStore, subscription_id: str | None) -> bool:
    """Whether the user left the subscription while a sync of it was on its way."""
    subscription = store.subscription(subscription_id) if subscription_id is not None else None
    return subscription is not None and not subscription["is_active"]


def restore_or_insert_episode(
    store: WriteStore, message: EpisodeExtracted, accepted_at: str
) -> tuple[EpisodeOutcome, int]:
    """Insert a new episode, or restore the user's existing one as the reference app does.

    A user's add of something already on the list un-deletes it, resets its watch state, refreshes
    its metadata and replaces its tags when a tag is given. A feed sync never restores: an episode the
    user deleted stays deleted. The add applies in the order it was accepted (``accepted_at``): what a
    command set after that, while the extraction ran, is not undone when the result arrives.
    """
    media = message.media
    if media.channel is not None:
        store.upsert_channel(media.channel, message.at)
    existing = store.find_episode(message.user_id, media.media_key)
    if existing is None:
        episode_id = store.insert_episode(message.user_id, media, message.subscription_id, message.at)
        outcome: EpisodeOutcome = "added"
    elif message.origin == "sync":
        return "unchanged", existing["id"]
    else:
        episode_id = existing["id"]
        store.restore_episode(episode_id, media, message.at, accepted_at)
        outcome = "restored"
    if message.tag and not store.tags_set_after(episode_id, accepted_at):
        store.replace_tags(message.user_id, episode_id, [message.tag], message.at)
    store.log_event(message.user_id, episode_id, outcome, message.at)
    return outcome, episode_id


@_apply.register
def _(message: ItemFailed, store: WriteStore) -> None:
    item = store.item(message.item_id)
    if item is None:
        logger.warning("failure for an unknown item", extra={"item_id": message.item_id})
        return
    if item["state"] != "queued":
        return  # a late failure never overrides a result that already arrived
    store.finish_item(
        item["id"], state="failed", reason=message.reason, attempts=message.attempts, at=message.at
    )


@_apply.register
def _(message: ItemRequeued, store: WriteStore) -> None:
    store.count_requeue(message.item_id, message.requeue, message.at)


@_apply.register
def _(message: SubscriptionAdded, store: WriteStore) -> None:
    store.upsert_subscription(
        message.subscription_id,
        message.user_id,
        message.feed_url,
        message.tag,
        message.at,
        kind=message.kind,
        include_shorts=message.include_shorts,
    )
    if message.job_id is not None:
        first_sync = JobItemSpec(
            item_id=f"{message.job_id}-0000",
            url=message.feed_url,
            kind="feed",
            media_key=first_sync_key(message.subscription_id),
            tag=message.tag,
        )
        store.insert_job(message.job_id, message.user_id, "subscribe", message.at)
        store.insert_items(message.job_id, [first_sync], None, message.at)


@_apply.register
def _(message: SubscriptionRemoved, store: WriteStore) -> None:
    store.deactivate_subscription(message.subscription_id, message.user_id, message.at)


@_apply.register
def _(message: FeedChecked, store: WriteStore) -> None:
    if store.subscription(message.subscription_id) is None:
        logger.warning(
            "feed check for an unknown subscription", extra={"subscription_id": message.subscription_id}
        )
        return
    store.record_feed_check(
        message.subscription_id,
        status=message.status,
        at=message.at,
        etag=message.etag,
        last_modified=message.last_modified,
        title=message.title,
        artwork_url=message.artwork_url,
        error=message.error,
    )
    if message.feed_url:
        store.move_subscription(message.subscription_id, message.feed_url, message.at)
    store.add_seen_keys(message.subscription_id, message.seen_keys)
    # The feed's episodes of this sync came before its FeedChecked, so the first sync's item ends here.
    if message.status == "failed":
        store.finish_feed_items(
            first_sync_key(message.subscription_id), state="failed", reason=message.error, at=message.at
        )
    else:
        count = message.new_episodes
        store.finish_feed_items(
            first_sync_key(message.subscription_id), state="added", title=message.title, at=message.at,
            reason=f"{count} episode{'' if count == 1 else 's'} added",
        )  # fmt: skip
