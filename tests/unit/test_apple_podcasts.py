"""Apple Podcasts without the network: reading lookup answers, and finding Apple's episode in a feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from watcharr.adapters.apple_podcasts import (
    AppleEpisode,
    AppleLookupError,
    AppleShow,
    lookup_url,
    parse_lookup,
)
from watcharr.domain.feeds import feed_item_key_hash, parse_feed, podcast_media_key
from watcharr.logic.podcast_sync import match_feed_episode, media_from_lookup
from watcharr.logic.podcasts import feed_link, storefront

FEED_URL = "https://feeds.example.com/show.xml"

# The shape of a real answer to lookup?id=<show>&entity=podcastEpisode (fields trimmed).
LOOKUP_ANSWER: dict[str, Any] = {
    "resultCount": 3,
    "results": [
        {
            "wrapperType": "track",
            "kind": "podcast",
            "collectionId": 1470039059,
            "trackId": 1470039059,
            "collectionName": "Podcast – Software Engineering Daily",
            "feedUrl": "https://softwareengineeringdaily.com/category/podcast/feed/",
            "artworkUrl600": "https://is1-ssl.mzstatic.com/image/thumb/600x600bb.jpg",
            "trackCount": 100,
        },
        {
            "wrapperType": "podcastEpisode",
            "kind": "podcast-episode",
            "collectionId": 1470039059,
            "trackId": 1000744375610,
            "collectionName": "Podcast – Software Engineering Daily",
            "trackName": "Kubernetes at Scale",
            "episodeGuid": "https://softwareengineeringdaily.com/?p=123",
            "episodeUrl": "https://traffic.megaphone.fm/SED123.mp3",
            "trackViewUrl": "https://podcasts.apple.com/us/podcast/x/id1470039059?i=1000744375610&uo=4",
            "releaseDate": "2025-01-10T10:00:00Z",
            "trackTimeMillis": 2415000,
            "description": "<p>About <b>Kubernetes</b>.</p>",
            "artworkUrl600": "https://is1-ssl.mzstatic.com/image/thumb/ep600.jpg",
        },
        {"wrapperType": "podcastEpisode", "trackName": "No id, not usable"},
    ],
}


def answer(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_lookup_answer_gives_the_show_and_its_episodes() -> None:
    found = parse_lookup(answer(LOOKUP_ANSWER))

    assert found.show == AppleShow(
        show_id="1470039059",
        title="Podcast – Software Engineering Daily",
        feed_url="https://softwareengineeringdaily.com/category/podcast/feed/",
        artwork_url="https://is1-ssl.mzstatic.com/image/thumb/600x600bb.jpg",
    )
    (episode,) = found.episodes
    assert episode.episode_id == "1000744375610" and episode.show_id == "1470039059"
    assert episode.guid == "https://softwareengineeringdaily.com/?p=123"
    assert episode.released == datetime(2025, 1, 10, 10, 0, tzinfo=UTC)
    assert episode.duration == 2415
    assert episode.description == "About Kubernetes."


def test_an_empty_answer_names_no_show() -> None:
    found = parse_lookup(answer({"resultCount": 0, "results": []}))
    assert found.show is None and found.episodes == []


@pytest.mark.parametrize(
    "body",
    [b"<html>Error</html>", answer({"errorMessage": "Invalid value(s) for key(s): [id]"}), answer([1, 2])],
)
def test_anything_else_is_a_readable_lookup_error(body: bytes) -> None:
    with pytest.raises(AppleLookupError) as failure:
        parse_lookup(body)
    assert failure.value.reason.startswith("Apple Podcasts answered")


def test_odd_fields_are_ignored_rather_than_trusted() -> None:
    odd = {
        "results": [
            {"kind": "podcast", "collectionId": True, "feedUrl": 7},
            {"kind": "podcast-episode", "trackId": "1000", "releaseDate": "yesterday", "trackTimeMillis": -5},
        ]
    }
    found = parse_lookup(answer(odd))
    assert found.show is None
    (episode,) = found.episodes
    assert (episode.episode_id, episode.released, episode.duration) == ("1000", None, None)


def test_lookup_urls() -> None:
    base = "https://itunes.apple.com/lookup"
    assert lookup_url(base, "12") == f"{base}?id=12"
    assert (
        lookup_url(base, "12", episodes=True, limit=200, country="gb")
        == f"{base}?id=12&entity=podcastEpisode&limit=200&country=gb"
    )


@pytest.mark.parametrize(
    ("link", "country"),
    [
        ("https://podcasts.apple.com/gb/podcast/the-show/id123?i=456", "gb"),
        ("https://podcasts.apple.com/podcast/id123", None),
        ("https://podcasts.apple.com/US/podcast/x/id123", "us"),
    ],
)
def test_storefront_of_a_link(link: str, country: str | None) -> None:
    assert storefront(link) == country


def test_a_show_link_keeps_its_storefront_for_the_lookup() -> None:
    assert feed_link("https://podcasts.apple.com/gb/podcast/the-show/id123?uo=4") == (
        "https://podcasts.apple.com/gb/podcast/id123"
    )


FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Show</title>
<item><title>Episode Three</title><guid>guid-3</guid><pubDate>Fri, 10 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="http://media.example.com/3.mp3" length="1" type="audio/mpeg"/></item>
<item><title>Repeat Title</title><pubDate>Thu, 09 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="http://media.example.com/2b.mp3" length="1" type="audio/mpeg"/></item>
<item><title>Repeat Title</title><pubDate>Tue, 07 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="http://media.example.com/2a.mp3" length="1" type="audio/mpeg"/></item>
<item><title>Episode One</title><pubDate>Wed, 01 Jan 2025 10:00:00 GMT</pubDate>
  <enclosure url="http://media.example.com/1.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>"""


