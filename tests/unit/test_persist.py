"""The persister's rules against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.builders import AT, extracted, job, media, user
from tests.support.db import snapshot
from watcharr.adapters.schema import MIGRATIONS
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.messages import EpisodeExtracted, ItemFailed


@pytest.fixture
def store(tmp_path: Path) -> WriteStore:
    return WriteStore(connect_writer(tmp_path / "watcharr.db"))


def rows(store: WriteStore, sql: str, *params: object) -> list[dict]:
    return store.conn.execute(sql, params).fetchall()


def test_database_uses_rollback_journal_and_foreign_keys(store: WriteStore) -> None:
    assert rows(store, "PRAGMA journal_mode")[0]["journal_mode"] == "delete"
    assert rows(store, "PRAGMA foreign_keys")[0]["foreign_keys"] == 1
    assert rows(store, "PRAGMA user_version")[0]["user_version"] >= 1


def test_added_then_restored_with_tag(store: WriteStore) -> None:
    apply_result(store, user())
    apply_result(store, job("j1", 1, ["u1", "u2"]))
    apply_result(store, extracted("j1", 0, 1, "youtube:aaaaaaaaaaa", "First"))
    store.conn.execute("UPDATE episodes SET is_deleted = 1, watched = 1")
    apply_result(store, extracted("j1", 1, 1, "youtube:aaaaaaaaaaa", "First, renamed", tag="later"))

    (episode,) = rows(store, "SELECT * FROM episodes")
    assert episode["title"] == "First, renamed"
    assert (episode["is_deleted"], episode["watched"]) == (0, 0)
    states = [r["state"] for r in rows(store, "SELECT state FROM job_items ORDER BY id")]
    assert states == ["added", "restored"]
    assert [r["type"] for r in rows(store, "SELECT type FROM media_events ORDER BY id")] == [
        "added",
        "restored",
    ]
    assert [r["name"] for r in rows(store, "SELECT name FROM tags")] == ["later"]


def test_two_users_get_their_own_episode(store: WriteStore) -> None:
    apply_result(store, user("alice"))
    apply_result(store, user("bob"))
    apply_result(store, job("ja", 1, ["u"]))
    apply_result(store, job("jb", 2, ["u"]))
    apply_result(store, extracted("ja", 0, 1, "youtube:aaaaaaaaaaa", "Same"))
    apply_result(store, extracted("jb", 0, 2, "youtube:aaaaaaaaaaa", "Same"))
    assert rows(store, "SELECT user_id FROM episodes ORDER BY user_id") == [{"user_id": 1}, {"user_id": 2}]


def test_redelivery_changes_nothing(store: WriteStore, tmp_path: Path) -> None:
    messages = [user(), job("j1", 1, ["u1", "u2"]), extracted("j1", 0, 1, "youtube:aaaaaaaaaaa", "A")]
    messages.append(ItemFailed(at=AT, job_id="j1", item_id="j1-0001", reason="HTTP 404"))
    for message in messages:
        assert apply_result(store, message) == "applied"
    before = snapshot(tmp_path / "watcharr.db")
    for message in messages:
        assert apply_result(store, message) == "duplicate"
    assert snapshot(tmp_path / "watcharr.db") == before


def test_late_failure_never_overrides_a_result(store: WriteStore) -> None:
    apply_result(store, user())
    apply_result(store, job("j1", 1, ["u1"]))
    apply_result(store, extracted("j1", 0, 1, "youtube:aaaaaaaaaaa", "A"))
    apply_result(store, ItemFailed(at=AT, job_id="j1", item_id="j1-0000", reason="timed out", attempts=5))
    assert rows(store, "SELECT state, reason FROM job_items") == [{"state": "added", "reason": None}]


def test_sync_never_restores_a_deleted_episode(store: WriteStore) -> None:
    apply_result(store, user())
    first = EpisodeExtracted(
        at=AT, user_id=1, media=media("podcast:f:1", "Ep"), origin="sync", subscription_id="s"
    )
    apply_result(store, first)
    store.conn.execute("UPDATE episodes SET is_deleted = 1")
    again = EpisodeExtracted(
        at="2026-11-28T13:00:00.000Z",
        user_id=1,
        media=media("podcast:f:1", "Ep"),
        origin="sync",
        subscription_id="s",
    )
    apply_result(store, again)
    assert rows(store, "SELECT is_deleted FROM episodes") == [{"is_deleted": 1}]


def test_a_failed_message_leaves_no_partial_writes(store: WriteStore) -> None:
    # A job for a user that does not exist breaks a foreign key half-way through its transaction.
    with pytest.raises(sqlite3.IntegrityError):
        apply_result(store, job("j1", 99, ["u1"]))
    assert rows(store, "SELECT COUNT(*) AS n FROM jobs") == [{"n": 0}]
    assert rows(store, "SELECT COUNT(*) AS n FROM applied_messages") == [{"n": 0}]


def test_a_version_1_database_migrates_merging_tags_that_differ_only_in_case(tmp_path: Path) -> None:
    # Given a database as version 1 left it: one user's "Music", "music" and "MUSIC" on two episodes.
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.executescript(
        """
        INSERT INTO users VALUES (1, 'alice', 'alice', 0, 'h1', 't', 't'), (2, 'bob', 'bob', 0, 'h2', 't', 't');
        INSERT INTO episodes (id, user_id, type, external_id, title, url, created_at, updated_at)
            VALUES (1, 1, 'video', 'k1', 'One', 'u1', 't', 't'), (2, 1, 'video', 'k2', 'Two', 'u2', 't', 't');
        INSERT INTO tags (id, user_id, name, created_at)
            VALUES (1, 1, 'Music', 't'), (2, 1, 'music', 't'), (3, 1, 'MUSIC', 't'), (4, 2, 'music', 't');
        INSERT INTO episode_tags VALUES (1, 1), (1, 2), (2, 3);
        INSERT INTO media_events (episode_id, type, created_at) VALUES (1, 'added', 't');
        """
    )
    conn.close()

    # When the writer opens it.
    store = WriteStore(connect_writer(path))

    # Then the oldest name stays and keeps every link; Bob's tag is his own; history knows its user.
    assert rows(store, "PRAGMA user_version")[0]["user_version"] == len(MIGRATIONS)
    assert rows(store, "SELECT id, user_id, name FROM tags ORDER BY id") == [
        {"id": 1, "user_id": 1, "name": "Music"},
        {"id": 4, "user_id": 2, "name": "music"},
    ]
    assert rows(store, "SELECT episode_id, tag_id FROM episode_tags ORDER BY episode_id") == [
        {"episode_id": 1, "tag_id": 1},
        {"episode_id": 2, "tag_id": 1},
    ]
    assert rows(store, "SELECT user_id FROM media_events") == [{"user_id": 1}]
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO tags (user_id, name, created_at) VALUES (1, 'mUsIc', 't')")
