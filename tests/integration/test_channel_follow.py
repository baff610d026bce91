"""Following YouTube channels end to end: POST /api/channels, the scheduled sync, Shorts, 304s,
unfollowing, readable failures, and the refresh that completes what a feed lacks.

The real handlers run against moto's queues and a real SQLite file; YouTube is
``FakeYouTubeChannels`` on 127.0.0.1 (channel pages, Atom feeds with ETag/304, the Data API), read
through the real guarded feed client and feedparser. yt-dlp's YoutubeIE is swapped for the stand-in
that reads the fake's player answers (tests/support/youtube_fakes.py), since YouTube is not reachable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.lambda_env import LambdaWorld, create_user
from tests.support.youtube_channel_fakes import FakeChannel, FakePlaylist, FakeUpload, FakeYouTubeChannels
from tests.support.youtube_fakes import FakeVideo, standin_youtube_extractor, youtube_settings_env
from watcharr.domain import youtube_channel_feed
from watcharr.local.context import LocalContext
from watcharr.logic import channel_sync
from watcharr.settings import get_settings

BLENDER_ID = "UCSMOQeBJ2RAnuFungnQOxLg"
HIDDEN_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
PLAYLIST_ID = "PLa1F2ddGya_-UvuAqHAksYnB0qL9yWDO6"
SHORT = "tJ51nR4-tLs"
BUNNY = "YE7VzlLtp-4"
SINTEL = "xTo79sPCVXA"
NEW = "aqz-KE-bpKQ"


def uploads() -> list[FakeUpload]:
    return [
        FakeUpload(SHORT, "A quick tip #shorts", published="2024-03-16T09:30:00+00:00", is_short=True),
        FakeUpload(BUNNY, "Big Buck Bunny", published="2024-03-15T10:00:00+00:00", views=987654),
        FakeUpload(SINTEL, "Sintel", published="2024-03-01T08:00:00+00:00", views=4321),
    ]


@pytest.fixture
def youtube(lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYouTubeChannels]:
    with FakeYouTubeChannels() as fake, standin_youtube_extractor(fake):
        blender = FakeChannel(
            BLENDER_ID,
            "Blender",
            "@BlenderOfficial",
            custom_name="BlenderFoundation",
            user_name="BlenderFoundation",
            uploads=uploads(),
        )
        fake.add_channel(blender)
        fake.add_channel(FakeChannel(HIDDEN_ID, "Hidden", "@NoIdHere", page_markers=frozenset()))
        fake.add_playlist(FakePlaylist(PLAYLIST_ID, "Open movies", blender, [SINTEL, BUNNY]))
        for name, value in youtube_settings_env(fake, with_key=False).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("WATCHARR_YOUTUBE_SITE_URL", fake.base_url)
        get_settings.cache_clear()
        yield fake
        get_settings.cache_clear()


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The channel feeds the extractor parsed: the real parse_channel_feed, counted."""
    calls: list[str] = []

    def counting(body: bytes, feed_url: str) -> youtube_channel_feed.ChannelFeed:
        calls.append(feed_url)
        return youtube_channel_feed.parse_channel_feed(body, feed_url)

    monkeypatch.setattr(channel_sync, "parse_channel_feed", counting)
    return calls


def follow(world: LambdaWorld, token: str, url: str, **body: Any) -> dict[str, Any]:
    status, answer = world.call_api("POST", "/api/channels", body={"url": url, **body}, token=token)
    assert status == 202, answer
    return answer


def followed(world: LambdaWorld, token: str) -> dict[str, dict[str, Any]]:
    status, answer = world.call_api("GET", "/api/channels", token=token)
    assert status == 200, answer
    return {c["id"]: c for c in answer["channels"]}


def episode_rows(world: LambdaWorld) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return {r["external_id"]: dict(r) for r in conn.execute("SELECT * FROM episodes ORDER BY id")}
    finally:
        conn.close()


def scheduled_sync(world: LambdaWorld) -> dict[str, Any]:
    """What EventBridge Scheduler does: invoke the PodcastSyncFunction, then the pipeline runs."""
    summary: dict[str, Any] = world.function("podcast_sync").handler({}, LocalContext("PodcastSyncFunction"))
    world.run_pipeline()
    return summary


