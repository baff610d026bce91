"""Podcasts end to end: subscribe, scheduled sync with conditional GETs, broken feeds, Apple Podcasts
show and episode links, unsubscribe. The real handlers run against moto's queues, feeds come from a
local FeedServer (the real fixture files), and Apple's lookup API is a local fake (no internet here)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import AT, user
from tests.support.db import snapshot
from tests.support.feed_server import FeedServer
from tests.support.itunes_fake import ItunesFake, episodes_from_feed
from tests.support.lambda_env import LambdaWorld, create_user
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.domain import feeds as feeds_domain
from watcharr.local.context import LocalContext
from watcharr.logic import podcast_sync
from watcharr.logic.persist import apply_result
from watcharr.models.messages import FeedEpisodesExtracted, SubscriptionAdded
from watcharr.settings import get_settings

FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feeds"
APPLE_SAMPLE = "apple-sample-all-about-everything.xml"
GIANT = "giantbomb-bombcast-730-items.xml"
# Item counts from SOURCES.md beside the feeds.
EXPECTED_COUNTS = {
    "apple-sample-all-about-everything.xml": 3,
    "libsyn-frank-and-erik.xml": 6,
    "simplecast-design-details-html.xml": 102,
    "simplecast-serial-bonus-episodes.xml": 40,
    "podcasting20-namespace-example.xml": 3,
    "atom-podlove-chapters-sample.xml": 1,
    "se-radio-missing-guids.xml": 249,
    "giantbomb-bombcast-730-items.xml": 730,
    "rtve-spanish-non-ascii.xml": 6,
    "taverncast-odd-dates-leading-blankline.xml": 131,
    "libsyn-all-things-chemical-broken.xml": 4,
}
NEW_ITEM = (
    b"<item><title>Brand New Episode</title><guid>brand-new-1</guid>"
    b"<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate>"
    b'<enclosure url="http://example.com/podcasts/everything/brand-new.mp3" length="1" type="audio/mpeg"/>'
    b"</item>"
)


def feed_bytes(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def itunes(monkeypatch: pytest.MonkeyPatch, lambda_world: LambdaWorld) -> Iterator[ItunesFake]:
    with ItunesFake() as fake:
        monkeypatch.setenv("WATCHARR_ITUNES_LOOKUP_URL", fake.lookup_url)
        get_settings.cache_clear()
        yield fake
        get_settings.cache_clear()


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The feed URLs the extractor parsed: the real parse_feed, counted."""
    calls: list[str] = []

    def counting(body: bytes, feed_url: str) -> feeds_domain.ParsedFeed:
        calls.append(feed_url)
        return feeds_domain.parse_feed(body, feed_url)

    monkeypatch.setattr(podcast_sync, "parse_feed", counting)
    return calls


def subscribe(world: LambdaWorld, token: str, feed_url: str, **body: Any) -> str:
    status, answer = world.call_api("POST", "/api/podcasts", body={"feedUrl": feed_url, **body}, token=token)
    assert status == 202, answer
    return str(answer["subscriptionId"])


def podcasts(world: LambdaWorld, token: str) -> dict[str, dict[str, Any]]:
    status, answer = world.call_api("GET", "/api/podcasts", token=token)
    assert status == 200, answer
    return {p["id"]: p for p in answer["podcasts"]}