def apple(**fields: Any) -> AppleEpisode:
    values: dict[str, Any] = {
        "episode_id": "1000",
        "show_id": "1",
        "show_title": "Show",
        "title": None,
        "guid": None,
        "media_url": None,
        "page_url": None,
        "feed_url": FEED_URL,
        "released": None,
        "duration": None,
        "description": None,
        "artwork_url": None,
    }
    values.update(fields)
    return AppleEpisode(**values)


def when(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 1, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "expected_title"),
    [
        (apple(guid="guid-3"), "Episode Three"),
        # Apple's URL with https and another host case still names the same file.
        (apple(media_url="https://MEDIA.example.com/1.mp3"), "Episode One"),
        (apple(title="episode   one", released=when(1, 20)), "Episode One"),
        # Two items share a title: the date tells them apart.
        (apple(title="Repeat Title", released=when(7)), "Repeat Title"),
        # A wrong guid does not stop the later, still exact, checks.
        (apple(guid="other", title="Episode Three", released=when(10)), "Episode Three"),
    ],
)
def test_apple_episode_found_in_the_feed(record: AppleEpisode, expected_title: str) -> None:
    parsed = parse_feed(FEED, FEED_URL)
    found = match_feed_episode(parsed, record)
    assert found is not None and found.media.title == expected_title
    if record.released is not None and expected_title == "Repeat Title":
        assert found.media.url == "http://media.example.com/2a.mp3"


@pytest.mark.parametrize(
    "record",
    [
        apple(guid="not-in-feed"),
        apple(media_url="http://media.example.com/unknown.mp3"),
        apple(title="Episode One"),  # a title alone is not enough
        apple(title="Episode One", released=when(4)),  # three days off
        apple(title="Another Episode", released=when(1)),
        # Equally close to both items titled alike: no guessing.
        apple(title="Repeat Title", released=when(8)),
    ],
)
def test_no_match_is_never_a_guess(record: AppleEpisode) -> None:
    assert match_feed_episode(parse_feed(FEED, FEED_URL), record) is None


def test_an_episode_from_the_lookup_alone_is_keyed_by_its_guid_as_the_feed_would_key_it() -> None:
    record = apple(
        guid="guid-9",
        title="Gone",
        released=when(2),
        media_url="https://media.example.com/9.mp3",
        duration=60,
    )
    show = AppleShow(
        show_id="1", title="Show", feed_url=FEED_URL, artwork_url="https://img.example.com/a.jpg"
    )

    media = media_from_lookup(record, FEED_URL, show, "https://podcasts.apple.com/podcast/id1?i=1000")

    assert media.media_key == podcast_media_key(FEED_URL, feed_item_key_hash("guid-9"))
    assert (media.title, media.url, media.published_date) == (
        "Gone",
        "https://media.example.com/9.mp3",
        "2025-01-02T10:00:00Z",
    )
    # The same channel as the feed's own episodes
    assert media.channel is not None
    assert media.channel.id == parse_feed(FEED, FEED_URL).episodes[0].media.channel.id  # type: ignore[union-attr]