@pytest.mark.parametrize(
    ("link", "kind", "looked_up"),
    [
        ("https://www.youtube.com/@BlenderOfficial", "youtube_channel", True),
        ("https://m.youtube.com/@BlenderOfficial/videos?si=Zx9", "youtube_channel", True),
        ("https://www.youtube.com/c/BlenderFoundation", "youtube_channel", True),
        ("https://www.youtube.com/user/BlenderFoundation/videos", "youtube_channel", True),
        (f"https://www.youtube.com/channel/{BLENDER_ID}", "youtube_channel", False),
        (f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}", "youtube_channel", False),
        (f"https://www.youtube.com/playlist?list={PLAYLIST_ID}", "youtube_playlist", False),
    ],
)
def test_every_link_form_follows_its_channel_or_playlist(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels, link: str, kind: str, looked_up: bool
) -> None:
    # Given a user
    token = create_user(lambda_world, "alice")

    # When they follow the link with a backfill of 2
    answer = follow(lambda_world, token, link, backfill=2, tag="blender")
    lambda_world.run_pipeline()

    # Then the subscription follows the feed on www.youtube.com, the page was read only when needed,
    # and the two newest uploads are on the list as partial videos with the tag
    expected_feed = (
        f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST_ID}"
        if kind == "youtube_playlist"
        else f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}"
    )
    assert answer["feedUrl"] == expected_feed
    pages = [r for r in youtube.requests if not r[0].startswith("/feeds/")]
    assert len(pages) == (1 if looked_up else 0)
    sub = followed(lambda_world, token)[answer["subscriptionId"]]
    assert (sub["kind"], sub["lastStatus"], sub["lastError"], sub["episodeCount"]) == (
        kind,
        "updated",
        None,
        2,
    )
    assert sub["title"] == ("Open movies" if kind == "youtube_playlist" else "Blender")
    rows = episode_rows(lambda_world)
    assert len(rows) == 2
    assert {r["type"] for r in rows.values()} == {"video"}
    assert {r["partial_metadata"] for r in rows.values()} == {1}
    status, listed = lambda_world.call_api("GET", "/api/episodes", token=token, query="tag=blender")
    assert status == 200 and len(listed["episodes"]) == 2


def test_a_second_sync_after_one_upload_adds_exactly_one_and_an_unchanged_feed_parses_nothing(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels, parse_calls: list[str]
) -> None:
    # Given a followed channel with a backfill of 1 (its newest upload, a Short, is included)
    token = create_user(lambda_world, "alice")
    sub_id = follow(lambda_world, token, "@BlenderOfficial", backfill=1)["subscriptionId"]
    lambda_world.run_pipeline()
    assert set(episode_rows(lambda_world)) == {f"youtube:{SHORT}"}
    assert len(parse_calls) == 1

    # When the schedule syncs and the feed has not changed
    assert scheduled_sync(lambda_world)["feedsQueued"] == 1

    # Then YouTube answered 304 to our validators, nothing was parsed and nothing was added
    last = youtube.feed_requests()[-1]
    assert last[1] == 304 and last[2] is not None
    assert len(parse_calls) == 1
    assert followed(lambda_world, token)[sub_id]["lastStatus"] == "unchanged"

    # When the channel publishes one new video and the schedule syncs again
    youtube.publish(BLENDER_ID, FakeUpload(NEW, "Charge", published="2024-03-20T12:00:00+00:00", views=5))
    scheduled_sync(lambda_world)

    # Then exactly that one is added, from the feed alone: none of the older unknown uploads
    rows = episode_rows(lambda_world)
    assert set(rows) == {f"youtube:{SHORT}", f"youtube:{NEW}"}
    new = rows[f"youtube:{NEW}"]
    assert (new["title"], new["view_count"], new["upload_date"]) == ("Charge", 5, "2024-03-20")
    assert (new["duration"], new["partial_metadata"], new["is_short"]) == (None, 1, 0)
    assert new["url"] == f"https://www.youtube.com/watch?v={NEW}"
    assert new["channel_id"] == BLENDER_ID
    assert len(parse_calls) == 2

    # And one more sync adds nothing
    scheduled_sync(lambda_world)
    assert len(episode_rows(lambda_world)) == 2


@pytest.mark.parametrize("include_shorts", [True, False])
def test_a_short_is_flagged_and_left_out_when_asked(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels, include_shorts: bool
) -> None:
    token = create_user(lambda_world, "alice")
    follow(
        lambda_world,
        token,
        f"https://www.youtube.com/channel/{BLENDER_ID}",
        backfill=15,
        includeShorts=include_shorts,
    )
    lambda_world.run_pipeline()

    rows = episode_rows(lambda_world)
    if include_shorts:
        assert set(rows) == {f"youtube:{SHORT}", f"youtube:{BUNNY}", f"youtube:{SINTEL}"}
        assert rows[f"youtube:{SHORT}"]["is_short"] == 1
        assert rows[f"youtube:{SHORT}"]["url"] == f"https://www.youtube.com/shorts/{SHORT}"
        assert rows[f"youtube:{BUNNY}"]["is_short"] == 0
    else:
        assert set(rows) == {f"youtube:{BUNNY}", f"youtube:{SINTEL}"}

    # A new Short later follows the same rule
    youtube.publish(
        BLENDER_ID,
        FakeUpload("Shrt1234567", "Another #shorts", published="2024-04-01T00:00:00+00:00", is_short=True),
    )
    scheduled_sync(lambda_world)
    assert ("youtube:Shrt1234567" in episode_rows(lambda_world)) is include_shorts


