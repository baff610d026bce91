"""Takeout playlists and history, OPML subscriptions and the export, through the queues and the real
persister, query and extractor handlers (moto; feeds from a local server)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.feed_server import FeedServer
from tests.support.lambda_env import LambdaWorld, create_user
from watcharr.adapters.queues import QueuePublisher
from watcharr.domain.opml import OpmlError
from watcharr.local.container import InProcessQueryClient
from watcharr.local.moto_clock import use_cheap_clock, use_moto_clock
from watcharr.logic.importing import export_list, import_opml, import_report, import_takeout
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import EpisodeChanges, EpisodeExtracted, EpisodeUpdated
from watcharr.models.queries import GetJob, ListSubscriptions, ask

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
PLAYLISTS = "Takeout/YouTube and YouTube Music/playlists"


def _publisher(world: LambdaWorld) -> QueuePublisher:
    return QueuePublisher(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)


def _query(world: LambdaWorld) -> InProcessQueryClient:
    return InProcessQueryClient(world.function("query").handler)


def _user_id(world: LambdaWorld, name: str) -> int:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0])
    finally:
        conn.close()


def _video_ids(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{n:07d}"[:11].ljust(11, "x") for n in range(count)]


def _write_takeout(root: Path, playlists: dict[str, list[str]], history: list[dict[str, Any]]) -> Path:
    folder = root / PLAYLISTS
    folder.mkdir(parents=True)
    for name, ids in playlists.items():
        rows = "".join(f"{vid},2023-08-12T09:41:27+00:00\n" for vid in ids)
        (folder / f"{name}-videos.csv").write_text("Video ID,Playlist Video Creation Timestamp\n" + rows)
    history_dir = root / "Takeout/YouTube and YouTube Music/history"
    history_dir.mkdir(parents=True)
    (history_dir / "watch-history.json").write_text(json.dumps(history))
    return root


def _watched(video_id: str, when: str) -> dict[str, Any]:
    return {
        "header": "YouTube",
        "title": f"Watched video {video_id}",
        "titleUrl": f"https://www.youtube.com/watch?v={video_id}",
        "time": when,
        "products": ["YouTube"],
    }


def _extracted(user_id: int, job_id: str, item_id: str, video_id: str) -> EpisodeExtracted:
    """What the extractor sends for a YouTube item; YouTube cannot be reached here, so it is built."""
    return EpisodeExtracted(
        user_id=user_id,
        job_id=job_id,
        item_id=item_id,
        media=MediaMetadata(
            media_key=f"youtube:{video_id}",
            type="video",
            title=f"Video {video_id}",
            url=f"https://www.youtube.com/watch?v={video_id}",
        ),
    )


def _listed(user_id: int, video_id: str, tag: str | None = None) -> EpisodeExtracted:
    """An episode already on the list, added before the import (no job)."""
    return _extracted(user_id, "", "", video_id).model_copy(
        update={"job_id": None, "item_id": None, "tag": tag}
    )


def _episode(world: LambdaWorld, user_id: int, video_id: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT * FROM episodes WHERE user_id = ? AND external_id = ?", (user_id, f"youtube:{video_id}")
        ).fetchall()
        assert len(rows) == 1, rows
        episode = dict(rows[0])
        episode["tags"] = sorted(
            r[0]
            for r in conn.execute(
                "SELECT t.name FROM episode_tags et JOIN tags t ON t.id = et.tag_id WHERE et.episode_id = ?",
                (episode["id"],),
            )
        )
        return episode
    finally:
        conn.close()


@pytest.fixture
def cheap_clock() -> Iterator[None]:
    """moto scans a queue's every message on each send with a costly clock; 2,002 queued requests
    would take minutes, so the test uses local mode's cheap clock (same behaviour)."""
    use_cheap_clock()
    yield
    use_moto_clock()


