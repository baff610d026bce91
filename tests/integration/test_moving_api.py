"""Moving in and out over HTTP: OPML import and export, a Takeout zip, the list's export — through the
ApiFunction's handler against moto, applied by the real persister and read back through the QueryFunction."""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import media
from tests.support.feed_server import FeedServer
from tests.support.lambda_env import LambdaWorld, create_user, http_event
from watcharr import limits
from watcharr.adapters.queues import QueuePublisher
from watcharr.domain.opml import parse_opml
from watcharr.local.context import LocalContext
from watcharr.models.messages import EpisodeExtracted, parse_result

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
TAKEOUT = "Takeout/YouTube and YouTube Music"
OPML = {"content-type": "text/x-opml"}
ZIP = {"content-type": "application/zip"}


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def _opml(urls: list[str]) -> str:
    outlines = "".join(f'<outline type="rss" text="Show {n}" xmlUrl="{url}" />' for n, url in enumerate(urls))
    return (
        '<?xml version="1.0" encoding="utf-8"?><opml version="1.0"><head><title>Feeds</title></head>'
        f'<body><outline text="feeds">{outlines}</outline></body></opml>'
    )


def takeout_zip(playlists: dict[str, list[str]], history: list[dict[str, Any]] | None = None) -> bytes:
    """A Takeout zip as Google writes it (2023 layout): one CSV per playlist, the history as JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in playlists.items():
            lines = "".join(f"{row},2023-08-12T09:41:27+00:00\n" for row in rows)
            archive.writestr(
                f"{TAKEOUT}/playlists/{name}-videos.csv",
                "Video ID,Playlist Video Creation Timestamp\n" + lines,
            )
        if history is not None:
            archive.writestr(f"{TAKEOUT}/history/watch-history.json", json.dumps(history))
    return buffer.getvalue()


def _watched(video_id: str) -> dict[str, Any]:
    return {
        "header": "YouTube",
        "title": f"Watched {video_id}",
        "titleUrl": f"https://www.youtube.com/watch?v={video_id}",
        "time": "2024-01-02T03:04:05.000Z",
    }


def call(world: LambdaWorld, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
    """The handler's raw answer (status, headers, body), for answers that are not JSON."""
    return world.function("api").handler(
        http_event(method, path, token=token, **kwargs), LocalContext("ApiFunction")
    )


def upload(
    world: LambdaWorld, path: str, token: str, data: bytes, headers: dict[str, str], query: str = ""
) -> tuple[int, dict[str, Any]]:
    """A file sent as API Gateway hands a binary body over: base64 in the event."""
    answer = world.function("api").handler(
        {
            **http_event("POST", path, token=token, headers=headers, query=query),
            "body": base64.b64encode(data).decode(),
            "isBase64Encoded": True,
        },
        LocalContext("ApiFunction"),
    )
    return answer["statusCode"], json.loads(answer["body"])


def nothing_queued(world: LambdaWorld) -> bool:
    return world.queue_depth("ExtractQueue") == world.queue_depth("ResultsQueue") == 0


def test_opml_import_subscribes_once_and_export_gives_the_feeds_back(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    # Given a user and an OPML file with two feeds, one of them twice
    token = create_user(lambda_world, "alice")
    urls = [
        feeds.put_feed(f"/{name}", (FEEDS / name).read_bytes())
        for name in ("libsyn-frank-and-erik.xml", "rtve-spanish-non-ascii.xml")
    ]

    # When it is posted as text/x-opml, and the pipeline runs
    status, body = lambda_world.call_api(
        "POST", "/api/podcasts/import", token=token, raw_body=_opml([*urls, urls[0]]), headers=OPML
    )
    lambda_world.run_pipeline()

    # Then both are subscriptions, synced; the repeat is counted
    assert status == 202, body
    assert body["subscribed"] == urls and body["duplicates"] == 1 and body["alreadyFollowed"] == []
    status, listed = lambda_world.call_api("GET", "/api/podcasts", token=token)
    assert sorted(p["feedUrl"] for p in listed["podcasts"]) == sorted(urls)
    assert all(p["lastStatus"] == "updated" for p in listed["podcasts"])

    # And posting it again (as application/xml) changes nothing
    status, again = lambda_world.call_api(
        "POST", "/api/podcasts/import", token=token, raw_body=_opml(urls),
        headers={"content-type": "application/xml; charset=utf-8"},
    )  # fmt: skip
    assert status == 202 and again["subscribed"] == [] and sorted(again["alreadyFollowed"]) == sorted(urls)

    # And the export is OPML 2.0 a podcast app reads, with both feeds and their titles
    answer = call(lambda_world, "GET", "/api/podcasts/export", token)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/x-opml; charset=utf-8"
    assert answer["headers"]["Content-Disposition"].startswith('attachment; filename="2watcharr-podcasts-')
    assert '<opml version="2.0">' in answer["body"]
    exported = parse_opml(answer["body"].encode())
    assert sorted(s.xml_url for s in exported.subscriptions) == sorted(urls)
    assert all(s.title for s in exported.subscriptions)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<opml><body><outline", "not well-formed XML"),
        ("<rss/>", "not OPML"),
        ('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
         "<opml><body><outline xmlUrl='&b;'/></body></opml>", "entities"),
    ],
    ids=["malformed", "not-opml", "entity-expansion"],
)  # fmt: skip
def test_bad_opml_is_refused_with_the_reason_and_sends_nothing(
    lambda_world: LambdaWorld, body: str, reason: str
) -> None:
    token = create_user(lambda_world, "alice")
    status, answer = lambda_world.call_api(
        "POST", "/api/podcasts/import", token=token, raw_body=body, headers=OPML
    )
    assert status == 422 and answer["success"] is False and reason in answer["error"], answer
    assert nothing_queued(lambda_world)


