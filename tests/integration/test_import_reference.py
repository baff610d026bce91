"""Importing a reference app database through the FIFO queue and the real persister handler (moto)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.db import snapshot
from tests.support.lambda_env import LambdaWorld, create_user
from tests.support.reference_db import ReferenceFixture, build_reference_db, create_reference_schema
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.reference_db import (
    NotAReferenceDatabase,
    ReferenceDbError,
    UnknownReferenceSchema,
    unix_seconds_to_iso,
)
from watcharr.domain.tokens import hash_token
from watcharr.local.container import InProcessQueryClient
from watcharr.logic.importing import (
    ReferenceImportSent,
    import_reference_db,
    import_report,
    reference_import_messages,
)
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import EpisodeChanges, EpisodeExtracted, EpisodeUpdated, ResultMessage
from watcharr.models.queries import Authenticate, ask


def _iso(ts: object) -> str | None:
    return None if ts is None else unix_seconds_to_iso(ts)


def _publisher(world: LambdaWorld) -> QueuePublisher:
    return QueuePublisher(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)


def _query(world: LambdaWorld) -> InProcessQueryClient:
    return InProcessQueryClient(world.function("query").handler)


class CrashingPublisher(QueuePublisher):
    """The importer's process dies after ``k`` messages: everything before them is on the queue."""

    def __init__(self, world: LambdaWorld, k: int) -> None:
        super().__init__(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)
        self.left = k

    def send_results(self, messages: Sequence[ResultMessage]) -> None:
        if self.left <= 0:
            raise KeyboardInterrupt("killed")
        taken = list(messages)[: self.left]
        self.left -= len(taken)
        super().send_results(taken)
        if len(taken) < len(messages):
            raise KeyboardInterrupt("killed")


def _rows(world: LambdaWorld, sql: str, *params: object) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def assert_every_row_arrived(world: LambdaWorld, fixture: ReferenceFixture) -> None:
    """Every user, channel, tag, episode, tag link and event of the fixture is in the database."""
    channels = {r["id"]: r for r in _rows(world, "SELECT * FROM channels")}
    for ch in fixture.channels:
        got = channels[str(ch["id"])]
        assert (got["type"], got["name"], got["description"], got["thumbnail_url"], got["url"]) == (
            ch["type"], ch["name"], ch["description"], ch["thumbnail_url"], ch["url"],
        )  # fmt: skip
        assert got["created_at"] == _iso(ch["created_at"])
    for username, episodes in fixture.episodes.items():
        (user,) = _rows(world, "SELECT * FROM users WHERE username = ?", username)
        assert user["token_hash"] == hash_token(fixture.tokens[username])
        assert user["is_admin"] == (1 if username == "admin" else 0)
        assert user["display_name"] == {"admin": "System Admin", "ana": "Ana Núñez"}[username]
        tags = {r["name"]: r for r in _rows(world, "SELECT * FROM tags WHERE user_id = ?", user["id"])}
        assert {name: (t["color"], t["created_at"], t["last_used_at"]) for name, t in tags.items()} == {
            str(t["name"]): (t["color"], _iso(t["created_at"]), _iso(t["last_used_at"]))
            for t in fixture.tags[username]
        }
        got = {
            r["external_id"]: r for r in _rows(world, "SELECT * FROM episodes WHERE user_id = ?", user["id"])
        }
        assert len(got) == len(episodes) == 50
        by_source: dict[str, int] = {}
        for row in episodes:
            key = f"youtube:{row['external_id']}" if row["type"] == "video" else str(row["external_id"])
            episode = got[key]
            by_source[str(row["id"])] = episode["id"]
            for name in (
                "type", "title", "description", "duration", "thumbnail_url", "url", "view_count", "channel_id",
                "watched", "watch_status", "favorite", "is_deleted", "priority", "custom_order", "is_short",
                "like_status", "notes", "is_archived", "upload_date", "published_date",
            ):  # fmt: skip
                assert episode[name] == row[name], (key, name)
            for name in ("archived_at", "created_at", "updated_at"):
                assert episode[name] == _iso(row[name]), (key, name)
            assert episode["partial_metadata"] == 0
        tag_names = {str(t["id"]): str(t["name"]) for t in fixture.tags[username]}
        links = _rows(
            world,
            "SELECT et.episode_id, t.name, et.created_at FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
            " WHERE t.user_id = ?",
            user["id"],
        )
        assert sorted((r["episode_id"], r["name"], r["created_at"]) for r in links) == sorted(
            (by_source[e], tag_names[t], _iso(at)) for e, t, at in fixture.tag_links[username]
        )
        events = _rows(world, "SELECT * FROM media_events WHERE user_id = ?", user["id"])
        assert sorted((r["source_id"], r["episode_id"], r["type"], r["title"], r["media_type"], r["created_at"]) for r in events) == sorted(
            (ev["id"], by_source[str(ev["episode_id"])], ev["event_type"], ev["title"], ev["type"], _iso(ev["created_at"]))
            for ev in fixture.events[username]
        )  # fmt: skip