def episode_rows(world: LambdaWorld, user: str = "alice") -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{world.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT e.* FROM episodes e JOIN users u ON u.id = e.user_id WHERE u.username = ? ORDER BY e.id",
            (user,),
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        conn.close()


def scheduled_sync(world: LambdaWorld, event: Any = None) -> dict[str, Any]:
    """What EventBridge Scheduler does: invoke the PodcastSyncFunction, then the pipeline runs."""
    summary = world.function("podcast_sync").handler(
        {} if event is None else event, LocalContext("PodcastSyncFunction")
    )
    world.run_pipeline()
    return summary


def test_subscribe_sync_unchanged_then_exactly_one_new(
    lambda_world: LambdaWorld, feeds: FeedServer, parse_calls: list[str]
) -> None:
    # Given a served feed of 3 episodes and a subscription with the default backfill (the newest one)
    token = create_user(lambda_world, "alice")
    url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    sub_id = subscribe(lambda_world, token, url, tag="pods")
    lambda_world.run_pipeline()
    sub = podcasts(lambda_world, token)[sub_id]
    assert (sub["title"], sub["lastStatus"], sub["episodeCount"]) == ("All About Everything", "updated", 1)
    assert sub["lastSyncAt"] is not None and sub["tag"] == "pods"
    assert [e["title"] for e in episode_rows(lambda_world)] == ["Shake Shake Shake Your Spices"]
    assert len(parse_calls) == 1

    # When the schedule syncs again and the feed has not changed
    summary = scheduled_sync(lambda_world)

    # Then the server answered 304 to our validators, nothing was parsed and nothing was added
    assert summary["feedsQueued"] == 1
    feeds.wait_idle()
    last = feeds.requests_for("/everything.xml")[-1]
    assert last.status == 304 and last.if_none_match is not None
    assert len(parse_calls) == 1
    assert podcasts(lambda_world, token)[sub_id]["lastStatus"] == "unchanged"
    assert len(episode_rows(lambda_world)) == 1

    # When the publisher adds one item and the schedule syncs again
    feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE).replace(b"<item>", NEW_ITEM + b"<item>", 1))
    scheduled_sync(lambda_world)

    # Then exactly that episode is new: the older ones that were not backfilled stay out
    titles = [e["title"] for e in episode_rows(lambda_world)]
    assert titles == ["Shake Shake Shake Your Spices", "Brand New Episode"]
    sub = podcasts(lambda_world, token)[sub_id]
    assert (sub["lastStatus"], sub["episodeCount"]) == ("updated", 2)
    assert feeds.requests_for("/everything.xml")[-1].status == 200


