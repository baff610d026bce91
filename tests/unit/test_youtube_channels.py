"""Channel and playlist links, channel page HTML and feed entries: the pure half of following channels."""

from __future__ import annotations

import pytest

from tests.support.youtube_channel_fakes import (
    CHANNEL_ID_MARKERS,
    CONSENT_PAGE,
    NOT_FOUND_PAGE,
    FakeChannel,
    FakePlaylist,
    FakeUpload,
    channel_feed_xml,
    channel_page_html,
)
from watcharr.domain.feeds import DESCRIPTION_MAX_CHARS, FeedParseError
from watcharr.domain.youtube_channel_feed import (
    media_from_feed_entry,
    parse_channel_feed,
    select_new_uploads,
)
from watcharr.domain.youtube_channels import (
    ChannelLinkError,
    ChannelPageError,
    ChannelRef,
    canonical_url,
    channel_id_from_page,
    channel_page_url,
    feed_url,
    is_channel_id,
    parse_channel_link,
    with_channel_id,
)

CHANNEL_ID = "UCSMOQeBJ2RAnuFungnQOxLg"
PLAYLIST_ID = "PLa1F2ddGya_-UvuAqHAksYnB0qL9yWDO6"
FEED = "https://www.youtube.com/feeds/videos.xml?channel_id=" + CHANNEL_ID


# ---- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
        f"https://youtube.com/channel/{CHANNEL_ID}/videos",
        f"https://m.youtube.com/channel/{CHANNEL_ID}/featured?si=Zx9-abc",
        f"http://music.youtube.com/channel/{CHANNEL_ID}/",
        f"www.youtube.com/channel/{CHANNEL_ID}/shorts",
        f"  https://WWW.YouTube.com/channel/{CHANNEL_ID}  ",
        f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL_ID}",
        CHANNEL_ID,
    ],
)
def test_links_with_a_channel_id_need_no_lookup(link: str) -> None:
    ref = parse_channel_link(link)
    assert ref == ChannelRef(kind="channel", channel_id=CHANNEL_ID)
    assert ref.resolved
    assert feed_url(ref) == FEED


@pytest.mark.parametrize(
    ("link", "lookup", "name", "page"),
    [
        ("https://www.youtube.com/@BlenderOfficial", "handle", "@BlenderOfficial", "/@BlenderOfficial"),
        (
            "https://m.youtube.com/@BlenderOfficial/videos?si=abc",
            "handle",
            "@BlenderOfficial",
            "/@BlenderOfficial",
        ),
        (
            "youtube.com/@blender.official-3D/shorts",
            "handle",
            "@blender.official-3D",
            "/@blender.official-3D",
        ),
        ("@BlenderOfficial", "handle", "@BlenderOfficial", "/@BlenderOfficial"),
        (
            "https://www.youtube.com/@%E3%83%96%E3%83%AC%E3%83%B3%E3%83%80%E3%83%BC",
            "handle",
            "@ブレンダー",
            None,
        ),
        (
            "https://www.youtube.com/c/BlenderFoundation/featured",
            "custom",
            "BlenderFoundation",
            "/c/BlenderFoundation",
        ),
        (
            "https://music.youtube.com/user/BlenderFoundation",
            "user",
            "BlenderFoundation",
            "/user/BlenderFoundation",
        ),
        (
            "https://www.youtube.com/feeds/videos.xml?user=BlenderFoundation",
            "user",
            "BlenderFoundation",
            None,
        ),
    ],
)
def test_named_channels_are_looked_up_by_their_page(
    link: str, lookup: str, name: str, page: str | None
) -> None:
    ref = parse_channel_link(link)
    assert (ref.kind, ref.channel_id, ref.lookup, ref.name) == ("channel", None, lookup, name)
    assert not ref.resolved
    if page is not None:
        assert channel_page_url(ref) == "https://www.youtube.com" + page
    with pytest.raises(ValueError, match="has not been looked up"):
        feed_url(ref)
    resolved = with_channel_id(ref, CHANNEL_ID)
    assert feed_url(resolved, "http://127.0.0.1:8000/") == (
        "http://127.0.0.1:8000/feeds/videos.xml?channel_id=" + CHANNEL_ID
    )
    assert resolved.name == name


