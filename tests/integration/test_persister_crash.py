"""Persister crash after k of n messages, for every k: after redelivery the database is the same."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.builders import AT, command_id, extracted, job, media, updated, user
from tests.support.db import snapshot
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.messages import (
    EpisodeDeleted,
    EpisodeExtracted,
    EpisodeRestored,
    EpisodesArchivedWatched,
    EpisodesRestoredAll,
    FeedChecked,
    ItemFailed,
    JobRetried,
    ResultMessage,
    SubscriptionAdded,
    TagCreated,
    TagDeleted,
    TagUpdated,
    TokenRotated,
)

KEYS = [f"youtube:{c * 11}" for c in "abcde"]
RETRIED_AT = "2026-11-28T13:00:00.000Z"
AFTER_RETRY = "2026-11-28T14:00:00.000Z"


class Crash(Exception):
    """The process dies part-way through a message's transaction."""


@st.composite
def message_streams(draw: st.DrawFn) -> list[ResultMessage]:
    """A plausible stream: users, then jobs, then results for their items and the users' commands, in
    any interleaving."""
    stream: list[ResultMessage] = [user("alice"), user("bob")]
    jobs = draw(st.integers(min_value=1, max_value=3))
    owners = [draw(st.sampled_from([1, 2])) for _ in range(jobs)]
    pending: list[ResultMessage] = []
    for j, owner in enumerate(owners):
        size = draw(st.integers(min_value=1, max_value=5))
        stream.append(job(f"j{j}", owner, [f"u{i}" for i in range(size)]))
        for i in range(size):
            if draw(st.booleans()):
                key = draw(st.sampled_from(KEYS))
                tag = draw(st.sampled_from([None, "later", "music"]))
                pending.append(extracted(f"j{j}", i, owner, key, f"title {key} {j}", tag=tag))
            else:
                pending.append(
                    ItemFailed(at=AT, job_id=f"j{j}", item_id=f"j{j}-{i:04d}", reason="HTTP 404", attempts=2)
                )
    pending.append(
        SubscriptionAdded(at=AT, subscription_id="s1", user_id=1, feed_url="http://127.0.0.1/feed")
    )
    pending.append(
        EpisodeExtracted(
            at=AT, user_id=1, media=media("podcast:f:1", "Episode 1"), origin="sync", subscription_id="s1"
        )
    )
    pending.append(
        FeedChecked(at=AT, subscription_id="s1", status="updated", etag='"e1"', seen_keys=["k1", "k2"])
    )
    pending.append(TokenRotated(at=AT, username="bob", token_hash="f" * 64))
    pending.extend(draw(user_commands()))
    # The owner retries the first item of a job (it may or may not have failed by then).
    retried = draw(st.integers(min_value=0, max_value=jobs - 1))
    item = f"j{retried}-0000"
    pending.append(
        JobRetried(
            at=RETRIED_AT,
            command_id=command_id(99),
            user_id=owners[retried],
            job_id=f"j{retried}",
            item_ids=[item],
        )
    )
    # Results arrive in an order the jobs do not dictate, but always after the job that owns them.
    stream.extend(draw(st.permutations(pending)))
    # The retried attempt fails again; its result comes after the retry, as the API sends the retry
    # before the item's new ExtractRequest.
    stream.append(
        ItemFailed(at=AFTER_RETRY, job_id=f"j{retried}", item_id=item, reason="HTTP 404 again", retry=1)
    )
    return stream


@st.composite
def user_commands(draw: st.DrawFn) -> list[ResultMessage]:
    """Both users' changes to episodes and tags that may or may not exist yet when they arrive."""
    owner = st.sampled_from([1, 2])
    episode_id = st.integers(min_value=1, max_value=6)
    tag_id = st.integers(min_value=1, max_value=3)
    change = st.fixed_dictionaries(
        {},
        optional={
            "watched": st.booleans(),
            "watch_status": st.sampled_from(["unwatched", "pending", "watched"]),
            "favorite": st.booleans(),
            "priority": st.sampled_from(["none", "low", "high"]),
            "notes": st.none() | st.sampled_from(["note", "other"]),
            "is_archived": st.booleans(),
            "tag_ids": st.lists(tag_id, max_size=2),
        },
    ).filter(lambda c: c and ("watched" not in c or "watch_status" not in c))
    commands: list[ResultMessage] = []
    for n in range(draw(st.integers(min_value=0, max_value=12))):
        cid, user_id = command_id(n + 1), draw(owner)
        kind = draw(
            st.sampled_from(["update", "update", "delete", "restore", "tag", "retag", "untag", "bulk"])
        )
        if kind == "update":
            commands.append(updated(n + 1, draw(episode_id), user_id=user_id, **draw(change)))
        elif kind == "delete":
            commands.append(
                EpisodeDeleted(
                    at=AT,
                    command_id=cid,
                    user_id=user_id,
                    episode_id=draw(episode_id),
                    permanent=draw(st.booleans()),
                )
            )
        elif kind == "restore":
            commands.append(
                EpisodeRestored(at=AT, command_id=cid, user_id=user_id, episode_id=draw(episode_id))
            )
        elif kind == "tag":
            name = draw(st.sampled_from(["Later", "later", "music"]))
            commands.append(TagCreated(at=AT, command_id=cid, user_id=user_id, name=name))
        elif kind == "retag":
            name = draw(st.sampled_from(["Later", "talk"]))
            commands.append(
                TagUpdated(at=AT, command_id=cid, user_id=user_id, tag_id=draw(tag_id), name=name)
            )
        elif kind == "untag":
            commands.append(TagDeleted(at=AT, command_id=cid, user_id=user_id, tag_id=draw(tag_id)))
        else:
            bulk = draw(st.sampled_from([EpisodesArchivedWatched, EpisodesRestoredAll]))
            commands.append(bulk(at=AT, command_id=cid, user_id=user_id))
    return commands


def apply_all(path: Path, messages: list[ResultMessage]) -> None:
    store = WriteStore(connect_writer(path))
    for message in messages:
        apply_result(store, message)
    store.conn.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=message_streams(), data=st.data())
def test_crash_after_k_messages_then_redelivery_equals_a_clean_run(
    stream: list[ResultMessage], data: st.DataObject
) -> None:
    k = data.draw(st.integers(min_value=0, max_value=len(stream) - 1), label="crash at message k")
    # SQS redelivers what was not deleted: everything from some message j ≤ k on (a batch whose
    # deletes never happened comes back whole).
    j = data.draw(st.integers(min_value=0, max_value=k), label="redelivery starts at j")
    with tempfile.TemporaryDirectory() as tmp:
        clean, crashed = Path(tmp) / "clean.db", Path(tmp) / "crashed.db"
        apply_all(clean, stream)

        store = WriteStore(connect_writer(crashed))
        for message in stream[:k]:
            apply_result(store, message)
        # Message k's writes happen, then the process dies before its transaction commits.
        original = store.mark_applied

        def die(*args: object) -> None:
            original(*args)  # type: ignore[arg-type]
            raise Crash

        store.mark_applied = die  # type: ignore[method-assign]
        with contextlib.suppress(Crash):
            apply_result(store, stream[k])
        store.conn.close()

        apply_all(crashed, stream[j:])
        assert snapshot(crashed) == snapshot(clean)