def test_a_subscriptions_first_sync_is_a_job_that_can_be_followed(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    # Given a served feed of 3 episodes and a web page that is no feed
    token = create_user(lambda_world, "alice")
    good = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    page = feeds.put_raw("/page.xml", b"<!DOCTYPE html><html><body>no</body></html>",
                         headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    # When alice subscribes to both with a backfill of 2
    answers = [
        lambda_world.call_api("POST", "/api/podcasts", body={"feedUrl": u, "backfill": 2}, token=token)[1]
        for u in (good, page)
    ]
    lambda_world.run_persister()
    # Then each answer names a job whose one item waits for the first sync
    first = lambda_world.call_api("GET", f"/api/jobs/{answers[0]['jobId']}", token=token)[1]
    assert (first["source"], first["status"], [i["state"] for i in first["items"]]) == (
        "subscribe", "running", ["queued"],
    )  # fmt: skip
    # When the first syncs run, the good feed's item ends added with its count, the page's failed
    lambda_world.run_pipeline()
    jobs = [lambda_world.call_api("GET", f"/api/jobs/{a['jobId']}", token=token)[1] for a in answers]
    assert [j["status"] for j in jobs] == ["done", "done"]
    (added,), (failed,) = jobs[0]["items"], jobs[1]["items"]
    assert (added["state"], added["title"], added["reason"]) == (
        "added",
        "All About Everything",
        "2 episodes added",
    )
    assert failed["state"] == "failed" and "HTML page" in failed["reason"]
    assert len(episode_rows(lambda_world)) == 2
    # And a later sync leaves the finished job as it is
    scheduled_sync(lambda_world)
    again = lambda_world.call_api("GET", f"/api/jobs/{answers[0]['jobId']}", token=token)[1]
    assert again["items"] == jobs[0]["items"]

    # When the page becomes a feed and alice retries the failed first sync
    feeds.put_feed("/page.xml", feed_bytes(APPLE_SAMPLE))
    status, retried = lambda_world.call_api("POST", f"/api/jobs/{answers[1]['jobId']}/retry", token=token)
    assert status == 202, retried
    lambda_world.run_pipeline()
    # Then it is synced as the scheduled sync would have done (nothing was seen yet) and the item ends
    (item,) = lambda_world.call_api("GET", f"/api/jobs/{answers[1]['jobId']}", token=token)[1]["items"]
    assert (item["state"], item["reason"]) == ("added", "3 episodes added")
    assert podcasts(lambda_world, token)[answers[1]["subscriptionId"]]["lastStatus"] == "updated"


def test_broken_feeds_fail_readably_and_leave_the_others_alone(
    lambda_world: LambdaWorld, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a good feed and three bad ones: one too slow, one of 20 MB, one that is a web page
    monkeypatch.setenv("WATCHARR_FEED_TIMEOUT", "1")
    get_settings.cache_clear()
    token = create_user(lambda_world, "alice")
    good = subscribe(
        lambda_world, token, feeds.put_feed("/good.xml", feed_bytes("libsyn-frank-and-erik.xml"))
    )
    slow = subscribe(
        lambda_world, token, feeds.put_slow("/slow.xml", feed_bytes(APPLE_SAMPLE), first_byte_delay=2)
    )
    huge = subscribe(lambda_world, token, feeds.put_stream("/huge.xml", 20 * 1024 * 1024))
    page = b"<!DOCTYPE html><html><head><title>Moved</title></head><body>Not a feed</body></html>"
    html = subscribe(
        lambda_world,
        token,
        feeds.put_raw("/page.xml", page, headers={"Content-Type": "text/html; charset=utf-8"}),
        backfill="all",
    )

    # When the first syncs run (the slow one is retried as SQS would, then given up)
    lambda_world.run_pipeline()

    # Then each bad subscription says why, and the good one synced as usual
    subs = podcasts(lambda_world, token)
    assert (subs[good]["lastStatus"], subs[good]["episodeCount"]) == ("updated", 1)
    assert subs[good]["lastError"] is None
    assert subs[slow]["lastStatus"] == "failed" and "timed out" in subs[slow]["lastError"]
    assert subs[huge]["lastStatus"] == "failed" and "larger than 15 MB" in subs[huge]["lastError"]
    assert subs[html]["lastStatus"] == "failed" and "HTML page" in subs[html]["lastError"]
    assert all(subs[s]["episodeCount"] == 0 for s in (slow, huge, html))
    # The slow feed was tried once per allowed receive (3 in these tests), not forever
    feeds.wait_idle()
    assert len(feeds.requests_for("/slow.xml")) == 3
    assert lambda_world.queue_depth("ExtractQueue") == lambda_world.queue_depth("ExtractDLQ") == 0


def test_broken_xml_yields_what_can_be_read_or_a_reason(lambda_world: LambdaWorld, feeds: FeedServer) -> None:
    # Given a feed missing its <channel> tag, and one with a stray end tag that feedparser trips over
    token = create_user(lambda_world, "alice")
    url = feeds.put_feed("/broken.xml", feed_bytes("libsyn-all-things-chemical-broken.xml"))
    broken = subscribe(lambda_world, token, url, backfill="all")
    stray = feed_bytes(APPLE_SAMPLE).replace(b"<item>", b"</width><item>", 1)
    tripping = subscribe(lambda_world, token, feeds.put_feed("/stray.xml", stray), backfill="all")
    lambda_world.run_pipeline()

    # Then the first gives the episodes that can be read, the second a reason, and nothing crashed
    subs = podcasts(lambda_world, token)
    assert (subs[broken]["lastStatus"], subs[broken]["episodeCount"]) == ("updated", 4)
    assert subs[tripping]["lastStatus"] == "failed"
    assert subs[tripping]["lastError"].endswith(
        "is too damaged to read (the feed parser failed with TypeError)"
    )
    assert lambda_world.queue_depth("ExtractDLQ") == 0


def test_redirected_feed_is_followed_and_a_loop_is_not(lambda_world: LambdaWorld, feeds: FeedServer) -> None:
    # Given a feed that moved (301, then 302) and one that redirects to itself
    token = create_user(lambda_world, "alice")
    feeds.put_feed("/new.xml", feed_bytes(APPLE_SAMPLE))
    feeds.put_redirect("/middle.xml", "/new.xml")
    moved = subscribe(lambda_world, token, feeds.put_redirect("/old.xml", "/middle.xml", status=301))
    loop = subscribe(lambda_world, token, feeds.put_redirect("/loop.xml", "/loop.xml"))
    lambda_world.run_pipeline()

    # Then the moved feed is read at its new place, still under the URL the user subscribed to
    subs = podcasts(lambda_world, token)
    assert (subs[moved]["lastStatus"], subs[moved]["episodeCount"]) == ("updated", 1)
    assert subs[moved]["feedUrl"] == feeds.url("/old.xml")
    assert subs[loop]["lastStatus"] == "failed" and "too many redirects" in subs[loop]["lastError"]

    # And the next sync follows the hops again, conditionally
    scheduled_sync(lambda_world)
    feeds.wait_idle()
    last = feeds.requests_for("/new.xml")[-1]
    assert last.status == 304 and last.if_none_match is not None


def test_backfill_all_of_730_items_without_duplicates(lambda_world: LambdaWorld, feeds: FeedServer) -> None:
    # Given the large feed, subscribed with backfill "all"
    token = create_user(lambda_world, "alice")
    url = feeds.put_feed("/bombcast.xml", feed_bytes(GIANT))
    sub_id = subscribe(lambda_world, token, url, backfill="all")
    lambda_world.run_pipeline()

    # Then all 730 episodes are on the list, once each, and a second sync adds none
    rows = episode_rows(lambda_world)
    assert len(rows) == 730
    assert len({r["external_id"] for r in rows}) == 730
    assert podcasts(lambda_world, token)[sub_id]["episodeCount"] == 730
    scheduled_sync(lambda_world)
    assert len(episode_rows(lambda_world)) == 730


def test_a_batch_of_feed_episodes_applied_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "watcharr.db"
    parsed = feeds_domain.parse_feed(feed_bytes(APPLE_SAMPLE), "http://f/x.xml")
    batch = FeedEpisodesExtracted(
        at=AT, user_id=1, subscription_id="s1", episodes=[e.media for e in parsed.episodes], tag="pods"
    )
    with closing(connect_writer(path)) as conn:
        # Given the writer's database with a user, a subscription and one sync's batch applied
        store = WriteStore(conn)
        apply_result(store, user("alice"))
        apply_result(
            store, SubscriptionAdded(at=AT, subscription_id="s1", user_id=1, feed_url="http://f/x.xml")
        )
        assert apply_result(store, batch) == "applied"
        before = snapshot(path)

        # When SQS delivers it again, and a later sync sends the same episodes once more
        assert apply_result(store, batch) == "duplicate"
        assert snapshot(path) == before
        assert apply_result(store, batch.model_copy(update={"at": "2026-11-29T12:00:00.000Z"})) == "applied"

    # Then the episodes are there once each, still tagged
    after = snapshot(path)
    assert len(after["episodes"]) == 3 and len(after["episode_tags"]) == 3


def test_every_fixture_feed_subscribes_and_syncs_with_its_item_count(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    token = create_user(lambda_world, "alice")
    ids = {
        name: subscribe(lambda_world, token, feeds.put_feed(f"/{name}", feed_bytes(name)), backfill="all")
        for name in EXPECTED_COUNTS
    }
    lambda_world.run_pipeline()
    subs = podcasts(lambda_world, token)
    counts = {name: subs[sub_id]["episodeCount"] for name, sub_id in ids.items()}
    assert counts == EXPECTED_COUNTS
    assert {subs[sub_id]["lastStatus"] for sub_id in ids.values()} == {"updated"}
    assert len(episode_rows(lambda_world)) == sum(EXPECTED_COUNTS.values())

    # A scheduled sync of all eleven finds nothing new
    summary = scheduled_sync(lambda_world)
    assert summary["feedsQueued"] == len(EXPECTED_COUNTS)
    assert len(episode_rows(lambda_world)) == sum(EXPECTED_COUNTS.values())


def test_apple_show_link_moves_the_subscription_to_its_feed(
    lambda_world: LambdaWorld, feeds: FeedServer, itunes: ItunesFake
) -> None:
    # Given a show that Apple's lookup knows, with its feed on the feed server
    token = create_user(lambda_world, "alice")
    feed_url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    itunes.add_show(1001, title="All About Everything", feed_url=feed_url)

    # When the user subscribes with the show's Apple Podcasts link
    sub_id = subscribe(
        lambda_world, token, "Listen: https://podcasts.apple.com/us/podcast/all-about-everything/id1001?uo=4"
    )
    lambda_world.run_pipeline()

    # Then the subscription follows the feed itself, with the feed's title and newest episode
    sub = podcasts(lambda_world, token)[sub_id]
    assert (sub["feedUrl"], sub["title"], sub["episodeCount"]) == (feed_url, "All About Everything", 1)
    assert itunes.requests == [{"id": "1001", "country": "us"}]

    # And later syncs go to the feed directly, conditionally, without asking Apple again
    scheduled_sync(lambda_world)
    feeds.wait_idle()
    assert feeds.requests_for("/everything.xml")[-1].status == 304
    assert len(itunes.requests) == 1

    # And subscribing to the feed URL itself names the same subscription
    assert subscribe(lambda_world, token, feed_url) == sub_id


def test_resubscribing_by_feed_url_after_leaving_a_moved_apple_subscription(
    lambda_world: LambdaWorld, feeds: FeedServer, itunes: ItunesFake
) -> None:
    # Given a subscription made from an Apple link (so moved to the feed URL), then left
    token = create_user(lambda_world, "alice")
    feed_url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    itunes.add_show(1001, title="All About Everything", feed_url=feed_url)
    apple_sub = subscribe(lambda_world, token, "https://podcasts.apple.com/podcast/id1001")
    lambda_world.run_pipeline()
    lambda_world.call_api("DELETE", f"/api/podcasts/{apple_sub}", token=token)
    lambda_world.run_pipeline()
    assert podcasts(lambda_world, token) == {}

    # When the user subscribes again with the feed URL itself
    subscribe(lambda_world, token, feed_url, backfill="all")
    lambda_world.run_pipeline()

    # Then the writer brings the old subscription back rather than failing on the duplicate feed URL
    subs = podcasts(lambda_world, token)
    assert list(subs) == [apple_sub] and subs[apple_sub]["feedUrl"] == feed_url
    assert lambda_world.queue_depth("ResultsDLQ") == 0
    assert scheduled_sync(lambda_world)["feedsQueued"] == 1


def test_apple_show_without_public_feed_fails_readably(lambda_world: LambdaWorld, itunes: ItunesFake) -> None:
    token = create_user(lambda_world, "alice")
    itunes.add_show(1002, title="Subscribers Only", feed_url=None)
    sub_id = subscribe(lambda_world, token, "https://podcasts.apple.com/podcast/id1002")
    unknown = subscribe(lambda_world, token, "https://podcasts.apple.com/podcast/id9999")
    lambda_world.run_pipeline()
    subs = podcasts(lambda_world, token)
    assert subs[sub_id]["lastStatus"] == "failed"
    assert "no public feed for “Subscribers Only”" in subs[sub_id]["lastError"]
    assert subs[unknown]["lastError"] == "Apple Podcasts knows no show with id 9999"


@pytest.fixture
def bombcast(feeds: FeedServer, itunes: ItunesFake) -> dict[str, Any]:
    """The 730-item feed served, and known to the lookup as show 2001 (episode ids 5000…5729)."""
    feed_url = feeds.put_feed("/bombcast.xml", feed_bytes(GIANT))
    records = episodes_from_feed(
        feed_bytes(GIANT), show_id=2001, first_track_id=5000, feed_url=feed_url, show_title="Giant Bombcast"
    )
    return {"feed_url": feed_url, "records": records}


def add_episode(world: LambdaWorld, token: str, url: str) -> dict[str, Any]:
    status, answer = world.call_api("POST", "/api/shortcuts/add-episode", body={"url": url}, token=token)
    assert status == 202, answer
    world.run_pipeline()
    status, job = world.call_api("GET", f"/api/jobs/{answer['jobId']}", token=token)
    assert status == 200
    (item,) = job["items"]
    return dict(item)


def apple_link(show_id: int, episode_id: int) -> str:
    return f"https://podcasts.apple.com/us/podcast/some-show/id{show_id}?i={episode_id}"


def test_apple_episode_found_by_id_keyed_as_the_feed_keys_it(
    lambda_world: LambdaWorld, itunes: ItunesFake, bombcast: dict[str, Any]
) -> None:
    # Given the lookup lists the show's 200 newest episodes, and the user shares the 10th newest
    token = create_user(lambda_world, "alice")
    records = bombcast["records"]
    itunes.add_show(2001, title="Giant Bombcast", feed_url=bombcast["feed_url"], episodes=records)
    wanted = records[9]

    # When it is added from its Apple Podcasts link
    item = add_episode(lambda_world, token, apple_link(2001, wanted["trackId"]))

    # Then exactly that episode is on the list, under the key a sync of its feed gives it
    assert (item["state"], item["title"]) == ("added", wanted["trackName"])
    (row,) = episode_rows(lambda_world)
    assert row["title"] == wanted["trackName"] and row["type"] == "podcast"
    parsed = feeds_domain.parse_feed(feed_bytes(GIANT), bombcast["feed_url"])
    in_feed = next(e for e in parsed.episodes if e.key == wanted["episodeGuid"])
    assert row["external_id"] == in_feed.media.media_key

    # And subscribing to the feed afterwards does not add it a second time
    subscribe(lambda_world, token, bombcast["feed_url"], backfill=20)
    lambda_world.run_pipeline()
    rows = episode_rows(lambda_world)
    assert len(rows) == 20 and len({r["external_id"] for r in rows}) == 20


def test_apple_episode_older_than_the_lookup_lists_found_by_guid(
    lambda_world: LambdaWorld, itunes: ItunesFake, bombcast: dict[str, Any]
) -> None:
    # Given an episode far older than the 200 newest the show's lookup lists
    token = create_user(lambda_world, "alice")
    records = bombcast["records"]
    itunes.add_show(2001, title="Giant Bombcast", feed_url=bombcast["feed_url"], episodes=records)
    wanted = records[600]

    item = add_episode(lambda_world, token, apple_link(2001, wanted["trackId"]))

    # Then the episode's own lookup gave its guid and the feed item with that guid was added
    assert (item["state"], item["title"]) == ("added", wanted["trackName"])
    assert [q["id"] for q in itunes.requests] == ["2001", str(wanted["trackId"])]
    (row,) = episode_rows(lambda_world)
    parsed = feeds_domain.parse_feed(feed_bytes(GIANT), bombcast["feed_url"])
    assert (
        row["external_id"]
        == next(e for e in parsed.episodes if e.key == wanted["episodeGuid"]).media.media_key
    )


def test_apple_episode_without_guid_found_by_title_and_date(
    lambda_world: LambdaWorld, feeds: FeedServer, itunes: ItunesFake
) -> None:
    # Given a feed whose old items have no guid, and Apple's media URL differing from the enclosure
    token = create_user(lambda_world, "alice")
    name = "se-radio-missing-guids.xml"
    feed_url = feeds.put_feed("/seradio.xml", feed_bytes(name))
    records = episodes_from_feed(
        feed_bytes(name), show_id=3001, first_track_id=7000, feed_url=feed_url, show_title="SE Radio"
    )
    wanted = next(r for r in records[200:] if "episodeGuid" not in r)
    wanted["episodeUrl"] = "https://dts.podtrac.com/redirect.mp3/" + wanted["episodeUrl"].split("://", 1)[1]
    itunes.add_show(3001, title="SE Radio", feed_url=feed_url, episodes=records)

    item = add_episode(lambda_world, token, apple_link(3001, wanted["trackId"]))

    assert (item["state"], item["title"]) == ("added", wanted["trackName"])
    (row,) = episode_rows(lambda_world)
    assert row["published_date"][:10] == wanted["releaseDate"][:10]


def test_apple_episode_not_found_fails_and_adds_nothing(
    lambda_world: LambdaWorld, itunes: ItunesFake, bombcast: dict[str, Any]
) -> None:
    # Given an old episode the lookup does not list and cannot find on its own either
    token = create_user(lambda_world, "alice")
    records = bombcast["records"]
    hidden = records[650]["trackId"]
    itunes.add_show(
        2001,
        title="Giant Bombcast",
        feed_url=bombcast["feed_url"],
        episodes=records,
        hidden_from_direct_lookup=[hidden],
    )

    item = add_episode(lambda_world, token, apple_link(2001, hidden))

    # Then the item fails with the reason, and no other episode is added in its place
    assert item["state"] == "failed"
    assert (
        item["reason"]
        == f"Apple Podcasts has no episode {hidden} (it may have been removed); nothing was added"
    )
    assert episode_rows(lambda_world) == []


def test_apple_episode_the_feed_does_not_list(
    lambda_world: LambdaWorld, feeds: FeedServer, itunes: ItunesFake
) -> None:
    # Given a show whose lookup knows two episodes the feed does not carry (any more)
    token = create_user(lambda_world, "alice")
    feed_url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    gone: dict[str, Any] = {
        "wrapperType": "podcastEpisode",
        "kind": "podcast-episode",
        "collectionId": 1001,
        "collectionName": "All About Everything",
        "feedUrl": feed_url,
        "releaseDate": "2013-01-01T10:00:00Z",
        "episodeUrl": "http://example.com/podcasts/everything/gone.mp3",
    }
    with_guid = {**gone, "trackId": 8001, "trackName": "Gone With Guid", "episodeGuid": "gone-guid-1"}
    without_guid = {**gone, "trackId": 8002, "trackName": "Gone Without Guid"}
    itunes.add_show(1001, title="All About Everything", feed_url=feed_url, episodes=[with_guid, without_guid])

    # When both are shared
    kept = add_episode(lambda_world, token, apple_link(1001, 8001))
    refused = add_episode(lambda_world, token, apple_link(1001, 8002))

    # Then the one with a guid is added from the lookup, keyed by that guid as the feed would key it
    assert (kept["state"], kept["title"]) == ("added", "Gone With Guid")
    (row,) = episode_rows(lambda_world)
    expected_key = feeds_domain.podcast_media_key(feed_url, feeds_domain.feed_item_key_hash("gone-guid-1"))
    assert row["external_id"] == expected_key
    # And the other fails saying so, rather than taking some other episode of the feed
    assert refused["state"] == "failed"
    assert refused["reason"] == (
        "“Gone Without Guid” (2013-01-01) was found on Apple Podcasts, but the show's feed does not list it;"
        " nothing was added"
    )


def test_apple_outage_is_retried_then_fails_readably(
    lambda_world: LambdaWorld, itunes: ItunesFake, bombcast: dict[str, Any]
) -> None:
    # Given Apple's lookup answering 503 to everything
    token = create_user(lambda_world, "alice")
    itunes.add_show(2001, title="Giant Bombcast", feed_url=bombcast["feed_url"], episodes=bombcast["records"])
    itunes.failing(503)

    # When an episode link and a show link come in
    item = add_episode(lambda_world, token, apple_link(2001, bombcast["records"][0]["trackId"]))
    sub_id = subscribe(lambda_world, token, "https://podcasts.apple.com/podcast/id2001")
    lambda_world.run_pipeline()

    # Then each was tried once per allowed receive (3 here) and then ended with the reason
    assert item["state"] == "failed"
    assert item["reason"].startswith("Apple Podcasts lookup failed: HTTP 503")
    assert "(tried 3 times). It will not be tried again unless you ask (POST /api/jobs/" in item["reason"]
    assert "try again later" not in item["reason"]
    sub = podcasts(lambda_world, token)[sub_id]
    assert sub["lastStatus"] == "failed" and sub["lastError"].startswith(
        "Apple Podcasts lookup failed: HTTP 503"
    )
    assert len(itunes.requests) == 6
    assert episode_rows(lambda_world) == []


def test_unsubscribe_keeps_episodes_and_stops_syncing(lambda_world: LambdaWorld, feeds: FeedServer) -> None:
    token = create_user(lambda_world, "alice")
    url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    sub_id = subscribe(lambda_world, token, url, backfill="all")
    lambda_world.run_pipeline()
    assert len(episode_rows(lambda_world)) == 3

    status, answer = lambda_world.call_api("DELETE", f"/api/podcasts/{sub_id}", token=token)
    assert status == 200 and answer["subscriptionId"] == sub_id
    lambda_world.run_pipeline()

    assert podcasts(lambda_world, token) == {}
    status, listing = lambda_world.call_api("GET", "/api/episodes", token=token, query="type=podcast")
    assert len(listing["episodes"]) == 3
    feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE).replace(b"<item>", NEW_ITEM + b"<item>", 1))
    feeds.clear_log()
    assert scheduled_sync(lambda_world)["feedsQueued"] == 0
    assert feeds.requests == []
    assert len(episode_rows(lambda_world)) == 3


def test_a_sync_still_queued_when_unsubscribing_adds_nothing(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    # Given a subscription whose first sync is still waiting in the extract queue
    token = create_user(lambda_world, "alice")
    url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    sub_id = subscribe(lambda_world, token, url, backfill="all")
    lambda_world.run_persister()

    # When the user unsubscribes and the writer records it before the sync's results arrive
    status, _ = lambda_world.call_api("DELETE", f"/api/podcasts/{sub_id}", token=token)
    assert status == 200
    lambda_world.run_persister()
    lambda_world.run_pipeline()

    # Then the late sync adds none of the feed's episodes
    feeds.wait_idle()
    assert len(feeds.requests_for("/everything.xml")) == 1
    assert episode_rows(lambda_world) == []


def test_users_cannot_see_or_delete_each_others_subscriptions(
    lambda_world: LambdaWorld, feeds: FeedServer
) -> None:
    alice = create_user(lambda_world, "alice")
    bob = create_user(lambda_world, "bob")
    url = feeds.put_feed("/everything.xml", feed_bytes(APPLE_SAMPLE))
    alices = subscribe(lambda_world, alice, url)
    lambda_world.run_pipeline()

    assert podcasts(lambda_world, bob) == {}
    status, answer = lambda_world.call_api("DELETE", f"/api/podcasts/{alices}", token=bob)
    assert status == 404 and answer["error"] == "no such subscription"
    lambda_world.run_pipeline()
    assert list(podcasts(lambda_world, alice)) == [alices]

    # Bob following the same feed gets his own subscription and his own copy of the episode
    bobs = subscribe(lambda_world, bob, url)
    lambda_world.run_pipeline()
    assert bobs != alices
    assert podcasts(lambda_world, bob)[bobs]["episodeCount"] == 1
    assert podcasts(lambda_world, alice)[alices]["episodeCount"] == 1


@pytest.mark.parametrize(
    "event",
    [
        {},
        None,
        "tick",
        {
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": "123456789012",
            "time": "2026-11-28T12:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/watcharr-podcast-sync"],
            "detail": {},
        },
    ],
    ids=["empty", "null", "string", "eventbridge"],
)
def test_scheduled_sync_takes_any_event_shape(
    lambda_world: LambdaWorld, feeds: FeedServer, event: Any
) -> None:
    token = create_user(lambda_world, "alice")
    first = subscribe(lambda_world, token, feeds.put_feed("/a.xml", feed_bytes(APPLE_SAMPLE)))
    second = subscribe(
        lambda_world, token, feeds.put_feed("/b.xml", feed_bytes("rtve-spanish-non-ascii.xml"))
    )
    lambda_world.run_pipeline()
    feeds.clear_log()

    summary = lambda_world.function("podcast_sync").handler(event, LocalContext("PodcastSyncFunction"))
    assert summary["feedsQueued"] == 2

    # One ExtractRequest per feed, each with the validators its last fetch gave
    lambda_world.run_pipeline()
    feeds.wait_idle()
    assert sorted((r.path, r.status) for r in feeds.requests) == [("/a.xml", 304), ("/b.xml", 304)]
    assert all(r.if_none_match for r in feeds.requests)
    subs = podcasts(lambda_world, token)
    assert subs[first]["lastStatus"] == subs[second]["lastStatus"] == "unchanged"
