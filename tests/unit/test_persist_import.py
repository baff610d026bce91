"""The persister's import rules against a real SQLite file: merging, users, history marks, import items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import AT, extracted, media, user
from tests.support.db import snapshot
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.imports import ImportedEpisode, ImportedTag, ImportedUser, ReferenceImportChunk
from watcharr.models.messages import (
    EpisodeExtracted,
    JobCreated,
    JobItemSpec,
    ReferenceChunkImported,
    WatchHistoryImported,
    WatchMark,
)

REF_AT = "2025-01-01T00:00:00.000Z"


@pytest.fixture
def store(tmp_path: Path) -> WriteStore:
    return WriteStore(connect_writer(tmp_path / "watcharr.db"))


def rows(store: WriteStore, sql: str, *params: object) -> list[dict[str, Any]]:
    return store.conn.execute(sql, params).fetchall()


def ref_user(
    name: str = "alice", token_hash: str | None = "a" * 64, problem: str | None = None
) -> ImportedUser:
    return ImportedUser(
        source_id=f"src-{name}", username=name, display_name=name.title(), token_hash=token_hash,
        token_problem=problem, created_at=REF_AT, updated_at=REF_AT,
    )  # fmt: skip


def ref_episode(video: str = "dQw4w9WgXcQ", **fields: Any) -> ImportedEpisode:
    values: dict[str, Any] = {
        "source_id": f"ep-{video}", "type": "video", "external_id": video, "title": "Reference title",
        "url": f"https://www.youtube.com/watch?v={video}", "description": "From the reference", "duration": 99,
        "created_at": REF_AT, "updated_at": "2025-06-01T00:00:00.000Z",
    }  # fmt: skip
    values.update(fields)
    return ImportedEpisode(**values)


def chunk(
    *episodes: ImportedEpisode, sequence: int = 1, who: ImportedUser | None = None, **extra: Any
) -> ReferenceChunkImported:
    return ReferenceChunkImported(
        at=AT,
        import_id="i" * 32,
        chunk=ReferenceImportChunk(
            user=who or ref_user(), sequence=sequence, episodes=list(episodes), **extra
        ),
    )


def report(store: WriteStore) -> dict[str, Any]:
    found = store.conn.execute("SELECT * FROM imports").fetchone()
    assert found is not None
    return found


def test_merge_keeps_what_the_user_set_and_fills_in_the_defaults(store: WriteStore) -> None:
    # Given alice here with the video: notes and priority of hers, deleted here, no description
    apply_result(store, user("alice", "b" * 64))
    apply_result(
        store,
        EpisodeExtracted(at=AT, user_id=1, media=media("youtube:dQw4w9WgXcQ", "Here", description=None)),
    )
    store.conn.execute("UPDATE episodes SET notes = 'mine', priority = 'low', is_deleted = 1")

    # When the reference's copy (watched, high priority, favourite, live, other notes) is merged
    ref = ref_episode(
        watched=True,
        watch_status="watched",
        priority="high",
        favorite=True,
        notes="theirs",
        like_status="like",
    )
    apply_result(store, chunk(ref, sequence=0))

    (episode,) = rows(store, "SELECT * FROM episodes")
    assert (episode["notes"], episode["priority"], episode["title"]) == ("mine", "low", "Here")
    assert (episode["watched"], episode["watch_status"], episode["favorite"], episode["like_status"]) == (
        1,
        "watched",
        1,
        "like",
    )
    assert episode["is_deleted"] == 0  # live in the reference: live here
    assert episode["description"] == "From the reference" and episode["duration"] == 212
    assert episode["created_at"] == REF_AT
    assert (report(store)["episodes_merged"], report(store)["user_outcome"]) == (1, "merged")
    # alice keeps her token here, and the report says why the reference one does not work
    assert rows(store, "SELECT token_hash FROM users")[0]["token_hash"] == "b" * 64
    (skip,) = rows(store, "SELECT reason FROM import_skips")
    assert "keeps its token here" in skip["reason"]


def test_deleted_on_both_sides_stays_deleted_and_a_merge_twice_changes_nothing(store: WriteStore) -> None:
    apply_result(store, chunk(ref_episode(is_deleted=True), sequence=0))
    first = ref_episode(is_deleted=True, notes="n")
    apply_result(store, chunk(first, sequence=1))
    before = snapshot_without_log(store)
    apply_result(store, chunk(first, sequence=2))  # the same content under another key: merged again

    assert rows(store, "SELECT is_deleted, notes FROM episodes") == [{"is_deleted": 1, "notes": "n"}]
    assert snapshot_without_log(store) == before


def snapshot_without_log(store: WriteStore) -> dict[str, Any]:
    taken = {
        t: v for t, v in snapshot(Path(store.conn.execute("PRAGMA database_list").fetchone()["file"])).items()
    }
    for table in ("applied_messages", "imports", "import_skips"):
        taken.pop(table)
    return taken


def test_a_redelivered_chunk_changes_nothing(store: WriteStore, tmp_path: Path) -> None:
    message = chunk(
        ref_episode(),
        sequence=0,
        tags=[ImportedTag(source_id="t1", name="Música", color="#22c55e", created_at=REF_AT)],
    )
    assert apply_result(store, message) == "applied"
    before = snapshot(tmp_path / "watcharr.db")
    assert apply_result(store, message) == "duplicate"
    assert snapshot(tmp_path / "watcharr.db") == before


def test_a_user_without_a_working_token_gets_an_unusable_one_and_a_reason(store: WriteStore) -> None:
    apply_result(
        store, chunk(who=ref_user("bob", None, "its API token is not 64 hex characters"), sequence=0)
    )
    apply_result(store, user("carol", "c" * 64))
    apply_result(store, chunk(who=ref_user("dave", "c" * 64), sequence=0))

    tokens = {r["username"]: r["token_hash"] for r in rows(store, "SELECT username, token_hash FROM users")}
    assert tokens["bob"] == "none:bob" and tokens["dave"] == "none:dave" and tokens["carol"] == "c" * 64
    reasons = [r["reason"] for r in rows(store, "SELECT reason FROM import_skips")]
    assert any("bob: its API token is not 64 hex" in r for r in reasons)
    assert any("dave: its API token is another user's here" in r for r in reasons)


def test_watch_history_marks_what_is_on_the_list_once(store: WriteStore) -> None:
    apply_result(store, user())
    apply_result(store, EpisodeExtracted(at=AT, user_id=1, media=media("youtube:aaaaaaaaaaa", "A")))
    marks = WatchHistoryImported(
        at=AT, import_id="h" * 32, user_id=1, sequence=0,
        videos=[WatchMark(video_id="aaaaaaaaaaa", watched_at="2024-01-02T00:00:00.000Z"), WatchMark(video_id="bbbbbbbbbbb")],
    )  # fmt: skip
    apply_result(store, marks)
    again = marks.model_copy(update={"sequence": 1})
    apply_result(store, again)

    assert rows(store, "SELECT watched, watch_status FROM episodes") == [
        {"watched": 1, "watch_status": "watched"}
    ]
    events = rows(store, "SELECT type, created_at FROM media_events WHERE type = 'watched'")
    assert events == [{"type": "watched", "created_at": "2024-01-02T00:00:00.000Z"}]
    assert (report(store)["watched_marked"], report(store)["not_on_list"]) == (1, 2)


def test_an_import_item_adds_its_tags_and_never_restores(store: WriteStore) -> None:
    # Given a deleted, favourite episode here, tagged "mine"
    apply_result(store, user())
    apply_result(
        store, EpisodeExtracted(at=AT, user_id=1, media=media("youtube:aaaaaaaaaaa", "A"), tag="mine")
    )
    store.conn.execute("UPDATE episodes SET is_deleted = 1, favorite = 1")
    spec = JobItemSpec(item_id="j-0000", url="https://www.youtube.com/watch?v=aaaaaaaaaaa", kind="video",
                       media_key="youtube:aaaaaaaaaaa", import_tags=["Watch later"], watched_at="2024-05-05T00:00:00.000Z")  # fmt: skip
    apply_result(store, JobCreated(at=AT, job_id="j", user_id=1, source="import", items=[spec]))

    # When the item's episode lands
    apply_result(store, extracted("j", 0, 1, "youtube:aaaaaaaaaaa", "A again"))

    (episode,) = rows(store, "SELECT * FROM episodes")
    assert (episode["is_deleted"], episode["favorite"], episode["watch_status"]) == (1, 1, "watched")
    tags = rows(store, "SELECT t.name FROM episode_tags et JOIN tags t ON t.id = et.tag_id ORDER BY t.name")
    assert [t["name"] for t in tags] == ["Watch later", "mine"]
    assert rows(store, "SELECT state FROM job_items") == [{"state": "restored"}]