def test_a_unicode_handle_page_is_percent_encoded() -> None:
    ref = parse_channel_link("https://www.youtube.com/@ブレンダー")
    assert channel_page_url(ref) == "https://www.youtube.com/@%E3%83%96%E3%83%AC%E3%83%B3%E3%83%80%E3%83%BC"


@pytest.mark.parametrize(
    "link",
    [
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}",
        f"https://m.youtube.com/playlist?list={PLAYLIST_ID}&si=abc",
        f"https://music.youtube.com/playlist?list={PLAYLIST_ID}",
        f"https://www.youtube.com/watch?v=YE7VzlLtp-4&list={PLAYLIST_ID}&index=2",
        f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST_ID}",
        f"https://www.youtube.com/playlist?list={PLAYLIST_ID}&amp;si=abc",
    ],
)
def test_playlist_links_carry_their_id(link: str) -> None:
    ref = parse_channel_link(link)
    assert ref == ChannelRef(kind="playlist", playlist_id=PLAYLIST_ID)
    assert feed_url(ref) == f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST_ID}"
    assert canonical_url(ref) == f"https://www.youtube.com/playlist?list={PLAYLIST_ID}"


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("", "the link is empty"),
        ("   ", "the link is empty"),
        ("https://vimeo.com/channels/staffpicks", "is not a YouTube link"),
        ("https://www.youtube.com.evil.example/@x", "is not a YouTube link"),
        ("https://youtube.com@evil.example/@handle", "is not a YouTube link"),
        ("ftp://www.youtube.com/@handle", "is not a YouTube link"),
        ("https://www.youtube.com/watch?v=YE7VzlLtp-4", "is a video, not a channel"),
        ("https://youtu.be/YE7VzlLtp-4", "is a video, not a channel"),
        ("https://www.youtube.com/shorts/YE7VzlLtp-4", "is a video, not a channel"),
        ("https://www.youtube.com/channel/UCshort", 'invalid channel id "UCshort"'),
        (f"https://www.youtube.com/channel/{CHANNEL_ID}x", "invalid channel id"),
        ("https://www.youtube.com/channel/XXSMOQeBJ2RAnuFungnQOxLg", "invalid channel id"),
        ("https://www.youtube.com/@ab", 'invalid handle "@ab"'),
        ("https://www.youtube.com/@has space", "invalid handle"),
        ("@" + "x" * 31, "invalid handle"),
        ("https://www.youtube.com/c/bad$name", "invalid channel name"),
        ("https://www.youtube.com/playlist?list=PL<script>", "invalid playlist id"),
        ("https://www.youtube.com/watch?v=YE7VzlLtp-4&list=RDYE7VzlLtp-4", "is a YouTube Mix"),
        ("https://www.youtube.com/feeds/videos.xml", "without a channel_id or playlist_id"),
        ("https://www.youtube.com/feeds/videos.xml?channel_id=UC123", "invalid channel id"),
        ("https://www.youtube.com/results?search_query=blender", "is not a channel or playlist link"),
        ("https://www.youtube.com/", "is not a channel or playlist link"),
        ("https://www.youtube.com/" + "a" * 3000, "more than the 2048 allowed"),
    ],
)
def test_bad_links_are_refused_with_a_reason(link: str, reason: str) -> None:
    with pytest.raises(ChannelLinkError) as refused:
        parse_channel_link(link)
    assert reason in refused.value.reason
    assert len(refused.value.reason) < 400


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (CHANNEL_ID, True),
        ("UC_x5XG1OV2P6uZZ5FSM9Ttw", True),
        ("UC-lHJZR3Gqxm24_Vd_AJ5Yw", True),
        ("UC_x5XG1OV2P6uZZ5FSM9Tt", False),
        ("UC_x5XG1OV2P6uZZ5FSM9Ttww", False),
        ("UU_x5XG1OV2P6uZZ5FSM9Ttw", False),
        ("UC_x5XG1OV2P6uZZ5FSM9T.w", False),
        ("", False),
    ],
)
def test_channel_ids_are_uc_and_22_characters(value: str, valid: bool) -> None:
    assert is_channel_id(value) is valid


def test_a_ref_cannot_be_built_without_what_its_feed_needs() -> None:
    with pytest.raises(ValueError):
        ChannelRef(kind="channel")
    with pytest.raises(ValueError):
        ChannelRef(kind="channel", channel_id="UC123")
    with pytest.raises(ValueError):
        ChannelRef(kind="playlist")


