"""The QueryFunction's answers against a real SQLite file the persister wrote: filters, sorts,
search, totals, tags, commands, jobs, isolation, and the typed answers over the JSON wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import AT, command_id, job, media, updated, user
from tests.support.db import snapshot
from watcharr.adapters.store import ReadStore, WriteStore, connect_reader, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.logic.queries import answer_query
from watcharr.models.media import ChannelInfo
from watcharr.models.messages import (
    EpisodeDeleted,
    EpisodeExtracted,
    ItemFailed,
    TagCreated,
)
from watcharr.models.queries import (
    QUERY,
    Authenticate,
    GetCommand,
    GetEpisode,
    GetJob,
    ListEpisodes,
    ListJobs,
    ListSubscriptions,
    ListTags,
    PartialEpisodes,
    Query,
    StaleItems,
    UserByName,
    ask,
)

ALICE, BOB = 1, 2
CHANNELS = {
    "talk": ChannelInfo(id="youtube:UCtalk", type="video", name="Deep Talks"),
    "music": ChannelInfo(id="youtube:UCmusic", type="video", name="Loud 100% Music"),
}


def at(minute: int) -> str:
    return f"2026-11-28T12:{minute:02d}:00.000Z"


def add(
    job_id: str, user_id: int, minute: int, key: str, title: str, channel: str, published: str | None
) -> Any:
    return EpisodeExtracted(
        at=at(minute),
        user_id=user_id,
        job_id=job_id,
        item_id=f"{job_id}-0000",
        media=media(f"youtube:{key * 11}", title, channel=CHANNELS[channel], upload_date=published),
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Alice: five episodes in several states and two tags; Bob: one episode, one tag, two jobs."""
    path = tmp_path_factory.mktemp("queries") / "watcharr.db"
    store = WriteStore(connect_writer(path))
    messages: list[Any] = [user("alice"), user("bob")]
    episodes = [
        ("a", "Rust in production", "talk", "2024-01-05"),  # 1
        ("b", "Never gonna give you up", "music", "2009-10-25"),  # 2
        ("c", "Python typing tips", "talk", None),  # 3
        ("d", "Jazz for work", "music", "2025-06-01"),  # 4
        ("e", "Old talk", "talk", "2020-01-01"),  # 5
    ]
    for n, (key, title, channel, published) in enumerate(episodes):
        messages += [job(f"j{n}", ALICE, ["u"]), add(f"j{n}", ALICE, n + 1, key, title, channel, published)]
    messages += [job("jb", BOB, ["u", "v"]), add("jb", BOB, 9, "f", "Bob's rust video", "talk", None)]
    messages += [
        ItemFailed(at=at(10), job_id="jb", item_id="jb-0001", reason="HTTP 404"),
        job("jq", BOB, ["w"]),  # its item is still on its way
        TagCreated(at=AT, command_id=command_id(1), user_id=ALICE, name="Later", color="#ff8800"),
        TagCreated(at=AT, command_id=command_id(2), user_id=ALICE, name="music"),
        TagCreated(at=AT, command_id=command_id(3), user_id=BOB, name="later"),
        updated(4, 1, favorite=True, priority="high", tag_ids=[1, 2]),
        updated(5, 2, watched=True, priority="low", tag_ids=[2]),
        updated(6, 3, watch_status="pending", priority="medium", tag_ids=[1]),
        updated(7, 4, is_archived=True, tag_ids=[1]),
        EpisodeDeleted(at=AT, command_id=command_id(8), user_id=ALICE, episode_id=5),
        updated(9, 6, user_id=BOB, favorite=True, tag_ids=[3]),
        updated(10, 6, user_id=BOB, tag_ids=[1]),  # Alice's tag: fails
    ]
    for message in messages:
        apply_result(store, message)
    store.conn.close()
    return path


@pytest.fixture(scope="module")
def read(db: Path) -> ReadStore:
    conn = connect_reader(db)
    assert conn is not None
    return ReadStore(conn)


def ids(read: ReadStore, **filters: Any) -> list[int]:
    answer = answer_query(read, ListEpisodes(user_id=filters.pop("user_id", ALICE), **filters))
    return [e.id for e in answer.episodes]


