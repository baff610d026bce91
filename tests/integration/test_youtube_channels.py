"""Following channels against a local server shaped like YouTube: every link form resolved to its id,
the real feed read by feedparser through the guarded feed client, conditional GETs, readable failures.

YouTube cannot be reached from here; ``FakeYouTubeChannels`` (tests/support/youtube_channel_fakes.py)
serves channel pages, feeds and channels.list in YouTube's shapes, and everything else (the SSRF
guarded fetch, feedparser, the Data API client) is the real code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.youtube_channel_fakes import (
    CHANNEL_ID_MARKERS,
    FakeChannel,
    FakePlaylist,
    FakeUpload,
    FakeYouTubeChannels,
)
from tests.support.youtube_fakes import QUOTA_EXCEEDED
from watcharr.adapters.feed_http import FeedFetchError, fetch_feed
from watcharr.adapters.youtube_channels import ChannelLookupError, resolve_channel
from watcharr.domain.youtube_channel_feed import parse_channel_feed, select_new_uploads
from watcharr.domain.youtube_channels import feed_url, parse_channel_link
from watcharr.settings import Settings

BLENDER_ID = "UCSMOQeBJ2RAnuFungnQOxLg"
NO_ID_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
PLAYLIST_ID = "PLa1F2ddGya_-UvuAqHAksYnB0qL9yWDO6"
UPLOADS = [
    FakeUpload("tJ51nR4-tLs", "A quick tip #shorts", published="2024-03-16T09:30:00+00:00", is_short=True),
    FakeUpload("YE7VzlLtp-4", "Big Buck Bunny", published="2024-03-15T10:00:00+00:00", views=987654),
    FakeUpload("xTo79sPCVXA", "Sintel", published="2024-03-01T08:00:00+00:00", views=4321),
]


@pytest.fixture
def youtube() -> Iterator[FakeYouTubeChannels]:
    with FakeYouTubeChannels() as fake:
        fake.add_channel(
            FakeChannel(
                BLENDER_ID,
                "Blender",
                "@BlenderOfficial",
                custom_name="BlenderFoundation",
                user_name="BlenderFoundation",
                uploads=list(UPLOADS),
            )
        )
        fake.add_channel(FakeChannel(NO_ID_ID, "Hidden", "@NoIdHere", page_markers=frozenset()))
        fake.add_playlist(
            FakePlaylist(PLAYLIST_ID, "Open movies", fake.channels[BLENDER_ID], ["xTo79sPCVXA"])
        )
        yield fake


def _settings(fake: FakeYouTubeChannels) -> Settings:
    return Settings(
        allow_private_network=True, youtube_api_url=fake.api_url, feed_timeout=5, socket_timeout=5
    )


# ---- resolving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/@BlenderOfficial",
        "https://m.youtube.com/@BlenderOfficial/videos?si=Zx9",
        "https://www.youtube.com/c/BlenderFoundation/featured",
        "https://music.youtube.com/user/BlenderFoundation",
        "youtube.com/@BlenderOfficial/shorts",
        "@BlenderOfficial",
    ],
)
def test_every_named_form_resolves_from_the_channel_page(youtube: FakeYouTubeChannels, link: str) -> None:
    ref = resolve_channel(
        parse_channel_link(link), _settings(youtube), api_key=None, site_url=youtube.base_url
    )
    assert ref.channel_id == BLENDER_ID
    assert feed_url(ref) == f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}"
    page_requests = [r for r in youtube.requests if not r[0].startswith("/feeds/")]
    assert len(page_requests) == 1 and page_requests[0][1] == 200


@pytest.mark.parametrize("marker", sorted(CHANNEL_ID_MARKERS))
def test_a_page_with_only_one_id_marker_resolves(youtube: FakeYouTubeChannels, marker: str) -> None:
    youtube.add_channel(FakeChannel(BLENDER_ID, "Blender", "@OneMarker", page_markers=frozenset({marker})))
    ref = resolve_channel(
        parse_channel_link("@OneMarker"), _settings(youtube), api_key=None, site_url=youtube.base_url
    )
    assert ref.channel_id == BLENDER_ID


@pytest.mark.parametrize(
    "link",
    [
        f"https://www.youtube.com/channel/{BLENDER_ID}/videos",
        f"https://www.youtube.com/feeds/videos.xml?channel_id={BLENDER_ID}",
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
    ],
)
def test_links_that_carry_an_id_fetch_nothing(youtube: FakeYouTubeChannels, link: str) -> None:
    ref = resolve_channel(
        parse_channel_link(link), _settings(youtube), api_key=youtube.api_key, site_url=youtube.base_url
    )
    assert ref.resolved
    assert youtube.requests == []


def test_with_a_key_a_handle_is_looked_up_by_the_data_api(youtube: FakeYouTubeChannels) -> None:
    ref = resolve_channel(
        parse_channel_link("https://www.youtube.com/@blenderofficial"),
        _settings(youtube),
        api_key=youtube.api_key,
        site_url=youtube.base_url,
    )
    assert ref.channel_id == BLENDER_ID
    assert [r[0].split("?")[0] for r in youtube.requests] == ["/youtube/v3/channels"]
    assert "forHandle=%40blenderofficial" in youtube.requests[0][0]


def test_with_a_key_a_user_name_is_looked_up_by_the_data_api(youtube: FakeYouTubeChannels) -> None:
    ref = resolve_channel(
        parse_channel_link("https://www.youtube.com/user/BlenderFoundation"),
        _settings(youtube),
        api_key=youtube.api_key,
        site_url=youtube.base_url,
    )
    assert ref.channel_id == BLENDER_ID
    assert "forUsername=BlenderFoundation" in youtube.requests[0][0]


def test_with_a_key_a_custom_name_still_reads_the_page(youtube: FakeYouTubeChannels) -> None:
    ref = resolve_channel(
        parse_channel_link("https://www.youtube.com/c/BlenderFoundation"),
        _settings(youtube),
        api_key=youtube.api_key,
        site_url=youtube.base_url,
    )
    assert ref.channel_id == BLENDER_ID
    assert [r[0] for r in youtube.requests] == ["/c/BlenderFoundation"]


def test_the_data_api_saying_no_such_handle_is_final(youtube: FakeYouTubeChannels) -> None:
    with pytest.raises(ChannelLookupError) as failed:
        resolve_channel(
            parse_channel_link("@NobodyAtAll"),
            _settings(youtube),
            api_key=youtube.api_key,
            site_url=youtube.base_url,
        )
    assert failed.value.reason == "YouTube has no channel @NobodyAtAll"
    assert failed.value.retryable is False
    assert len(youtube.requests) == 1


@pytest.mark.parametrize("failure", ["quota", "bad key"])
def test_a_failing_data_api_falls_back_to_the_page(youtube: FakeYouTubeChannels, failure: str) -> None:
    if failure == "quota":
        youtube.api_failure = (403, QUOTA_EXCEEDED)
    key = youtube.api_key if failure == "quota" else "AIza-wrong"
    ref = resolve_channel(
        parse_channel_link("@BlenderOfficial"), _settings(youtube), api_key=key, site_url=youtube.base_url
    )
    assert ref.channel_id == BLENDER_ID
    assert [r[0].split("?")[0] for r in youtube.requests] == ["/youtube/v3/channels", "/@BlenderOfficial"]


# ---- readable failures ---------------------------------------------------------------------------


def _lookup_failure(youtube: FakeYouTubeChannels, link: str) -> ChannelLookupError:
    with pytest.raises(ChannelLookupError) as failed:
        resolve_channel(parse_channel_link(link), _settings(youtube), api_key=None, site_url=youtube.base_url)
    return failed.value


def test_a_channel_that_does_not_exist(youtube: FakeYouTubeChannels) -> None:
    error = _lookup_failure(youtube, "https://www.youtube.com/@NobodyAtAll")
    assert error.reason == "the channel @NobodyAtAll does not exist on YouTube (HTTP 404 Not Found)"
    assert error.retryable is False


def test_a_page_answering_500_is_worth_another_try(youtube: FakeYouTubeChannels) -> None:
    youtube.page_failures["/c/BlenderFoundation"] = 500
    error = _lookup_failure(youtube, "https://www.youtube.com/c/BlenderFoundation")
    assert (
        error.reason
        == "could not read the page of the channel named 'BlenderFoundation': HTTP 500 Internal Server Error"
    )
    assert error.retryable is True


def test_a_page_without_a_channel_id(youtube: FakeYouTubeChannels) -> None:
    error = _lookup_failure(youtube, "@NoIdHere")
    assert error.reason.endswith(
        "/@NoIdHere: the page has no channel id (no canonical link, og:url or channelId in it)"
    )
    assert error.retryable is False


def test_the_cookie_consent_wall_is_named(youtube: FakeYouTubeChannels) -> None:
    youtube.consent_wall = True
    error = _lookup_failure(youtube, "@BlenderOfficial")
    assert "cookie consent page" in error.reason


def test_the_ssrf_guard_stays_on_for_channel_pages(youtube: FakeYouTubeChannels) -> None:
    settings = Settings(allow_private_network=False, youtube_api_url=youtube.api_url)
    with pytest.raises(ChannelLookupError) as failed:
        resolve_channel(
            parse_channel_link("@BlenderOfficial"), settings, api_key=None, site_url=youtube.base_url
        )
    assert failed.value.reason.startswith(
        "could not read the page of the channel @BlenderOfficial: blocked address"
    )
    assert youtube.requests == []


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_a_failing_feed_has_a_readable_reason(youtube: FakeYouTubeChannels, status: int, reason: str) -> None:
    url = youtube.feed_url(channel_id="UC" + "0" * 22)
    if status == 500:
        youtube.page_failures["/feeds/videos.xml"] = 500
        url = youtube.feed_url(channel_id=BLENDER_ID)
    with pytest.raises(FeedFetchError) as failed:
        fetch_feed(url, etag=None, last_modified=None, allow_private=True)
    assert failed.value.reason == reason
    assert failed.value.retryable is (status == 500)


# ---- the feed --------------------------------------------------------------------------------------


def test_feedparser_reads_the_fake_feed_through_the_feed_client(youtube: FakeYouTubeChannels) -> None:
    url = youtube.feed_url(channel_id=BLENDER_ID)
    response = fetch_feed(url, etag=None, last_modified=None, allow_private=True)
    assert response.status == 200 and response.etag and response.last_modified
    feed = parse_channel_feed(response.body, url)
    assert feed.title == "Blender"
    assert feed.channel is not None and feed.channel.id == BLENDER_ID
    assert [(u.video_id, u.media.is_short) for u in feed.uploads] == [
        ("tJ51nR4-tLs", True),
        ("YE7VzlLtp-4", False),
        ("xTo79sPCVXA", False),
    ]
    bunny = feed.uploads[1].media
    assert (bunny.view_count, bunny.published_date, bunny.partial) == (987654, "2024-03-15", True)
    assert bunny.thumbnail_url == "https://i2.ytimg.com/vi/YE7VzlLtp-4/hqdefault.jpg"


def test_a_playlist_feed(youtube: FakeYouTubeChannels) -> None:
    url = youtube.feed_url(playlist_id=PLAYLIST_ID)
    feed = parse_channel_feed(fetch_feed(url, etag=None, last_modified=None, allow_private=True).body, url)
    assert (feed.title, feed.playlist_id) == ("Open movies", PLAYLIST_ID)
    assert [u.video_id for u in feed.uploads] == ["xTo79sPCVXA"]


def test_an_unchanged_feed_is_one_304_and_one_new_upload_is_exactly_one_new(
    youtube: FakeYouTubeChannels,
) -> None:
    # Given a first sync that saw every upload
    url = youtube.feed_url(channel_id=BLENDER_ID)
    first = fetch_feed(url, etag=None, last_modified=None, allow_private=True)
    known = {u.key_hash for u in parse_channel_feed(first.body, url).uploads}

    # When nothing changed, the conditional GET answers 304 with no body to parse
    unchanged = fetch_feed(url, etag=first.etag, last_modified=first.last_modified, allow_private=True)
    assert (unchanged.status, unchanged.body, unchanged.etag) == (304, b"", first.etag)
    by_validators = fetch_feed(url, etag=None, last_modified=first.last_modified, allow_private=True)
    assert by_validators.status == 304

    # When one video is uploaded, the next sync finds exactly that one
    youtube.publish(BLENDER_ID, FakeUpload("aqz-KE-bpKQ", "Spring", published="2024-04-01T12:00:00+00:00"))
    changed = fetch_feed(url, etag=first.etag, last_modified=first.last_modified, allow_private=True)
    assert changed.status == 200 and changed.etag != first.etag
    new = select_new_uploads(parse_channel_feed(changed.body, url), known, None, include_shorts=False)
    assert [u.video_id for u in new] == ["aqz-KE-bpKQ"]
    assert [r[1:] for r in youtube.feed_requests()] == [
        (200, None),
        (304, first.etag),
        (304, None),
        (200, first.etag),
    ]


def test_the_feed_keeps_only_the_15_newest(youtube: FakeYouTubeChannels) -> None:
    for n in range(20):
        youtube.publish(
            BLENDER_ID,
            FakeUpload(f"new-video{n:02d}", f"Upload {n}", published=f"2024-05-{n + 1:02d}T00:00:00+00:00"),
        )
    url = youtube.feed_url(channel_id=BLENDER_ID)
    feed = parse_channel_feed(fetch_feed(url, etag=None, last_modified=None, allow_private=True).body, url)
    assert len(feed.uploads) == 15
    assert feed.uploads[0].video_id == "new-video19"