def test_unfollowing_stops_new_episodes_and_keeps_the_old_ones(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    # Given a followed channel with one episode on the list
    token = create_user(lambda_world, "alice")
    sub_id = follow(lambda_world, token, "@BlenderOfficial", backfill=1)["subscriptionId"]
    lambda_world.run_pipeline()

    # When the user stops following it, and the channel publishes a new video
    status, answer = lambda_world.call_api("DELETE", f"/api/channels/{sub_id}", token=token)
    assert (status, answer) == (200, {"success": True, "subscriptionId": sub_id})
    lambda_world.run_pipeline()
    youtube.publish(BLENDER_ID, FakeUpload(NEW, "Charge", published="2024-03-20T12:00:00+00:00"))
    summary = scheduled_sync(lambda_world)

    # Then the feed is not even fetched again, and the old episode stays
    assert summary["feedsQueued"] == 0
    assert followed(lambda_world, token) == {}
    assert set(episode_rows(lambda_world)) == {f"youtube:{SHORT}"}
    # And a second DELETE, or another user's, finds nothing
    assert lambda_world.call_api("DELETE", f"/api/channels/{sub_id}", token=token)[0] == 404


def test_a_channel_feed_given_to_the_podcasts_route_points_to_the_channels_route(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    token = create_user(lambda_world, "alice")
    feed = f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}"
    status, answer = lambda_world.call_api("POST", "/api/podcasts", body={"feedUrl": feed}, token=token)
    assert (status, answer["error"]) == (
        422, f"{feed} is a YouTube channel or playlist; follow it with POST /api/channels",
    )  # fmt: skip
    assert lambda_world.queue_depth("ResultsQueue") == 0


def test_channels_and_podcasts_are_listed_apart(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    token = create_user(lambda_world, "alice")
    sub_id = follow(lambda_world, token, "@BlenderOfficial", backfill=0)["subscriptionId"]
    lambda_world.run_pipeline()
    status, podcasts = lambda_world.call_api("GET", "/api/podcasts", token=token)
    assert (status, podcasts["podcasts"]) == (200, [])
    assert lambda_world.call_api("DELETE", f"/api/podcasts/{sub_id}", token=token)[0] == 404
    assert list(followed(lambda_world, token)) == [sub_id]
    bob = create_user(lambda_world, "bob")
    assert followed(lambda_world, bob) == {}
    assert lambda_world.call_api("DELETE", f"/api/channels/{sub_id}", token=bob)[0] == 404


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, "YouTube has no such channel (any more): its feed answers HTTP 404"),
        (500, "the channel's feed could not be read: HTTP 500"),
    ],
)
def test_a_feed_that_fails_ends_as_a_readable_last_error(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels, status: int, expected: str
) -> None:
    token = create_user(lambda_world, "alice")
    youtube.page_failures["/feeds/videos.xml"] = status
    sub_id = follow(lambda_world, token, f"https://www.youtube.com/channel/{BLENDER_ID}")["subscriptionId"]
    lambda_world.run_pipeline()

    sub = followed(lambda_world, token)[sub_id]
    assert sub["lastStatus"] == "failed"
    assert sub["lastError"].startswith(expected)
    if status == 500:
        # Retried first, and the reason says how often.
        assert "(tried 3 times)" in sub["lastError"]
        assert len(youtube.feed_requests()) == 3
    assert episode_rows(lambda_world) == {}

    # And once YouTube answers again, the next scheduled sync recovers: as for podcasts, a sync after
    # one that never read the feed takes every upload it has not seen
    youtube.page_failures.clear()
    scheduled_sync(lambda_world)
    sub = followed(lambda_world, token)[sub_id]
    assert (sub["lastStatus"], sub["lastError"], sub["episodeCount"]) == ("updated", None, 3)


