"""Persister crash after k of n messages, for every k: after redelivery the database is the same."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.builders import AT, extracted, job, media, user
from tests.support.db import snapshot
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.messages import (
    EpisodeExtracted,
    FeedChecked,
    ItemFailed,
    ResultMessage,
    SubscriptionAdded,
    TokenRotated,
)

KEYS = [f"youtube:{c * 11}" for c in "abcde"]


class Crash(Exception):
    """The process dies part-way through a message's transaction."""


@st.composite
def message_streams(draw: st.DrawFn) -> list[ResultMessage]:
    """A plausible stream: users, then jobs, then results for their items, in any interleaving."""
    stream: list[ResultMessage] = [user("alice"), user("bob")]
    jobs = draw(st.integers(min_value=1, max_value=3))
    pending: list[ResultMessage] = []
    for j in range(jobs):
        owner = draw(st.sampled_from([1, 2]))
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
    # Results arrive in an order the jobs do not dictate, but always after the job that owns them.
    stream.extend(draw(st.permutations(pending)))
    return stream


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
