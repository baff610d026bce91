"""The persister's command rules against real SQLite files: what a user's change does to the rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.support.builders import AT, command_id, extracted, job, updated, user
from tests.support.db import snapshot
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.messages import (
    EpisodeChanges,
    EpisodeDeleted,
    EpisodeRestored,
    EpisodesArchivedWatched,
    EpisodesRestoredAll,
    ItemFailed,
    JobRetried,
    TagCreated,
    TagDeleted,
    TagUpdated,
    parse_result,
)

LATER = "2026-11-28T13:00:00.000Z"
EVEN_LATER = "2026-11-28T14:00:00.000Z"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "watcharr.db"


@pytest.fixture
def store(db: Path) -> WriteStore:
    """Alice (user 1) with episodes 1 and 2, Bob (user 2) with episode 3."""
    store = WriteStore(connect_writer(db))
    for message in (
        user("alice"),
        user("bob"),
        job("ja", 1, ["u1", "u2"]),
        job("jb", 2, ["u3"]),
        extracted("ja", 0, 1, "youtube:aaaaaaaaaaa", "First"),
        extracted("ja", 1, 1, "youtube:bbbbbbbbbbb", "Second"),
        extracted("jb", 0, 2, "youtube:ccccccccccc", "Bob's"),
    ):
        apply_result(store, message)
    return store


def episode(store: WriteStore, episode_id: int) -> dict:
    return store.conn.execute("SELECT * FROM episodes WHERE id = ?", (episode_id,)).fetchone()


def command(store: WriteStore, n: int) -> dict:
    return store.conn.execute("SELECT * FROM commands WHERE id = ?", (command_id(n),)).fetchone()


def events(store: WriteStore, episode_id: int) -> list[str]:
    return [
        r["type"]
        for r in store.conn.execute(
            "SELECT type FROM media_events WHERE episode_id = ? ORDER BY id", (episode_id,)
        )
    ]


def tag(n: int, name: str, user_id: int = 1, color: str | None = None) -> TagCreated:
    return TagCreated(at=AT, command_id=command_id(n), user_id=user_id, name=name, color=color)


def tag_ids(store: WriteStore, episode_id: int) -> list[int]:
    return [
        r["tag_id"]
        for r in store.conn.execute(
            "SELECT tag_id FROM episode_tags WHERE episode_id = ? ORDER BY tag_id", (episode_id,)
        )
    ]


# ---- EpisodeUpdated -------------------------------------------------------------------------


def test_watched_sets_the_watch_status_and_logs_the_event_at_the_message_time(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, at=LATER, watched=True))

    row = episode(store, 1)
    assert (row["watched"], row["watch_status"], row["updated_at"]) == (1, "watched", LATER)
    assert events(store, 1) == ["added", "watched"]
    assert store.conn.execute(
        "SELECT user_id, created_at FROM media_events WHERE type = 'watched'"
    ).fetchall() == [{"user_id": 1, "created_at": LATER}]
    assert command(store, 1)["state"] == "applied"
    assert command(store, 1)["episode_id"] == 1


def test_watch_status_sets_watched_and_pending_is_not_watched(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, watch_status="watched"))
    assert (episode(store, 1)["watched"], episode(store, 1)["watch_status"]) == (1, "watched")
    apply_result(store, updated(2, 1, watch_status="pending"))
    assert (episode(store, 1)["watched"], episode(store, 1)["watch_status"]) == (0, "pending")
    apply_result(store, updated(3, 1, watched=False))
    assert (episode(store, 1)["watched"], episode(store, 1)["watch_status"]) == (0, "unwatched")
    assert events(store, 1) == ["added", "watched", "pending", "unwatched"]


def test_watched_and_watch_status_that_disagree_are_refused_by_the_model() -> None:
    with pytest.raises(ValidationError, match="disagree"):
        EpisodeChanges(watched=True, watch_status="pending")


def test_every_field_changes_and_logs_its_event(store: WriteStore) -> None:
    apply_result(store, tag(1, "later"))
    apply_result(
        store,
        updated(
            2, 1, favorite=True, priority="high", like_status="like", notes="watch the end",
            is_archived=True, tag_ids=[1],
        ),
    )  # fmt: skip

    row = episode(store, 1)
    assert (row["favorite"], row["priority"], row["like_status"], row["notes"], row["is_archived"]) == (
        1, "high", "like", "watch the end", 1,
    )  # fmt: skip
    assert tag_ids(store, 1) == [1]
    assert events(store, 1) == [
        "added",
        "favorited",
        "archived",
        "priority_changed",
        "liked",
        "notes_changed",
        "tagged",
    ]


def test_fields_not_sent_stay_and_explicit_null_clears_the_notes(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, notes="keep me", favorite=True, priority="low"))
    apply_result(store, updated(2, 1, priority="medium"))
    assert (episode(store, 1)["notes"], episode(store, 1)["favorite"]) == ("keep me", 1)

    # Through the queue's JSON, as the publisher sends it (exclude_none), the null still clears.
    message = updated(3, 1, notes=None)
    body = message.model_dump_json(exclude_none=True)
    apply_result(store, parse_result(body))
    row = episode(store, 1)
    assert (row["notes"], row["favorite"], row["priority"]) == (None, 1, "medium")


def test_a_change_to_the_same_value_is_applied_without_an_event(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, watched=False, favorite=False))
    assert command(store, 1)["state"] == "applied"
    assert events(store, 1) == ["added"]


def test_tag_ids_replace_the_set(store: WriteStore) -> None:
    for n, name in enumerate(["a", "b", "c"], start=1):
        apply_result(store, tag(n, name))
    apply_result(store, updated(4, 1, tag_ids=[1, 2]))
    apply_result(store, updated(5, 1, tag_ids=[3]))
    assert tag_ids(store, 1) == [3]
    apply_result(store, updated(6, 1, tag_ids=[]))
    assert tag_ids(store, 1) == []


def test_notes_of_1001_characters_and_unknown_fields_are_refused_by_the_model() -> None:
    EpisodeChanges(notes="x" * 1000)
    with pytest.raises(ValidationError):
        EpisodeChanges(notes="x" * 1001)
    with pytest.raises(ValidationError):
        EpisodeChanges.model_validate({"title": "mine now"})
    with pytest.raises(ValidationError):
        EpisodeChanges()
    with pytest.raises(ValidationError):
        EpisodeChanges.model_validate({"watched": None})


def test_an_unknown_tag_id_fails_the_command_and_changes_nothing(store: WriteStore, db: Path) -> None:
    apply_result(store, tag(1, "later"))
    before = snapshot(db)

    assert apply_result(store, updated(2, 1, favorite=True, tag_ids=[1, 99])) == "applied"

    row = command(store, 2)
    assert (row["state"], row["reason"]) == ("failed", "no such tag: 99")
    after = snapshot(db)
    assert {t: r for t, r in after.items() if t not in ("commands", "applied_messages")} == {
        t: r for t, r in before.items() if t not in ("commands", "applied_messages")
    }


def test_a_missing_episode_fails_the_command(store: WriteStore) -> None:
    apply_result(store, updated(1, 42, watched=True))
    assert (command(store, 1)["state"], command(store, 1)["reason"]) == ("failed", "no such episode: 42")


def test_fifty_alternating_changes_end_in_the_state_of_the_last(store: WriteStore) -> None:
    for n in range(50):
        apply_result(store, updated(n + 1, 1, watched=n % 2 == 0))
    # The 50th (n = 49) says unwatched.
    assert (episode(store, 1)["watched"], episode(store, 1)["watch_status"]) == (0, "unwatched")
    assert events(store, 1).count("watched") == 25
    assert events(store, 1).count("unwatched") == 25


def test_a_change_right_after_an_add_of_the_same_link_applies_after_it(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, watched=True))
    # The same link added again (a restore resets the watch state), then a change queued right behind it.
    apply_result(store, job("jc", 1, ["u1"]))
    apply_result(store, extracted("jc", 0, 1, "youtube:aaaaaaaaaaa", "First again"))
    apply_result(store, updated(2, 1, favorite=True, watched=True))
    row = episode(store, 1)
    assert (row["title"], row["watched"], row["favorite"]) == ("First again", 1, 1)
    assert events(store, 1) == ["added", "watched", "restored", "watched", "favorited"]


def test_an_adds_restore_leaves_what_a_later_accepted_command_set(store: WriteStore) -> None:
    # Given episode 1 watched, archived and tagged, and the same link added again at LATER (with a tag)
    apply_result(store, tag(1, "mine"))
    apply_result(store, updated(2, 1, watched=True, is_archived=True, tag_ids=[1]))
    apply_result(store, job("jc", 1, ["u1"]).model_copy(update={"at": LATER}))
    # When, while it is extracted, the user marks it pending, deletes it and retags it (accepted later)
    apply_result(store, updated(3, 1, at=EVEN_LATER, watch_status="pending", tag_ids=[]))
    apply_result(store, EpisodeDeleted(at=EVEN_LATER, command_id=command_id(4), user_id=1, episode_id=1))
    # And the add's result arrives after those commands
    result = extracted("jc", 0, 1, "youtube:aaaaaaaaaaa", "First again", tag="theirs")
    apply_result(store, result.model_copy(update={"at": EVEN_LATER}))
    # Then the metadata is refreshed, the archive flag (set before the add) is reset, the rest stays
    row = episode(store, 1)
    assert (row["title"], row["watch_status"], row["watched"]) == ("First again", "pending", 0)
    assert (row["is_deleted"], row["is_archived"]) == (1, 0)
    assert tag_ids(store, 1) == []
    assert store.conn.execute("SELECT state FROM job_items WHERE id = 'jc-0000'").fetchone() == {
        "state": "restored"
    }


# ---- isolation ------------------------------------------------------------------------------


def test_another_users_episode_or_tag_is_out_of_reach(store: WriteStore, db: Path) -> None:
    apply_result(store, tag(1, "alice's"))
    before = snapshot(db)
    bob_commands = [
        updated(2, 1, user_id=2, watched=True),
        EpisodeDeleted(at=AT, command_id=command_id(3), user_id=2, episode_id=1, permanent=True),
        EpisodeRestored(at=AT, command_id=command_id(4), user_id=2, episode_id=1),
        TagUpdated(at=AT, command_id=command_id(5), user_id=2, tag_id=1, name="bob's"),
        TagDeleted(at=AT, command_id=command_id(6), user_id=2, tag_id=1),
        # Bob's own episode, but Alice's tag.
        updated(7, 3, user_id=2, tag_ids=[1]),
        JobRetried(at=AT, command_id=command_id(8), user_id=2, job_id="ja", item_ids=["ja-0000"]),
    ]
    for message in bob_commands:
        apply_result(store, message)

    assert [command(store, n)["state"] for n in range(2, 9)] == ["failed"] * 7
    assert command(store, 2)["reason"] == "no such episode: 1"
    assert command(store, 5)["reason"] == "no such tag: 1"
    assert command(store, 8)["reason"] == "no such job: ja"
    after = snapshot(db)
    assert {t: r for t, r in after.items() if t not in ("commands", "applied_messages")} == {
        t: r for t, r in before.items() if t not in ("commands", "applied_messages")
    }


# ---- delete, restore, bulk ------------------------------------------------------------------


def test_soft_delete_then_restore(store: WriteStore) -> None:
    apply_result(store, EpisodeDeleted(at=AT, command_id=command_id(1), user_id=1, episode_id=1))
    assert episode(store, 1)["is_deleted"] == 1
    apply_result(store, EpisodeRestored(at=LATER, command_id=command_id(2), user_id=1, episode_id=1))
    assert episode(store, 1)["is_deleted"] == 0
    assert events(store, 1) == ["added", "removed", "restored"]


def test_permanent_delete_removes_the_row_its_tag_links_and_history(store: WriteStore) -> None:
    apply_result(store, tag(1, "later"))
    apply_result(store, updated(2, 1, tag_ids=[1], watched=True))
    apply_result(
        store, EpisodeDeleted(at=AT, command_id=command_id(3), user_id=1, episode_id=1, permanent=True)
    )

    assert episode(store, 1) is None
    assert tag_ids(store, 1) == []
    assert events(store, 1) == []
    # The job item that added it keeps its text; the tag stays for other episodes.
    assert store.conn.execute("SELECT state, episode_id FROM job_items WHERE id = 'ja-0000'").fetchone() == {
        "state": "added",
        "episode_id": None,
    }
    assert store.conn.execute("SELECT name FROM tags").fetchall() == [{"name": "later"}]
    # Deleting it again: it is gone, so the command fails with a reason.
    apply_result(store, EpisodeDeleted(at=AT, command_id=command_id(4), user_id=1, episode_id=1))
    assert command(store, 4)["state"] == "failed"


def test_a_deleted_episode_added_again_is_restored_with_its_tag_matched_case_insensitively(
    store: WriteStore,
) -> None:
    apply_result(store, tag(1, "Later"))
    apply_result(store, EpisodeDeleted(at=AT, command_id=command_id(2), user_id=1, episode_id=1))
    apply_result(store, job("jc", 1, ["u1"]))
    apply_result(store, extracted("jc", 0, 1, "youtube:aaaaaaaaaaa", "First", tag="later"))

    assert episode(store, 1)["is_deleted"] == 0
    assert store.conn.execute("SELECT id, name FROM tags WHERE user_id = 1").fetchall() == [
        {"id": 1, "name": "Later"}
    ]
    assert tag_ids(store, 1) == [1]


def test_archive_watched_and_restore_all_touch_only_the_users_episodes(store: WriteStore) -> None:
    apply_result(store, updated(1, 1, watched=True))
    apply_result(store, updated(2, 3, user_id=2, watched=True))
    apply_result(store, EpisodesArchivedWatched(at=AT, command_id=command_id(3), user_id=1))
    assert [episode(store, i)["is_archived"] for i in (1, 2, 3)] == [1, 0, 0]

    for n, episode_id in ((4, 1), (5, 2)):
        apply_result(store, EpisodeDeleted(at=AT, command_id=command_id(n), user_id=1, episode_id=episode_id))
    apply_result(store, EpisodeDeleted(at=AT, command_id=command_id(6), user_id=2, episode_id=3))
    apply_result(store, EpisodesRestoredAll(at=AT, command_id=command_id(7), user_id=1))
    assert [episode(store, i)["is_deleted"] for i in (1, 2, 3)] == [0, 0, 1]
    assert events(store, 2) == ["added", "removed", "restored"]


# ---- tags -----------------------------------------------------------------------------------


def test_tag_created_records_its_id_and_a_name_taken_in_any_case_fails(store: WriteStore) -> None:
    apply_result(store, tag(1, "Music", color="#ff0000"))
    assert command(store, 1)["tag_id"] == 1
    apply_result(store, tag(2, "music"))
    assert (command(store, 2)["state"], command(store, 2)["reason"]) == (
        "failed",
        'a tag named "Music" already exists',
    )
    # Another user may have the same name.
    apply_result(store, tag(3, "music", user_id=2))
    assert command(store, 3)["state"] == "applied"
    assert store.conn.execute("SELECT COUNT(*) AS n FROM tags").fetchone() == {"n": 2}


def test_tag_name_and_color_are_checked_by_the_model() -> None:
    for bad in ({"name": ""}, {"name": "x" * 65}, {"name": "ok", "color": "red"}):
        with pytest.raises(ValidationError):
            TagCreated.model_validate({"command_id": command_id(1), "user_id": 1, **bad})
    with pytest.raises(ValidationError):
        TagCreated(command_id="not-hex", user_id=1, name="ok")


def test_tag_updated_renames_recolours_and_clears_the_colour(store: WriteStore) -> None:
    apply_result(store, tag(1, "music", color="#00ff00"))
    apply_result(store, tag(2, "talk"))
    apply_result(store, TagUpdated(at=AT, command_id=command_id(3), user_id=1, tag_id=1, name="Music"))
    assert store.conn.execute("SELECT name, color FROM tags WHERE id = 1").fetchone() == {
        "name": "Music",
        "color": "#00ff00",
    }
    apply_result(store, TagUpdated(at=AT, command_id=command_id(4), user_id=1, tag_id=1, name="TALK"))
    assert command(store, 4)["reason"] == 'a tag named "talk" already exists'
    cleared = TagUpdated(at=AT, command_id=command_id(5), user_id=1, tag_id=1, color=None)
    apply_result(store, parse_result(cleared.model_dump_json(exclude_none=True)))
    assert store.conn.execute("SELECT name, color FROM tags WHERE id = 1").fetchone() == {
        "name": "Music",
        "color": None,
    }


def test_tag_deleted_removes_its_links_and_the_episodes_stay(store: WriteStore) -> None:
    apply_result(store, tag(1, "later"))
    apply_result(store, updated(2, 1, tag_ids=[1]))
    apply_result(store, TagDeleted(at=AT, command_id=command_id(3), user_id=1, tag_id=1))
    assert tag_ids(store, 1) == []
    assert episode(store, 1) is not None
    assert store.conn.execute("SELECT COUNT(*) AS n FROM tags").fetchone() == {"n": 0}


# ---- jobs -----------------------------------------------------------------------------------


def test_job_retried_queues_failed_items_again_and_their_next_result_applies(store: WriteStore) -> None:
    apply_result(store, job("jr", 1, ["u1", "u2"]))
    apply_result(store, ItemFailed(at=AT, job_id="jr", item_id="jr-0000", reason="HTTP 503", attempts=5))
    apply_result(store, extracted("jr", 1, 1, "youtube:ddddddddddd", "Fine"))

    retry = JobRetried(
        at=LATER, command_id=command_id(1), user_id=1, job_id="jr", item_ids=["jr-0000", "jr-0001"]
    )
    apply_result(store, retry)
    states = store.conn.execute(
        "SELECT id, state, reason, attempts FROM job_items WHERE job_id = 'jr' ORDER BY id"
    )
    assert states.fetchall() == [
        {"id": "jr-0000", "state": "queued", "reason": None, "attempts": 0},
        {"id": "jr-0001", "state": "added", "reason": None, "attempts": 1},
    ]
    # The failure from before the retry, delivered again: stale, the item stays queued.
    first_failure = ItemFailed(at=AT, job_id="jr", item_id="jr-0000", reason="HTTP 503", attempts=5)
    assert apply_result(store, first_failure) == "duplicate"
    assert store.conn.execute("SELECT state FROM job_items WHERE id = 'jr-0000'").fetchone() == {
        "state": "queued"
    }
    # The same item fails again on this attempt: that failure is applied, not taken for a duplicate.
    again = ItemFailed(at=EVEN_LATER, job_id="jr", item_id="jr-0000", reason="HTTP 404", attempts=1, retry=1)
    assert again.dedup_id() != first_failure.dedup_id()
    assert apply_result(store, again) == "applied"
    assert apply_result(store, again) == "duplicate"
    assert store.conn.execute("SELECT state, reason FROM job_items WHERE id = 'jr-0000'").fetchone() == {
        "state": "failed",
        "reason": "HTTP 404",
    }


def test_a_retried_item_that_succeeds_is_added(store: WriteStore) -> None:
    apply_result(store, job("jr", 1, ["u1"]))
    apply_result(store, ItemFailed(at=AT, job_id="jr", item_id="jr-0000", reason="HTTP 503", attempts=5))
    apply_result(
        store, JobRetried(at=LATER, command_id=command_id(1), user_id=1, job_id="jr", item_ids=["jr-0000"])
    )
    result = extracted("jr", 0, 1, "youtube:ddddddddddd", "Back")
    # A result of the first attempt, even a late one, is stale; the retry's result (number 1) applies.
    assert apply_result(store, result.model_copy(update={"at": EVEN_LATER})) == "duplicate"
    assert apply_result(store, result.model_copy(update={"at": EVEN_LATER, "retry": 1})) == "applied"
    assert store.conn.execute("SELECT state, title FROM job_items WHERE id = 'jr-0000'").fetchone() == {
        "state": "added",
        "title": "Back",
    }


def test_job_retried_with_an_item_of_another_job_fails(store: WriteStore) -> None:
    apply_result(
        store, JobRetried(at=AT, command_id=command_id(1), user_id=1, job_id="ja", item_ids=["jb-0000"])
    )
    assert (command(store, 1)["state"], command(store, 1)["reason"]) == (
        "failed",
        "no such item in this job: jb-0000",
    )


# ---- redelivery -----------------------------------------------------------------------------


def test_a_redelivered_command_changes_nothing(store: WriteStore, db: Path) -> None:
    commands = [
        tag(1, "later"),
        updated(2, 1, watched=True, tag_ids=[1]),
        EpisodeDeleted(at=AT, command_id=command_id(3), user_id=1, episode_id=2),
        updated(4, 42, favorite=True),
        EpisodesRestoredAll(at=AT, command_id=command_id(5), user_id=1),
    ]
    for message in commands:
        assert apply_result(store, message) == "applied"
    before = snapshot(db)
    for message in commands:
        assert apply_result(store, message) == "duplicate"
    assert snapshot(db) == before