def test_a_channel_id_youtube_does_not_know_ends_as_a_readable_last_error(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    token = create_user(lambda_world, "alice")
    sub_id = follow(lambda_world, token, "UCzzzzzzzzzzzzzzzzzzzzzz")["subscriptionId"]
    lambda_world.run_pipeline()
    sub = followed(lambda_world, token)[sub_id]
    assert (sub["lastStatus"], sub["lastError"]) == (
        "failed", "YouTube has no such channel (any more): its feed answers HTTP 404 Not Found",
    )  # fmt: skip


def test_a_channel_that_cannot_be_looked_up_is_refused_at_once(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    token = create_user(lambda_world, "alice")
    for link, reason in [
        ("@NoSuchChannel", "the channel @NoSuchChannel does not exist on YouTube (HTTP 404 Not Found)"),
        ("@NoIdHere", "the page has no channel id"),
        ("https://www.youtube.com/watch?v=YE7VzlLtp-4", "is a video, not a channel"),
    ]:
        status, answer = lambda_world.call_api("POST", "/api/channels", body={"url": link}, token=token)
        assert status == 422 and answer["success"] is False
        assert reason in answer["error"], answer
    lambda_world.run_pipeline()
    assert followed(lambda_world, token) == {}


def test_a_lookup_that_fails_for_now_is_tried_again_by_the_sync_and_a_page_without_an_id_is_reported(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    # Given channel pages answering 500 while the user follows two channels by handle
    token = create_user(lambda_world, "alice")
    youtube.page_failures["/@BlenderOfficial"] = 500
    youtube.page_failures["/@NoIdHere"] = 500
    blender = follow(lambda_world, token, "@BlenderOfficial", backfill=1)
    hidden = follow(lambda_world, token, "@NoIdHere", backfill=1)
    assert (blender["feedUrl"], blender["channelId"]) == ("https://www.youtube.com/@BlenderOfficial", None)
    lambda_world.run_pipeline()
    subs = followed(lambda_world, token)
    assert subs[blender["subscriptionId"]]["lastError"].startswith("could not read the page of the channel")

    # When the pages answer again and the schedule syncs
    youtube.page_failures.clear()
    scheduled_sync(lambda_world)

    # Then the one is looked up, moved to its feed and synced (every upload not seen yet, as after any
    # failed first sync); the other says why it cannot be
    subs = followed(lambda_world, token)
    found = subs[blender["subscriptionId"]]
    assert found["feedUrl"] == f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}"
    assert (found["lastStatus"], found["episodeCount"]) == ("updated", 3)
    lost = subs[hidden["subscriptionId"]]
    assert lost["lastStatus"] == "failed" and "the page has no channel id" in lost["lastError"]


def test_uploads_stored_from_the_feed_are_completed_by_the_scheduled_refresh(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    # Given a followed channel whose newest video is on the list from the feed alone
    token = create_user(lambda_world, "alice")
    follow(
        lambda_world, token, f"https://www.youtube.com/channel/{BLENDER_ID}", backfill=1, includeShorts=False
    )
    lambda_world.run_pipeline()
    before = episode_rows(lambda_world)[f"youtube:{BUNNY}"]
    assert (before["duration"], before["partial_metadata"]) == (None, 1)

    # When YouTube lets the extractor read the video and the schedule runs
    youtube.add(FakeVideo(BUNNY, "Big Buck Bunny"))
    scheduled_sync(lambda_world)

    # Then the episode is complete: same row, the duration yt-dlp read (the stand-in's 253 s), nothing added
    rows = episode_rows(lambda_world)
    after = rows[f"youtube:{BUNNY}"]
    assert (after["id"], after["duration"], after["partial_metadata"]) == (before["id"], 253, 0)
    assert len(rows) == 1


def test_a_channel_link_given_to_add_episode_points_to_the_channels_route(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels
) -> None:
    token = create_user(lambda_world, "alice")
    status, answer = lambda_world.call_api(
        "POST",
        "/api/shortcuts/add-episode",
        body={"url": "https://www.youtube.com/@BlenderOfficial"},
        token=token,
    )
    assert status == 422
    assert "is a channel page" in answer["error"] and "POST /api/channels" in answer["error"]


def test_with_a_key_a_handle_the_page_hides_is_looked_up_by_the_extractor(
    lambda_world: LambdaWorld, youtube: FakeYouTubeChannels, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Data API key (readable by the extractor alone) and YouTube's cookie consent wall on
    # every page, as the EU sees it
    monkeypatch.setenv("WATCHARR_YOUTUBE_API_KEY", youtube.api_key)
    get_settings.cache_clear()
    youtube.consent_wall = True
    token = create_user(lambda_world, "alice")

    # When the user follows a channel by its handle
    answer = follow(lambda_world, token, "https://www.youtube.com/@BlenderOfficial", backfill=1)
    assert (answer["feedUrl"], answer["channelId"]) == ("https://www.youtube.com/@BlenderOfficial", None)
    lambda_world.run_pipeline()

    # Then the first sync asked channels.list, moved the subscription to the channel's feed and synced it
    sub = followed(lambda_world, token)[answer["subscriptionId"]]
    assert sub["feedUrl"] == f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}"
    assert (sub["lastStatus"], sub["episodeCount"]) == ("updated", 1)
    assert youtube.hits["/youtube/v3/channels"] == 1
