"""The persister's rules against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.builders import AT, extracted, job, media, user
from tests.support.db import snapshot
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