@pytest.fixture
def fixture(tmp_path: Path) -> ReferenceFixture:
    return build_reference_db(tmp_path / "2watcharr.db")


def test_every_field_of_every_row_arrives_and_the_report_counts_it(
    lambda_world: LambdaWorld, fixture: ReferenceFixture
) -> None:
    # When the database is imported and the persister drains the queue
    sent = import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()

    # Then every row made it, and each user's report says what came
    assert sent.episodes == 100 and sent.orphan_events == 2
    assert_every_row_arrived(lambda_world, fixture)
    for username in ("admin", "ana"):
        report = import_report(_query(lambda_world), sent.import_ids[username])
        assert report is not None
        assert report.user_outcome == "created" and report.chunks == sent.chunks[username]
        assert (report.episodes_imported, report.episodes_merged) == (50, 0)
        assert (report.tags_imported, report.tags_merged) == (3, 0)
        assert report.tag_links == len(fixture.tag_links[username])
        assert report.events == len(fixture.events[username])
        assert report.skipped == []
    assert lambda_world.queue_depth("ResultsQueue") == 0


def test_importing_twice_changes_nothing(lambda_world: LambdaWorld, fixture: ReferenceFixture) -> None:
    import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()
    before = snapshot(lambda_world.database)

    import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()

    assert snapshot(lambda_world.database) == before


@pytest.mark.parametrize("k", [1, 2, 3])
def test_an_import_killed_half_way_then_run_again_ends_as_a_clean_one(
    lambda_world: LambdaWorld, fixture: ReferenceFixture, k: int
) -> None:
    # Given an importer killed after k messages, some of which the persister applied
    with pytest.raises(KeyboardInterrupt):
        import_reference_db(fixture.path, CrashingPublisher(lambda_world, k))
    lambda_world.run_persister()
    assert len(_rows(lambda_world, "SELECT id FROM episodes")) < 100

    # When it is run again to the end
    sent = import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()

    # Then every row is there once and the counts are those of one clean run
    assert_every_row_arrived(lambda_world, fixture)
    assert len(_rows(lambda_world, "SELECT id FROM episodes")) == 100
    for username in ("admin", "ana"):
        report = import_report(_query(lambda_world), sent.import_ids[username])
        assert report is not None and report.chunks == sent.chunks[username]
        assert (report.episodes_imported, report.episodes_merged, report.tags_imported) == (50, 0, 3)


def test_a_reference_token_authenticates_afterwards(
    lambda_world: LambdaWorld, fixture: ReferenceFixture
) -> None:
    import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()

    answer = ask(_query(lambda_world), Authenticate(token_hash=hash_token(fixture.tokens["ana"])))
    assert answer.found and answer.user is not None and answer.user.username == "ana"
    status, listing = lambda_world.call_api(
        "GET", "/api/episodes", token=fixture.tokens["ana"], query="limit=100"
    )
    assert status == 200
    on_list = [e for e in fixture.episodes["ana"] if not e["is_deleted"] and not e["is_archived"]]
    assert sorted(e["title"] for e in listing["episodes"]) == sorted(str(e["title"]) for e in on_list)