def test_the_default_list_hides_the_bin_and_the_archive_newest_first(read: ReadStore) -> None:
    answer = answer_query(read, ListEpisodes(user_id=ALICE))
    assert [e.id for e in answer.episodes] == [3, 2, 1]
    assert answer.total == 3


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"favorite": True}, [1]),
        ({"favorite": False}, [3, 2]),
        ({"priority": "medium"}, [3]),
        ({"watch_status": "pending"}, [3]),
        ({"watched": True}, [2]),
        ({"watched": False}, [3, 1]),
        ({"tag": "LATER"}, [3, 1]),
        ({"tag": "music"}, [2, 1]),
        ({"deleted": True}, [5]),
        ({"archived": True}, [4]),
        ({"archived": True, "tag": "later"}, [4]),
        ({"type": "podcast"}, []),
    ],
)
def test_each_filter(read: ReadStore, filters: dict[str, Any], expected: list[int]) -> None:
    assert ids(read, **filters) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("RUST", [1]),  # the title, whatever the case; Bob's rust video is his
        ("deep talks", [3, 1]),  # the channel's name
        ("100%", [2]),  # % is a character, not a wildcard
        ("%", [2]),
        ("_", []),
        ("gonna give", [2]),
    ],
)
def test_search_in_title_and_channel(read: ReadStore, search: str, expected: list[int]) -> None:
    assert ids(read, search=search) == expected


def test_sorts(read: ReadStore) -> None:
    assert ids(read, sort="added") == [3, 2, 1]
    # Undated episodes come last.
    assert ids(read, sort="published") == [1, 2, 3]
    assert ids(read, sort="priority") == [1, 3, 2]
    assert ids(read, sort="published", archived=True) == [4]


def test_total_counts_every_match_while_the_page_is_cut(read: ReadStore) -> None:
    answer = answer_query(read, ListEpisodes(user_id=ALICE, limit=1, offset=1))
    assert ([e.id for e in answer.episodes], answer.total) == ([2], 3)
    answer = answer_query(read, ListEpisodes(user_id=ALICE, search="talk", limit=1))
    assert ([e.id for e in answer.episodes], answer.total) == ([3], 2)


def test_each_episode_carries_its_state_and_tags(read: ReadStore) -> None:
    (first,) = [e for e in answer_query(read, ListEpisodes(user_id=ALICE)).episodes if e.id == 1]
    assert (first.favorite, first.priority, first.watch_status, first.like_status) == (
        True,
        "high",
        "unwatched",
        "none",
    )
    assert (first.is_archived, first.is_deleted, first.url) == (
        False,
        False,
        "https://www.youtube.com/watch?v=aaaaaaaaaaa",
    )
    assert first.tags == ["Later", "music"]
    assert [(t.id, t.name, t.color) for t in first.tag_details] == [
        (1, "Later", "#ff8800"),
        (2, "music", None),
    ]


def test_get_episode_is_scoped_to_its_owner(read: ReadStore) -> None:
    mine = answer_query(read, GetEpisode(user_id=ALICE, episode_id=5))
    assert mine.found and mine.episode is not None and mine.episode.is_deleted
    assert answer_query(read, GetEpisode(user_id=BOB, episode_id=5)).found is False
    assert answer_query(read, GetEpisode(user_id=ALICE, episode_id=99)).found is False


def test_users_only_list_their_own_episodes_and_tags(read: ReadStore) -> None:
    assert ids(read, user_id=BOB) == [6]
    assert ids(read, user_id=BOB, search="rust") == [6]
    bob_tags = answer_query(read, ListTags(user_id=BOB)).tags
    assert [(t.name, t.episode_count) for t in bob_tags] == [("later", 1)]


def test_list_tags_counts_the_episodes_not_in_the_bin(read: ReadStore) -> None:
    tags = answer_query(read, ListTags(user_id=ALICE)).tags
    # "Later" is on 1, 3 and the archived 4; "music" on 1 and 2.
    assert [(t.id, t.name, t.color, t.episode_count) for t in tags] == [
        (1, "Later", "#ff8800", 3),
        (2, "music", None, 2),
    ]


def test_get_command_shows_the_outcome_to_its_owner_only(read: ReadStore) -> None:
    applied = answer_query(read, GetCommand(user_id=ALICE, command_id=command_id(1)))
    assert applied.command is not None
    assert (applied.command.state, applied.command.tag_id, applied.command.type) == (
        "applied",
        1,
        "TagCreated",
    )
    failed = answer_query(read, GetCommand(user_id=BOB, command_id=command_id(10)))
    assert failed.command is not None
    assert (failed.command.state, failed.command.reason) == ("failed", "no such tag: 1")
    assert answer_query(read, GetCommand(user_id=BOB, command_id=command_id(1))).found is False
    assert answer_query(read, GetCommand(user_id=ALICE, command_id=command_id(99))).found is False


