"""Subscriptions of a kind: the migration that adds kind and include_shorts, old messages still valid,
and the persister storing what a follow sends, once (real SQLite files)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.builders import AT, user
from watcharr.adapters.schema import MIGRATIONS
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.messages import ExtractRequest, SubscriptionAdded, parse_result

FEED = "https://www.youtube.com/feeds/videos.xml?channel_id=UCSMOQeBJ2RAnuFungnQOxLg"


def test_subscriptions_from_before_the_migration_are_podcasts_with_shorts(tmp_path: Path) -> None:
    # Given a database from before subscriptions had a kind, with one podcast subscription
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = MIGRATIONS.index(next(m for m in MIGRATIONS if "include_shorts" in m))
    for number, script in enumerate(MIGRATIONS[:before], start=1):
        conn.executescript(script + f"PRAGMA user_version = {number};")
    conn.executescript(
        """
        INSERT INTO users VALUES (1, 'alice', 'alice', 0, 'h1', 't', 't');
        INSERT INTO subscriptions (id, user_id, feed_url, created_at, updated_at)
            VALUES ('s1', 1, 'https://example.com/feed.xml', 't', 't');
        """
    )
    conn.close()

    # When the writer opens it
    store = WriteStore(connect_writer(path))

    # Then the subscription is a podcast, and no other kind can be written
    row = store.conn.execute("SELECT kind, include_shorts FROM subscriptions").fetchone()
    assert (row["kind"], row["include_shorts"]) == ("podcast", 1)
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE subscriptions SET kind = 'youtube_user'")


def test_messages_sent_before_kinds_existed_still_parse_as_podcasts() -> None:
    old_added = {
        "v": 1,
        "at": AT,
        "type": "SubscriptionAdded",
        "subscription_id": "s1",
        "user_id": 1,
        "feed_url": "u",
    }
    added = parse_result(json.dumps(old_added))
    assert isinstance(added, SubscriptionAdded)
    assert (added.kind, added.include_shorts) == ("podcast", True)
    old_request = {
        "v": 1, "at": AT, "type": "ExtractRequest", "user_id": 1, "url": "u", "kind": "feed",
        "feed": {"subscription_id": "s1", "known_keys": []},
    }  # fmt: skip
    request = ExtractRequest.model_validate_json(json.dumps(old_request))
    assert request.feed is not None and (request.feed.kind, request.feed.include_shorts) == ("podcast", True)


def test_a_follow_is_stored_with_its_kind_once_and_following_again_updates_shorts(tmp_path: Path) -> None:
    store = WriteStore(connect_writer(tmp_path / "watcharr.db"))
    apply_result(store, user())
    follow = SubscriptionAdded(
        at=AT, subscription_id="s1", user_id=1, feed_url=FEED, kind="youtube_channel", include_shorts=False
    )
    assert apply_result(store, follow) == "applied"
    assert apply_result(store, follow) == "duplicate"
    again = follow.model_copy(update={"at": "2026-11-29T12:00:00.000Z", "include_shorts": True, "tag": "3d"})
    apply_result(store, again)

    rows = store.conn.execute("SELECT id, kind, include_shorts, tag FROM subscriptions").fetchall()
    assert [tuple(r.values()) for r in rows] == [("s1", "youtube_channel", 1, "3d")]