def test_takeout_playlists_become_one_job_with_a_tag_each_and_history_marks_watched(
    lambda_world: LambdaWorld, tmp_path: Path, cheap_clock: None
) -> None:
    # Given a user with two videos on the list (one a favourite), and a Takeout of two playlists:
    # "Watch later" with 2,000 videos, "Música de los 80" with three (one also in Watch later, one the
    # favourite) and a malformed row; a history with a playlist video, both listed videos, one on
    # neither, and an entry without a video link
    create_user(lambda_world, "alice")
    user_id = _user_id(lambda_world, "alice")
    later = _video_ids(2000, "wl")
    on_list, listed_only = "onthelist01", "listedonly1"
    music = [later[5], on_list, "musica00001"]
    publisher = _publisher(lambda_world)
    publisher.send_results([_listed(user_id, video_id) for video_id in (on_list, listed_only)])
    lambda_world.run_persister()
    favourite = EpisodeUpdated(
        command_id="1" * 32, user_id=user_id, episode_id=_episode(lambda_world, user_id, on_list)["id"],
        changes=EpisodeChanges(favorite=True),
    )  # fmt: skip
    publisher.send_results([favourite])
    lambda_world.run_persister()
    history = [
        _watched(later[7], "2024-03-01T10:00:00.000Z"),
        _watched(on_list, "2024-02-01T10:00:00.000Z"),
        _watched(listed_only, "2024-02-02T10:00:00.000Z"),
        _watched("nowhere0001", "2024-01-01T10:00:00.000Z"),
        {
            "header": "YouTube",
            "title": "Watched a video that has been removed",
            "time": "2024-01-01T09:00:00.000Z",
        },
    ]
    root = _write_takeout(tmp_path / "takeout", {"Watch later": later, "Música de los 80": music}, history)
    with (root / PLAYLISTS / "Música de los 80-videos.csv").open("a") as handle:
        handle.write("not-a-video-id,2023-08-12T09:41:27+00:00\n")

    # When it is imported with --history and the persister takes the job
    takeout = import_takeout(root, user_id, publisher, history=True)
    lambda_world.run_persister()

    # Then one job holds every distinct video, 2,002 of them, queued for the extractors
    assert takeout.plan is not None
    answer = ask(_query(lambda_world), GetJob(user_id=user_id, job_id=takeout.plan.job_id))
    assert answer.job is not None
    assert (answer.job.source, answer.job.total, answer.job.totals.queued) == ("import", 2002, 2002)
    assert lambda_world.queue_depth("ExtractQueue") == 2002
    assert takeout.playlists == {"Watch later": 2000, "Música de los 80": 3}
    assert any("1 malformed rows" in p for p in takeout.problems)
    assert any("1 entries without a video link" in p for p in takeout.problems)
    # and the history marked the listed video that is in no playlist; the one on neither is counted
    report = import_report(_query(lambda_world), takeout.import_id)
    assert report is not None and (report.watched_marked, report.not_on_list) == (1, 1)
    assert _episode(lambda_world, user_id, listed_only)["watch_status"] == "watched"
    assert _episode(lambda_world, user_id, on_list)["watch_status"] == "unwatched"

    # When the extractor's results for four of the items come in
    items = {item.url.rsplit("=", 1)[1]: item.id for item in answer.job.items}
    for video_id in (later[0], later[5], later[7], on_list):
        publisher.send_results([_extracted(user_id, takeout.plan.job_id, items[video_id], video_id)])
    lambda_world.run_persister()

    # Then each episode has a tag per playlist it is in; watched times land; the listed one keeps its state
    assert _episode(lambda_world, user_id, later[0])["tags"] == ["Watch later"]
    assert _episode(lambda_world, user_id, later[5])["tags"] == ["Música de los 80", "Watch later"]
    seen = _episode(lambda_world, user_id, later[7])
    assert (seen["watched"], seen["watch_status"], seen["updated_at"]) == (
        1,
        "watched",
        "2024-03-01T10:00:00.000Z",
    )
    listed = _episode(lambda_world, user_id, on_list)
    assert (listed["favorite"], listed["watch_status"], listed["tags"]) == (
        1,
        "watched",
        ["Música de los 80"],
    )
    job = ask(_query(lambda_world), GetJob(user_id=user_id, job_id=takeout.plan.job_id)).job
    assert job is not None and (job.totals.added, job.totals.restored, job.totals.queued) == (3, 1, 1998)


