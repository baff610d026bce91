"""Reading the reference app's database: every field of every row, read-only, clear refusals."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.support.reference_db import BASE_TS, build_reference_db, create_reference_schema
from watcharr.adapters.reference_db import (
    NotAReferenceDatabase,
    UnknownReferenceSchema,
    open_reference_db,
    unix_seconds_to_iso,
)
from watcharr.domain.tokens import token_matches
from watcharr.models.imports import (
    MAX_EPISODES_PER_IMPORT_CHUNK,
    MAX_IMPORT_CHUNK_BYTES,
    ReferenceImportChunk,
)


def _iso(ts: object) -> str | None:
    return None if ts is None else unix_seconds_to_iso(ts)


def _all_chunks(path: Path) -> dict[str, list[ReferenceImportChunk]]:
    with open_reference_db(path) as ref:
        return {user.username: list(ref.chunks(user)) for user in ref.users()}


def test_unix_seconds_become_iso_milliseconds_utc() -> None:
    assert unix_seconds_to_iso(BASE_TS) == "2026-02-05T10:00:00.000Z"
    assert unix_seconds_to_iso(0) == "1970-01-01T00:00:00.000Z"
    with pytest.raises(ValueError, match="not unix seconds"):
        unix_seconds_to_iso("2026-02-05")


def test_users_keep_only_the_hash_of_their_token(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")
    with open_reference_db(fixture.path) as ref:
        users = {user.username: user for user in ref.users()}
    assert set(users) == {"admin", "ana"}
    admin, ana = users["admin"], users["ana"]
    assert (admin.source_id, admin.display_name, admin.is_admin) == ("default-admin", "System Admin", True)
    assert (ana.display_name, ana.is_admin) == ("Ana Núñez", False)
    assert ana.created_at == "2026-02-05T10:00:01.000Z" and ana.updated_at == "2026-02-05T10:00:11.000Z"
    for name, user in users.items():
        token = fixture.tokens[name]
        assert user.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token_matches(token, user.token_hash)
        assert token not in user.model_dump_json()


def test_every_episode_field_tag_link_and_event_comes_through(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")
    chunks = _all_chunks(fixture.path)
    for username, written in fixture.episodes.items():
        got = {e.source_id: e for chunk in chunks[username] for e in chunk.episodes}
        assert len(got) == len(written) == 50
        for row in written:
            episode = got[str(row["id"])]
            assert episode.model_dump() == {
                "source_id": row["id"], "type": row["type"], "external_id": row["external_id"],
                "title": row["title"], "description": row["description"], "duration": row["duration"],
                "thumbnail_url": row["thumbnail_url"], "url": row["url"], "upload_date": row["upload_date"],
                "published_date": row["published_date"], "view_count": row["view_count"],
                "channel_id": row["channel_id"], "watched": bool(row["watched"]),
                "watch_status": row["watch_status"], "favorite": bool(row["favorite"]),
                "is_deleted": bool(row["is_deleted"]), "priority": row["priority"],
                "custom_order": row["custom_order"], "is_short": bool(row["is_short"]),
                "like_status": row["like_status"], "notes": row["notes"], "is_archived": bool(row["is_archived"]),
                "archived_at": _iso(row["archived_at"]), "created_at": _iso(row["created_at"]),
                "updated_at": _iso(row["updated_at"]),
            }  # fmt: skip
        links = {
            (lk.episode_source_id, lk.tag_source_id, lk.created_at)
            for c in chunks[username]
            for lk in c.tag_links
        }
        assert links == {(e, t, _iso(ts)) for e, t, ts in fixture.tag_links[username]}
        events = {ev.source_id: ev for c in chunks[username] for ev in c.events}
        assert {
            (ev["id"], ev["episode_id"], ev["event_type"], ev["title"], ev["type"], _iso(ev["created_at"]))
            for ev in fixture.events[username]
        } == {
            (e.source_id, e.episode_source_id, e.event_type, e.title, e.media_type, e.created_at)
            for e in events.values()
        }
        tags = {t.source_id: t for t in chunks[username][0].tags}
        assert {(t["id"], t["name"], t["color"], _iso(t["created_at"]), _iso(t["last_used_at"]))
                for t in fixture.tags[username]} == {
            (t.source_id, t.name, t.color, t.created_at, t.last_used_at) for t in tags.values()
        }  # fmt: skip
        assert all(not chunk.skipped for chunk in chunks[username])


def test_every_state_is_represented(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")
    episodes = [e for chunk in _all_chunks(fixture.path)["ana"] for e in chunk.episodes]
    assert {e.watch_status for e in episodes} == {"unwatched", "pending", "watched"}
    assert {e.priority for e in episodes} == {"none", "low", "medium", "high"}
    assert {e.like_status for e in episodes} == {"none", "like", "dislike"}
    for flag in ("favorite", "is_deleted", "is_archived", "is_short"):
        assert {getattr(e, flag) for e in episodes} == {True, False}, flag
    assert {e.type for e in episodes} == {"video", "podcast"}
    assert any(e.channel_id is None for e in episodes)


def test_chunks_are_bounded_and_each_carries_what_its_episodes_need(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db", episodes_per_user=250)
    with open_reference_db(fixture.path) as ref:
        ana = next(u for u in ref.users() if u.username == "ana")
        chunks = list(ref.chunks(ana))
        assert [len(c.episodes) for c in ref.chunks(ana, size=40)][-1] == 10
    # The tags come first, then the episodes at most 100 at a time.
    assert (len(chunks[0].tags), len(chunks[0].episodes)) == (3, 0)
    assert [len(c.episodes) for c in chunks[1:]] == [100, 100, 50] and MAX_EPISODES_PER_IMPORT_CHUNK == 100
    assert [c.sequence for c in chunks] == [0, 1, 2, 3]
    for chunk in chunks[1:]:
        ids = {e.source_id for e in chunk.episodes}
        assert {lk.episode_source_id for lk in chunk.tag_links} <= ids
        assert {ev.episode_source_id for ev in chunk.events} <= ids
        assert {lk.tag_source_id for lk in chunk.tag_links} == {t.source_id for t in chunk.tags}
        assert {e.channel_id for e in chunk.episodes if e.channel_id} == {c.id for c in chunk.channels}
        assert len(chunk.model_dump_json()) <= MAX_IMPORT_CHUNK_BYTES


def test_long_descriptions_split_a_chunk_by_bytes(tmp_path: Path) -> None:
    # 100 episodes with 5,000-character descriptions are ~500 KB: more than one message may carry.
    fixture = build_reference_db(tmp_path / "2watcharr.db", episodes_per_user=100)
    with sqlite3.connect(fixture.path) as db:
        db.execute("UPDATE episodes SET description = ?", ("Δ" * 5000,))
    chunks = _all_chunks(fixture.path)["ana"][1:]
    assert len(chunks) > 1
    assert sum(len(c.episodes) for c in chunks) == 100
    assert all(len(c.model_dump_json()) <= MAX_IMPORT_CHUNK_BYTES for c in chunks)
    assert [c.sequence for c in chunks] == list(range(1, len(chunks) + 1))
    # The same file gives the same chunks, so their sequence numbers can key the messages.
    assert _all_chunks(fixture.path)["ana"][1:] == chunks


def test_an_episode_too_large_for_any_message_is_skipped_with_a_reason(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db", episodes_per_user=3)
    with sqlite3.connect(fixture.path) as db:
        db.execute("UPDATE episodes SET notes = ? WHERE external_id = 'vid10000001'", ("n" * 200_000,))
    chunks = _all_chunks(fixture.path)["ana"]
    assert sum(len(c.episodes) for c in chunks) == 2
    (reason,) = [s for c in chunks for s in c.skipped]
    assert "vid10000001" in reason and "larger than one import message" in reason


def test_a_user_without_episodes_still_gets_one_chunk_with_tags(tmp_path: Path) -> None:
    path = tmp_path / "2watcharr.db"
    create_reference_schema(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO users (id, username, password, created_at, updated_at) VALUES "
                   "('u1', 'solo', 'x', ?, ?)", (BASE_TS, BASE_TS))  # fmt: skip
        db.execute("INSERT INTO tags (id, name, color, user_id, created_at) VALUES ('t1', 'Jazz', '#aabbcc', 'u1', ?)",
                   (BASE_TS,))  # fmt: skip
    with open_reference_db(path) as ref:
        (user,) = ref.users()
        assert user.token_hash is None and user.token_problem is None
        (chunk,) = list(ref.chunks(user))
    assert chunk.episodes == [] and [t.name for t in chunk.tags] == ["Jazz"]


def test_events_of_episodes_deleted_for_good_are_counted_not_attributed(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")
    with open_reference_db(fixture.path) as ref:
        assert ref.orphan_events == 2


def test_bad_rows_are_skipped_with_a_reason_and_the_rest_kept(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db", episodes_per_user=5)
    with sqlite3.connect(fixture.path) as db:
        db.execute("UPDATE episodes SET watch_status = 'maybe' WHERE external_id = 'vid10000001'")
        db.execute("UPDATE users SET api_token = 'short' WHERE username = 'admin'")
    chunks = _all_chunks(fixture.path)
    _tags, chunk = chunks["ana"]
    assert len(chunk.episodes) == 4
    assert (
        len(chunk.skipped) == 1 and "vid10000001" in chunk.skipped[0] and "watch_status" in chunk.skipped[0]
    )
    admin = chunks["admin"][0].user
    assert admin.token_hash is None and "64 hex" in (admin.token_problem or "")


def test_the_file_is_never_written(tmp_path: Path) -> None:
    fixture = build_reference_db(tmp_path / "2watcharr.db")
    before = fixture.path.read_bytes()
    _all_chunks(fixture.path)
    with open_reference_db(fixture.path) as ref, pytest.raises(sqlite3.OperationalError, match="readonly"):
        ref._db.execute("DELETE FROM episodes")
    assert fixture.path.read_bytes() == before
    assert not (tmp_path / "2watcharr.db-journal").exists()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, I am a text file\n" * 10)
    with pytest.raises(NotAReferenceDatabase, match="not a SQLite database"):
        open_reference_db(path)
    with pytest.raises(NotAReferenceDatabase, match="does not exist"):
        open_reference_db(tmp_path / "missing.db")


def test_another_apps_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(NotAReferenceDatabase, match="not a 2watcharr database"):
        open_reference_db(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    create_reference_schema(path, extra_migrations=("add_watch_sessions",))
    with pytest.raises(UnknownReferenceSchema, match=r"add_watch_sessions.*newer than 2watcharr v0\.6\.5"):
        open_reference_db(path)


def test_an_older_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "older.db"
    create_reference_schema(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM migrations WHERE name IN ('add_archive_fields', 'add_channel_favorite')")
    with pytest.raises(
        UnknownReferenceSchema, match=r"older than .*add_archive_fields, add_channel_favorite"
    ):
        open_reference_db(path)


def test_a_log_that_lies_about_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    create_reference_schema(path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE episodes DROP COLUMN notes")
    with pytest.raises(UnknownReferenceSchema, match="episodes lacks notes"):
        open_reference_db(path)