# ---- channel pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", sorted(CHANNEL_ID_MARKERS))
def test_each_place_a_page_names_its_channel_is_read(marker: str) -> None:
    html = channel_page_html(CHANNEL_ID, "Blender", "@BlenderOfficial", frozenset({marker}))
    assert channel_id_from_page(html) == CHANNEL_ID
    assert channel_id_from_page(html.encode()) == CHANNEL_ID


def test_the_canonical_link_wins_over_other_channels_on_the_page() -> None:
    other = "UCBR8-60-B28hp2BmDPdntcQ"
    html = (
        f'<script>var ytInitialData = {{"channelId":"{other}"}};</script>'
        f"<link href='https://www.youtube.com/channel/{CHANNEL_ID}' rel='canonical'/>"
    )
    assert channel_id_from_page(html) == CHANNEL_ID


def test_external_id_wins_over_a_plain_channel_id() -> None:
    other = "UCBR8-60-B28hp2BmDPdntcQ"
    html = f'{{"channelId":"{other}","metadata":{{"externalId":"{CHANNEL_ID}"}}}}'
    assert channel_id_from_page(html) == CHANNEL_ID


def test_a_canonical_link_to_a_handle_is_not_an_id() -> None:
    html = f'<link rel="canonical" href="https://www.youtube.com/@x"><meta itemprop="channelId" content="{CHANNEL_ID}">'
    assert channel_id_from_page(html) == CHANNEL_ID


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (
            channel_page_html(CHANNEL_ID, "Blender", "@BlenderOfficial", frozenset()),
            "the page has no channel id",
        ),
        (NOT_FOUND_PAGE, "the page has no channel id"),
        ("", "the page has no channel id"),
        ('<meta itemprop="channelId" content="UC123">', "the page has no channel id"),
        (CONSENT_PAGE, "cookie consent page"),
    ],
)
def test_pages_without_a_channel_id_say_so(html: str, reason: str) -> None:
    with pytest.raises(ChannelPageError) as failed:
        channel_id_from_page(html)
    assert reason in failed.value.reason


# ---- feed entries ------------------------------------------------------------------------------------

BLENDER = FakeChannel(CHANNEL_ID, "Blender & Friends", "@BlenderOfficial")
UPLOAD = FakeUpload(
    "YE7VzlLtp-4",
    "Big Buck Bunny <4K> & more",
    published="2024-03-15T10:00:00+00:00",
    description="First line.\n\n\n\nSecond & <last>.",
    views=987654,
)
SHORT = FakeUpload("tJ51nR4-tLs", "A quick tip #shorts", published="2024-03-16T09:30:00+00:00", is_short=True)
OLDER = FakeUpload("xTo79sPCVXA", "Older", published="2024-03-01T08:00:00+00:00")


def test_an_entry_becomes_partial_video_metadata() -> None:
    feed = parse_channel_feed(channel_feed_xml(BLENDER, [SHORT, UPLOAD, OLDER]).encode(), FEED)
    media = next(u.media for u in feed.uploads if u.video_id == UPLOAD.video_id)
    assert media.media_key == "youtube:YE7VzlLtp-4"
    assert media.type == "video"
    assert media.title == "Big Buck Bunny <4K> & more"
    assert media.url == "https://www.youtube.com/watch?v=YE7VzlLtp-4"
    assert media.description == "First line.\n\nSecond & <last>."
    assert media.thumbnail_url == "https://i2.ytimg.com/vi/YE7VzlLtp-4/hqdefault.jpg"
    assert (media.upload_date, media.published_date) == ("2024-03-15", "2024-03-15")
    assert media.view_count == 987654
    assert media.duration is None
    assert media.partial is True
    assert media.is_short is False
    assert media.channel is not None
    assert (media.channel.id, media.channel.name, media.channel.url) == (
        CHANNEL_ID,
        "Blender & Friends",
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
    )


def test_a_shorts_link_flags_the_entry_and_the_filter_honours_it() -> None:
    feed = parse_channel_feed(channel_feed_xml(BLENDER, [SHORT, UPLOAD, OLDER]).encode(), FEED)
    short = feed.uploads[0]
    assert (short.video_id, short.media.is_short) == (SHORT.video_id, True)
    assert short.media.url == "https://www.youtube.com/shorts/tJ51nR4-tLs"
    with_shorts = select_new_uploads(feed, set(), None, include_shorts=True)
    without = select_new_uploads(feed, set(), None, include_shorts=False)
    assert [u.video_id for u in with_shorts] == [SHORT.video_id, UPLOAD.video_id, OLDER.video_id]
    assert [u.video_id for u in without] == [UPLOAD.video_id, OLDER.video_id]