def test_takeout_add_history_adds_the_history_videos_to_the_job(
    lambda_world: LambdaWorld, tmp_path: Path
) -> None:
    create_user(lambda_world, "alice")
    user_id = _user_id(lambda_world, "alice")
    root = _write_takeout(
        tmp_path / "t", {"Mix": ["mixvideo001"]}, [_watched("histvideo01", "2024-01-01T00:00:00.000Z")]
    )

    takeout = import_takeout(root, user_id, _publisher(lambda_world), history=True, add_history=True)
    lambda_world.run_persister()

    assert takeout.plan is not None and takeout.history == []
    job = ask(_query(lambda_world), GetJob(user_id=user_id, job_id=takeout.plan.job_id)).job
    assert job is not None and sorted(i.url for i in job.items) == [
        "https://www.youtube.com/watch?v=histvideo01", "https://www.youtube.com/watch?v=mixvideo001",
    ]  # fmt: skip


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_opml_subscribes_to_every_feed_once_and_each_is_synced(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    # Given a user already following one feed, and a Pocket Casts OPML (nested) with it, two new ones and a repeat
    create_user(lambda_world, "alice")
    user_id = _user_id(lambda_world, "alice")
    urls = [
        feeds.put_feed(f"/{name}", (FEEDS / name).read_bytes())
        for name in (
            "libsyn-frank-and-erik.xml",
            "rtve-spanish-non-ascii.xml",
            "apple-sample-all-about-everything.xml",
        )
    ]
    query, publisher = _query(lambda_world), _publisher(lambda_world)
    first = import_opml(query, publisher, user_id, _opml([urls[0]]))
    lambda_world.run_pipeline()
    assert first.subscribed == [urls[0]]
    body = _opml([*urls, urls[1]])

    # When the OPML is imported and the pipeline runs
    result = import_opml(query, publisher, user_id, body)
    lambda_world.run_pipeline()

    # Then the two new feeds are subscriptions, synced as usual; the known one and the repeat are left alone
    assert result.subscribed == urls[1:] and result.already == [urls[0]] and result.duplicates == 1
    subs = ask(query, ListSubscriptions(user_id=user_id)).subscriptions
    assert sorted(s.feed_url for s in subs) == sorted(urls)
    assert all(s.last_status == "updated" and s.episode_count >= 1 for s in subs)


def test_malformed_or_dangerous_opml_is_refused_and_sends_nothing(lambda_world: LambdaWorld) -> None:
    create_user(lambda_world, "alice")
    user_id = _user_id(lambda_world, "alice")
    bomb = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><opml><body/></opml>'
    for body in (b"<opml><body><outline", bomb, b"<rss/>"):
        with pytest.raises(OpmlError):
            import_opml(_query(lambda_world), _publisher(lambda_world), user_id, body)
    assert lambda_world.queue_depth("ResultsQueue") == lambda_world.queue_depth("ExtractQueue") == 0


def _opml(urls: list[str]) -> bytes:
    outlines = "".join(f'<outline type="rss" text="Show {n}" xmlUrl="{url}" />' for n, url in enumerate(urls))
    return (
        '<?xml version="1.0" encoding="utf-8"?><opml version="1.0"><head><title>Pocket Casts Feeds</title></head>'
        f'<body><outline text="feeds">{outlines}</outline></body></opml>'
    ).encode()


def test_export_holds_the_whole_list_with_state_and_tags(
    lambda_world: LambdaWorld, cheap_clock: None
) -> None:
    # Given 205 episodes (more than one page), one archived, one in the bin, one tagged
    create_user(lambda_world, "alice")
    user_id = _user_id(lambda_world, "alice")
    publisher = _publisher(lambda_world)
    ids = _video_ids(205, "ex")
    publisher.send_results(
        [
            _extracted(user_id, "", "", v).model_copy(
                update={"job_id": None, "item_id": None, "tag": "=x" if v == ids[0] else None}
            )
            for v in ids
        ]
    )
    lambda_world.run_persister()
    first, second = (_episode(lambda_world, user_id, v)["id"] for v in ids[1:3])
    publisher.send_results([
        EpisodeUpdated(command_id="2" * 32, user_id=user_id, episode_id=first, changes=EpisodeChanges(is_archived=True)),
        EpisodeUpdated(command_id="3" * 32, user_id=user_id, episode_id=second, changes=EpisodeChanges(watched=True)),
    ])  # fmt: skip
    lambda_world.run_persister()

    # When it is exported as JSON and as CSV
    document = json.loads("".join(export_list(_query(lambda_world), user_id, "json")))
    rows = list(csv.DictReader(io.StringIO("".join(export_list(_query(lambda_world), user_id, "csv")))))

    # Then every episode is there once, with its state and tags
    assert len(document["episodes"]) == len(rows) == 205
    by_key = {e["externalId"]: e for e in document["episodes"]}
    assert by_key[f"youtube:{ids[1]}"]["isArchived"] is True
    assert by_key[f"youtube:{ids[2]}"]["watched"] is True
    assert [t["name"] for t in by_key[f"youtube:{ids[0]}"]["tags"]] == ["=x"]
    tagged = next(r for r in rows if r["externalId"] == f"youtube:{ids[0]}")
    assert tagged["tags"] == "'=x"