def test_opml_import_takes_only_xml_and_has_its_own_size_cap(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    status, answer = lambda_world.call_api("POST", "/api/podcasts/import", token=token, body={"feedUrl": "x"})
    assert status == 415 and "text/x-opml" in answer["error"]
    # Bigger than the JSON routes' limit (a long comment, as some apps write) yet within OPML's own:
    # read, not refused for its size.
    urls = ["https://example.org/one.xml", "https://example.org/two.xml"]
    big = _opml(urls).replace("<body>", f"<!-- {'exported by an app ' * 40_000} --><body>")
    assert len(big) > limits.MAX_BODY_BYTES
    status, answer = lambda_world.call_api(
        "POST", "/api/podcasts/import", token=token, raw_body=big, headers=OPML
    )
    assert status == 202 and answer["subscribed"] == urls, answer
    status, answer = lambda_world.call_api(
        "POST", "/api/podcasts/import", token=token, raw_body=big + " " * (2 * 1024 * 1024), headers=OPML
    )
    assert status == 413, answer


def test_takeout_zip_becomes_one_job_with_its_counts(lambda_world: LambdaWorld) -> None:
    # Given a Takeout with two playlists (one video in both, one malformed row) and a history
    token = create_user(lambda_world, "alice")
    data = takeout_zip(
        {"Watch later": ["aaaaaaaaaaa", "bbbbbbbbbbb", "not-an-id"], "Music": ["bbbbbbbbbbb", "ccccccccccc"]},
        [_watched("aaaaaaaaaaa"), _watched("ddddddddddd")],
    )

    # When it is uploaded with the history
    status, body = upload(lambda_world, "/api/import/takeout", token, data, ZIP, "history=true")

    # Then one job holds each video once, the counts say what was read and left out
    assert status == 202, body
    assert body["playlists"] == {"Watch later": 2, "Music": 2}
    assert body["videos"] == 3 and body["malformedRows"] == 1 and body["historyEntries"] == 2
    assert body["historyMarkMessages"] == 1  # ddddddddddd is not on the list nor in a playlist
    assert any("malformed" in problem for problem in body["problems"])
    lambda_world.run_persister()
    status, job = lambda_world.call_api("GET", f"/api/jobs/{body['jobId']}", token=token)
    assert status == 200 and len(job["items"]) == 3, job
    requests = [json.loads(m["Body"]) for m in lambda_world.receive("ExtractQueue")]
    assert requests and all(r["job_id"] == body["jobId"] for r in requests)


def test_takeout_add_history_adds_the_history_videos(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    data = takeout_zip({"Watch later": ["aaaaaaaaaaa"]}, [_watched("ddddddddddd")])
    status, body = upload(
        lambda_world, "/api/import/takeout", token, data, ZIP, "history=true&addHistory=true"
    )
    assert status == 202 and body["videos"] == 2 and body["historyMarkMessages"] == 0, body


@pytest.mark.parametrize(
    ("data", "headers", "expected", "words"),
    [
        (b"PK\x03\x04 not really a zip", ZIP, 422, "not a .zip"),
        (takeout_zip({}), ZIP, 422, "nothing to import"),
        (takeout_zip({"Watch later": ["aaaaaaaaaaa"]}), {"content-type": "application/json"}, 415, "application/zip"),
        (takeout_zip({"Watch later": ["aaaaaaaaaaa"]}), {"content-type": "application/zip", "content-encoding": "gzip"}, 415, "compressed"),
        (b"", ZIP, 400, "empty"),
    ],
    ids=["not-a-zip", "empty-takeout", "json-label", "gzip", "no-body"],
)  # fmt: skip
def test_bad_takeout_upload_is_refused_and_sends_nothing(
    lambda_world: LambdaWorld, data: bytes, headers: dict[str, str], expected: int, words: str
) -> None:
    token = create_user(lambda_world, "alice")
    status, body = upload(lambda_world, "/api/import/takeout", token, data, headers)
    assert status == expected and body["success"] is False and words in body["error"], body
    assert nothing_queued(lambda_world)


def test_takeout_zip_bomb_is_refused(lambda_world: LambdaWorld) -> None:
    # A playlist CSV of 64 MiB of one byte deflates to ~64 KiB: far past the compression ratio allowed.
    token = create_user(lambda_world, "alice")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"{TAKEOUT}/playlists/Bomb-videos.csv", b"Video ID,Time\n" + b"a" * (64 * 1024 * 1024)
        )
    status, body = upload(lambda_world, "/api/import/takeout", token, buffer.getvalue(), ZIP)
    assert status == 422 and body["error"].startswith("nothing imported"), body
    assert "/tmp" not in body["error"]
    assert nothing_queued(lambda_world)


def test_takeout_past_the_upload_limit_points_at_the_cli(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    status, body = upload(
        lambda_world, "/api/import/takeout", token, b"PK" + b"\0" * limits.MAX_TAKEOUT_UPLOAD_BYTES, ZIP
    )
    assert status == 413 and "watcharr import takeout" in body["error"], body
    assert nothing_queued(lambda_world)


def test_takeout_with_more_videos_than_one_answer_can_send_points_at_the_cli(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sending 3,000 extraction requests through moto takes as long as the API may; the cap is lowered
    # instead (the same check decides either way).
    token = create_user(lambda_world, "alice")
    monkeypatch.setattr(limits, "MAX_TAKEOUT_API_VIDEOS", 2)
    data = takeout_zip({"Watch later": ["aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"]})
    status, body = upload(lambda_world, "/api/import/takeout", token, data, ZIP)
    assert status == 413 and "holds 3 videos" in body["error"] and "watcharr import takeout" in body["error"]
    assert nothing_queued(lambda_world)
    monkeypatch.setattr(limits, "MAX_TAKEOUT_API_VIDEOS", 3)
    assert upload(lambda_world, "/api/import/takeout", token, data, ZIP)[0] == 202


def _seed(world: LambdaWorld, user_id: int, count: int) -> None:
    QueuePublisher(
        world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs
    ).send_results(
        [
            EpisodeExtracted(
                user_id=user_id,
                media=media(f"youtube:v{n:010d}", f"Video {n}"),
                tag="kept" if n == 0 else None,
            )
            for n in range(count)
        ]
    )
    world.run_persister()


def test_episode_export_gives_the_whole_list_as_json_or_csv(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    _seed(lambda_world, 1, 3)

    answer = call(lambda_world, "GET", "/api/episodes/export", token, query="format=json")
    assert answer["statusCode"] == 200, answer
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Content-Disposition"].endswith('.json"')
    document = json.loads(answer["body"])
    assert sorted(e["title"] for e in document["episodes"]) == ["Video 0", "Video 1", "Video 2"]
    tagged = next(e for e in document["episodes"] if e["title"] == "Video 0")
    assert [t["name"] for t in tagged["tags"]] == ["kept"] and tagged["watched"] is False

    answer = call(lambda_world, "GET", "/api/episodes/export", token, query="format=csv")
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(answer["body"])))
    assert len(rows) == 3 and next(r for r in rows if r["title"] == "Video 0")["tags"] == "kept"


def test_episode_export_past_the_answer_limit_is_a_413_pointing_at_the_cli(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Filling 6 MB of list through moto would take minutes; the limit is lowered to just under this
    # list's size instead (the same check decides either way).
    token = create_user(lambda_world, "alice")
    _seed(lambda_world, 1, 3)
    whole = call(lambda_world, "GET", "/api/episodes/export", token, query="format=json")["body"]
    monkeypatch.setattr(limits, "MAX_ANSWER_BYTES", len(json.dumps(whole)) - 10)
    status, body = lambda_world.call_api("GET", "/api/episodes/export", token=token, query="format=json")
    assert status == 413 and "watcharr export --format json" in body["error"], body
    monkeypatch.setattr(limits, "MAX_ANSWER_BYTES", len(json.dumps(whole)) + 10)
    assert lambda_world.call_api("GET", "/api/episodes/export", token=token, query="format=json")[0] == 200


def test_episode_export_refuses_an_unknown_format(lambda_world: LambdaWorld) -> None:
    token = create_user(lambda_world, "alice")
    status, body = lambda_world.call_api("GET", "/api/episodes/export", token=token, query="format=xlsx")
    assert status == 422 and "json" in body["error"], body
    assert [parse_result(m["Body"]) for m in lambda_world.receive("ResultsQueue")] == []