def test_list_jobs_newest_first_with_totals(read: ReadStore) -> None:
    answer = answer_query(read, ListJobs(user_id=ALICE, limit=2))
    assert answer.total == 5
    assert [j.job_id for j in answer.jobs] == ["j4", "j3"]
    assert (answer.jobs[0].totals.added, answer.jobs[0].status) == (1, "done")
    queued, done = answer_query(read, ListJobs(user_id=BOB)).jobs
    assert (queued.job_id, queued.status, queued.totals.queued) == ("jq", "running", 1)
    assert (done.job_id, done.total, done.totals.added, done.totals.failed) == ("jb", 2, 1, 1)


def every_query() -> list[Query]:
    return [
        Authenticate(token_hash=b"alice".hex().ljust(64, "0")),
        UserByName(username="bob"),
        GetJob(user_id=BOB, job_id="jb"),
        ListJobs(user_id=ALICE),
        ListEpisodes(user_id=ALICE, search="x"),
        GetEpisode(user_id=ALICE, episode_id=1),
        ListTags(user_id=ALICE),
        GetCommand(user_id=ALICE, command_id=command_id(4)),
        ListSubscriptions(include_seen_keys=True),
        StaleItems(updated_before="2099-01-01T00:00:00.000Z"),
        PartialEpisodes(created_after="2000-01-01T00:00:00.000Z"),
    ]


def test_queries_never_write(db: Path, read: ReadStore) -> None:
    before = snapshot(db)
    for query in every_query():
        answer_query(read, query)
    assert snapshot(db) == before
    with pytest.raises(Exception, match=r"readonly|read-only"):
        read.conn.execute("DELETE FROM episodes")


def test_typed_answers_over_the_json_wire(read: ReadStore) -> None:
    def client(query: Query) -> dict[str, Any]:
        # As lambda:Invoke carries them: the query and the answer as JSON.
        parsed = QUERY.validate_json(query.model_dump_json())
        return json.loads(json.dumps(answer_query(read, parsed).wire()))

    job_answer = ask(client, GetJob(user_id=BOB, job_id="jb"))
    assert job_answer.job is not None and job_answer.job.totals.failed == 1
    episode = ask(client, GetEpisode(user_id=ALICE, episode_id=3)).episode
    assert episode is not None and episode.watch_status == "pending"
    for query in every_query():
        assert type(ask(client, query)) is query.answer_model


def test_the_wire_keeps_the_keys_callers_already_read(read: ReadStore) -> None:
    job_wire = answer_query(read, GetJob(user_id=BOB, job_id="jb")).wire()
    assert {
        "jobId",
        "source",
        "createdAt",
        "updatedAt",
        "status",
        "total",
        "done",
        "leftOut",
        "totals",
        "items",
    } <= set(job_wire["job"])
    assert set(job_wire["job"]["items"][0]) == {
        "id", "url", "kind", "state", "title", "reason", "attempts", "parentId", "episodeId", "type", "channel",
        "mediaKey", "tag", "retries",
    }  # fmt: skip
    assert job_wire["job"]["totals"] == {"queued": 0, "expanded": 0, "added": 1, "restored": 0, "failed": 1}
    (episode,) = answer_query(read, ListEpisodes(user_id=BOB)).wire()["episodes"]
    old_keys = {
        "id", "type", "externalId", "title", "description", "duration", "thumbnailUrl", "url", "uploadDate",
        "publishedDate", "viewCount", "watched", "watchStatus", "favorite", "isShort", "partialMetadata", "tags",
        "channel", "createdAt", "updatedAt",
    }  # fmt: skip
    assert old_keys <= set(episode)
    assert episode["tags"] == ["later"]
    assert episode["channel"] == {"id": "youtube:UCtalk", "name": "Deep Talks", "url": None}
    auth = answer_query(read, Authenticate(token_hash=b"bob".hex().ljust(64, "0"))).wire()
    assert auth["user"] == {"id": 2, "username": "bob", "tokenHash": b"bob".hex().ljust(64, "0")}
    assert answer_query(read, UserByName(username="bob")).wire() == {
        "found": True,
        "user": {"id": 2, "username": "bob"},
    }
    (stale,) = answer_query(read, StaleItems(updated_before="2099-01-01T00:00:00.000Z")).wire()["items"]
    assert set(stale) == {"id", "job_id", "url", "kind", "media_key", "tag", "requeues", "user_id", "retries"}
    subs = answer_query(read, ListSubscriptions(user_id=ALICE)).wire()
    assert subs == {"subscriptions": []}


def test_a_database_not_yet_created_answers_empty() -> None:
    for query in every_query():
        answer = answer_query(None, query).wire()
        assert answer.get("found", False) is False
        assert all(value in ([], 0, None, False) for value in answer.values())