def test_known_uploads_and_backfill_limit_what_is_new() -> None:
    feed = parse_channel_feed(channel_feed_xml(BLENDER, [UPLOAD, OLDER, SHORT]).encode(), FEED)
    # Newest first whatever the feed order.
    assert [u.video_id for u in feed.uploads] == [SHORT.video_id, UPLOAD.video_id, OLDER.video_id]
    known = {feed.uploads[0].key_hash}
    assert [u.video_id for u in select_new_uploads(feed, known, None, include_shorts=True)] == [
        UPLOAD.video_id,
        OLDER.video_id,
    ]
    assert [u.video_id for u in select_new_uploads(feed, known, 1, include_shorts=True)] == [UPLOAD.video_id]
    assert select_new_uploads(feed, known, 0, include_shorts=True) == []


def test_the_feed_level_channel_id_without_uc_still_names_the_channel() -> None:
    feed = parse_channel_feed(channel_feed_xml(BLENDER, [UPLOAD]).encode(), FEED)
    assert feed.title == "Blender & Friends"
    assert feed.channel is not None and feed.channel.id == CHANNEL_ID
    assert feed.playlist_id is None
    assert feed.warnings == []


def test_a_playlist_feed_names_its_playlist_and_owner() -> None:
    playlist = FakePlaylist(PLAYLIST_ID, "Open movies", BLENDER, [UPLOAD.video_id])
    channel = FakeChannel(CHANNEL_ID, BLENDER.title, BLENDER.handle, uploads=[UPLOAD])
    body = channel_feed_xml(channel, [UPLOAD], playlist=playlist).encode()
    feed = parse_channel_feed(body, f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST_ID}")
    assert (feed.title, feed.playlist_id) == ("Open movies", PLAYLIST_ID)
    assert [u.video_id for u in feed.uploads] == [UPLOAD.video_id]


def test_entries_feedparser_gives_without_the_optional_parts() -> None:
    bare = {"yt_videoid": "YE7VzlLtp-4", "title": "", "link": "https://www.youtube.com/watch?v=YE7VzlLtp-4"}
    media = media_from_feed_entry(bare)
    assert media is not None
    assert (media.title, media.description, media.view_count, media.thumbnail_url) == (
        "YE7VzlLtp-4",
        None,
        None,
        None,
    )
    assert (media.upload_date, media.channel, media.partial) == (None, None, True)
    assert media_from_feed_entry({"title": "no id"}) is None
    assert media_from_feed_entry({"yt_videoid": "not an id!"}) is None
    odd = {**bare, "media_statistics": {"views": "many"}, "media_thumbnail": [{"url": "javascript:x"}]}
    assert media_from_feed_entry(odd) == media


def test_long_descriptions_are_capped() -> None:
    long = FakeUpload("YE7VzlLtp-4", "Long", description="x" * (DESCRIPTION_MAX_CHARS + 500))
    feed = parse_channel_feed(channel_feed_xml(BLENDER, [long]).encode(), FEED)
    description = feed.uploads[0].media.description or ""
    assert len(description) == DESCRIPTION_MAX_CHARS and description.endswith("…")


def test_entries_without_a_video_id_are_skipped_with_a_warning() -> None:
    body = channel_feed_xml(BLENDER, [UPLOAD]).replace(
        "</feed>", "<entry><id>yt:video:broken</id><title>no id</title></entry></feed>"
    )
    feed = parse_channel_feed(body.encode(), FEED)
    assert [u.video_id for u in feed.uploads] == [UPLOAD.video_id]
    assert feed.warnings == ["1 entry(ies) have no valid yt:videoId and were skipped"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (NOT_FOUND_PAGE.encode(), "is not a YouTube feed"),
        (b"", "is not a YouTube feed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">]><feed xmlns="http://www.w3.org/2005/Atom">'
            b"<title>&a;</title></feed>",
            "declares XML entities",
        ),
    ],
)
def test_bodies_that_are_no_feed_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_channel_feed(body, FEED)