def test_an_existing_user_and_episode_are_merged_not_doubled(
    lambda_world: LambdaWorld, fixture: ReferenceFixture
) -> None:
    # Given "ana" already here with her own token and one of the reference's videos, with notes of hers
    token_here = create_user(lambda_world, "ana")
    (user,) = _rows(lambda_world, "SELECT id FROM users WHERE username = 'ana'")
    ref = next(
        e
        for e in fixture.episodes["ana"]
        if e["watch_status"] == "watched" and e["notes"] and e["type"] == "video"
    )
    media = MediaMetadata(
        media_key=f"youtube:{ref['external_id']}", type="video", title="Title here", url=str(ref["url"])
    )
    _publisher(lambda_world).send_results([EpisodeExtracted(user_id=user["id"], media=media)])
    lambda_world.run_persister()
    (here,) = _rows(lambda_world, "SELECT id FROM episodes")
    notes = EpisodeUpdated(
        command_id="0" * 32, user_id=user["id"], episode_id=here["id"], changes=EpisodeChanges(notes="mine")
    )
    _publisher(lambda_world).send_results([notes])
    lambda_world.run_persister()

    # When the reference database is imported
    sent = import_reference_db(fixture.path, _publisher(lambda_world))
    lambda_world.run_persister()

    # Then the episode is one row: her notes and title kept, the reference's watch state and dates taken
    rows = _rows(
        lambda_world,
        "SELECT * FROM episodes WHERE user_id = ? AND external_id = ?",
        user["id"],
        media.media_key,
    )
    assert len(rows) == 1
    merged = rows[0]
    assert (merged["notes"], merged["title"]) == ("mine", "Title here")
    assert (merged["watched"], merged["watch_status"], merged["priority"]) == (1, "watched", ref["priority"])
    assert merged["created_at"] == _iso(ref["created_at"])
    assert len(_rows(lambda_world, "SELECT id FROM episodes WHERE user_id = ?", user["id"])) == 50
    report = import_report(_query(lambda_world), sent.import_ids["ana"])
    assert report is not None and report.user_outcome == "merged"
    assert (report.episodes_imported, report.episodes_merged) == (49, 1)
    assert any("keeps its token here" in reason for reason in report.skipped)
    # Her token here still works; the reference one does not sign in as her
    query = _query(lambda_world)
    assert ask(query, Authenticate(token_hash=hash_token(token_here))).found
    assert not ask(query, Authenticate(token_hash=hash_token(fixture.tokens["ana"]))).found


def test_files_that_are_not_a_known_2watcharr_database_are_refused_and_change_nothing(
    lambda_world: LambdaWorld, tmp_path: Path
) -> None:
    create_user(lambda_world, "someone")
    before = snapshot(lambda_world.database)
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE things (id INTEGER)").connection.close()
    newer = tmp_path / "newer.db"
    create_reference_schema(newer, extra_migrations=("add_something_from_the_future",))

    for path, error, words in (
        (text, NotAReferenceDatabase, "not a SQLite database"),
        (other, NotAReferenceDatabase, "not a 2watcharr database"),
        (newer, UnknownReferenceSchema, "add_something_from_the_future"),
        (tmp_path / "missing.db", NotAReferenceDatabase, "does not exist"),
    ):
        with pytest.raises(error, match=words):
            import_reference_db(path, _publisher(lambda_world))
        with pytest.raises(ReferenceDbError):
            reference_import_messages(path, ReferenceImportSent())

    assert lambda_world.queue_depth("ResultsQueue") == 0
    lambda_world.run_persister()
    assert snapshot(lambda_world.database) == before
