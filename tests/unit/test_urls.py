"""URL recognition and normalisation: every form of a shared link must reach one dedup key.

The YouTube forms come from yt-dlp's own extractor tests and _VALID_URL patterns (rewritten here, not
copied), from YouTube's share buttons (si=, pp=, feature=share) and from iOS share-sheet texts.
"""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcharr.domain.links.apple import apple_podcast_ids
from watcharr.domain.links.classify import normalize_link, youtube_video_id
from watcharr.domain.links.cleaning import MediaLink, UnsupportedLink
from watcharr.domain.links.text import find_url
from watcharr.limits import MAX_URL_LENGTH
from watcharr.models.messages import ExtractKind

VID = "dQw4w9WgXcQ"
WATCH = f"https://www.youtube.com/watch?v={VID}"
SHORTS = f"https://www.youtube.com/shorts/{VID}"
PLAYLIST_ID = "PLRBp0Fe2GpgmgoscNFLxNyBVSFVdYmFkq"
PLAYLIST = f"https://www.youtube.com/playlist?list={PLAYLIST_ID}"
APPLE_SHOW = "https://podcasts.apple.com/us/podcast/the-tim-dillon-show/id1135137367"
APPLE_EPISODE = "https://podcasts.apple.com/us/podcast/207-whitney-webb-returns/id1135137367?i=1000482637777"

# Every form below names the video VID; {id} is replaced by the property test with any valid id.
VIDEO_FORMS = [
    "https://www.youtube.com/watch?v={id}",
    "https://www.youtube.com/watch?v={id}&t=42s",
    "https://www.youtube.com/watch?t=42&v={id}",
    "https://www.youtube.com/watch?v={id}&list=PLMYEtVRpaqY00V9W81Cwmzp6N6vZqfUKD4&index=3",
    "https://www.youtube.com/watch?list=PLW4dVinRY435CBE_JD3t-0SRXKfnZHS1P&feature=youtu.be&v={id}",
    "https://www.youtube.com/watch?v={id}&list=RDMM",
    "https://www.youtube.com/watch?v={id}&list=WL&index=7",
    "https://www.youtube.com/watch?v={id}&feature=youtu.be",
    "https://www.youtube.com/watch?v={id}&si=AbCdEfGhIjKlMnOp",
    "https://www.youtube.com/watch?v={id}&pp=ygUFaGVsbG8%3D",
    "https://www.youtube.com/watch?v={id}&ab_channel=RickAstley",
    "https://www.youtube.com/watch?app=desktop&v={id}",
    "https://www.youtube.com/watch?v={id}&v=BaW_jenozKc",
    "https://www.youtube.com/watch?feature=player_embedded&amp;amp;v={id}",
    "https://www.youtube.com/watch?v={id}#t=30",
    "https://www.youtube.com/watch?v={id}?si=glued-on-by-a-careless-copy",
    "https://www.youtube.com/watch/?v={id}",
    "https://www.youtube.com/watch/{id}",
    "https://www.youtube.com/watch_popup?v={id}",
    "https://www.youtube.com/?v={id}",
    "https://www.youtube.com/#/watch?v={id}",
    "https://www.youtube.com/watch?feature=player_embedded#!v={id}",
    "https://youtube.com/watch?v={id}",
    "https://m.youtube.com/watch?v={id}&feature=share",
    "https://music.youtube.com/watch?v={id}&list=RDAMVM{id}",
    "https://gaming.youtube.com/watch?v={id}",
    "https://www.youtubekids.com/watch?v={id}",
    "http://www.youtube.com/watch?v={id}",
    "HTTPS://WWW.YOUTUBE.COM/watch?v={id}",
    "https://www.YouTube.com/watch?v={id}",
    "https://www.youtube.com:443/watch?v={id}",
    "//www.YouTube.com/watch?v={id}",
    "https://youtu.be/{id}",
    "https://youtu.be/{id}/",
    "https://youtu.be/{id}?si=AbCdEfGhIjKlMnOp",
    "https://youtu.be/{id}?t=90",
    "https://youtu.be/{id}?list=PL9D9FC436B881BA21",
    "http://youtu.be/{id}&feature=share",
    "https://www.youtube.com/live/{id}",
    "https://www.youtube.com/live/{id}?si=xyz&feature=shared",
    "https://www.youtube.com/embed/{id}",
    "https://www.youtube.com/embed/{id}?start=30&autoplay=1",
    "http://www.youtube.com/embed/{id}?list=PLsyOSbh5bs16vubvKePAQ1x3PhKavfBIl",
    "https://www.youtube-nocookie.com/embed/{id}",
    "https://youtube-nocookie.com/embed/{id}?rel=0",
    "https://www.youtube.com/v/{id}?version=3&hl=en_US",
    "https://www.youtube.com/e/{id}",
    "https://youtube.googleapis.com/v/{id}",
    "https://www.youtube.com/attribution_link?a=8g8kPrPIi-ecwIDg&u=/watch%3Fv%3D{id}%26feature%3Dshare",
    "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{id}%26cbrd%3D1&gl=NL",
    "https://studio.youtube.com/video/{id}/edit",
    "youtu.be/{id}",
    "www.youtube.com/watch?v={id}",
    "m.youtube.com/watch?v={id}",
]
SHORTS_FORMS = [
    "https://www.youtube.com/shorts/{id}",
    "https://youtube.com/shorts/{id}?feature=share",
    "https://m.youtube.com/shorts/{id}?si=AbCdEfGhIjKlMnOp",
    "https://www.youtube.com/shorts/{id}/",
    "youtube.com/shorts/{id}",
]


@pytest.mark.parametrize("form", VIDEO_FORMS)
def test_youtube_video_forms_reach_one_watch_url(form: str) -> None:
    link = normalize_link(form.format(id=VID))

    assert link == MediaLink(url=WATCH, kind="video", media_key=f"youtube:{VID}", is_short=False)


@pytest.mark.parametrize("form", SHORTS_FORMS)
def test_shorts_keep_their_shorts_url_and_share_the_video_key(form: str) -> None:
    link = normalize_link(form.format(id=VID))

    # The shorts URL is canonical so that is_short survives a second normalisation; the key is the
    # same as the watch URL's, so a short shared both ways is one episode.
    assert link == MediaLink(url=SHORTS, kind="video", media_key=f"youtube:{VID}", is_short=True)


@pytest.mark.parametrize(
    ("text", "list_id"),
    [
        (f"https://www.youtube.com/playlist?list={PLAYLIST_ID}", PLAYLIST_ID),
        (f"https://www.youtube.com/playlist?list={PLAYLIST_ID}&si=AbCdEf", PLAYLIST_ID),
        (f"https://music.youtube.com/playlist?list={PLAYLIST_ID}", PLAYLIST_ID),
        (f"https://m.youtube.com/playlist?list={PLAYLIST_ID}&feature=share", PLAYLIST_ID),
        (f"https://www.youtube.com/watch?list={PLAYLIST_ID}", PLAYLIST_ID),
        (f"https://music.youtube.com/browse/VL{PLAYLIST_ID}", PLAYLIST_ID),
        (
            "https://www.youtube.com/embed/videoseries?list=PL6IaIsEjSbf96XFRuNccS_RuEXwNdsoEu",
            "PL6IaIsEjSbf96XFRuNccS_RuEXwNdsoEu",
        ),
        ("https://www.youtube.com/playlist?list=UU8l9frL61Yl5KFOl87nIm2w", "UU8l9frL61Yl5KFOl87nIm2w"),
        (
            "https://music.youtube.com/playlist?list=OLAK5uy_m4xAFdmMC5rX3Ji3g93pQe3hqLZw_9LhM",
            "OLAK5uy_m4xAFdmMC5rX3Ji3g93pQe3hqLZw_9LhM",
        ),
        (
            "https://music.youtube.com/playlist?list=RDCLAK5uy_kmPRjHDECIcuVwnKsx2Ng7fyNgFKWNJFs",
            "RDCLAK5uy_kmPRjHDECIcuVwnKsx2Ng7fyNgFKWNJFs",
        ),
    ],
)
def test_playlist_links_become_one_playlist_url(text: str, list_id: str) -> None:
    link = normalize_link(text)

    assert link == MediaLink(
        url=f"https://www.youtube.com/playlist?list={list_id}",
        kind="playlist",
        media_key=f"youtube-playlist:{list_id}",
    )


@pytest.mark.parametrize(
    ("text", "expected_reason"),
    [
        ("https://www.youtube.com/@mkbhd", "is a channel page; share a video or a playlist"),
        ("https://www.youtube.com/@NotJustBikes/shorts", "is a channel page"),
        ("https://www.youtube.com/@sbcitygov/streams", "is a channel page"),
        ("https://www.youtube.com/@3blue1brown/videos?view=0", "is a channel page"),
        ("https://www.youtube.com/channel/UCTwECeGqMZee77BjdoYtI2Q", "is a channel page"),
        ("https://www.youtube.com/channel/UCTwECeGqMZee77BjdoYtI2Q/videos", "is a channel page"),
        ("https://www.youtube.com/c/ChristophLaimer/playlists", "is a channel page"),
        ("https://www.youtube.com/user/NASAgovVideo/videos", "is a channel page"),
        ("http://www.youtube.com/NASAgovVideo/videos", "is a channel page"),
        ("https://www.youtube.com/zsecurity", "is a channel page"),
        ("https://music.youtube.com/channel/UCmlqkdCBesrv2Lak1mF_MxA", "is a channel page"),
        ("https://music.youtube.com/browse/UC9ALqqC4aIeG5iDs7i90Bfw", "is a channel page"),
        ("https://www.youtube.com/", "is the YouTube home page"),
        ("https://youtube.com", "is the YouTube home page"),
        ("https://m.youtube.com/?si=abc", "is the YouTube home page"),
        ("https://www.youtube.com/results?search_query=kurzgesagt", "is a search results page"),
        ("https://music.youtube.com/search?q=royalty+free+music", "is a search results page"),
        ("https://www.youtube.com/feed/subscriptions", "is a feed page"),
        ("https://www.youtube.com/feed/trending", "is a feed page"),
        ("https://www.youtube.com/hashtag/cats", "is a feed page"),
        ("https://www.youtube.com/shorts", "is a feed page"),
        ("https://www.youtube.com/post/UgkxAbCdEf", "not a video or a playlist"),
        ("https://www.youtube.com/watch", "has no video id"),
        ("https://www.youtube.com/watch?feature=share", "has no video id"),
        ("https://www.youtube.com/watch?t=2372", "has no video id"),
        ("https://youtu.be/", "has no video id"),
        ("https://www.youtube.com/embed/", "has no video id"),
        ("https://www.youtube.com/watch?v=N_708QY7Ob", 'invalid video id "N_708QY7Ob"'),
        (f"https://www.youtube.com/watch?v={VID}X", "exactly 11 letters, digits"),
        ("https://youtu.be/dQw4w9WgXc!", "invalid video id"),
        ("https://www.youtube.com/shorts/abc", "invalid video id"),
        (f"https://www.youtube.com/playlist?list=RD{VID}", "is a YouTube Mix"),
        ("https://www.youtube.com/playlist?list=RDMM", "is a YouTube Mix"),
        ("https://www.youtube.com/playlist?list=WL", "private list"),
        ("https://www.youtube.com/playlist?list=LL", "private list"),
        ("https://www.youtube.com/playlist?list=PLshort", "invalid playlist id"),
        ("https://www.youtube.com/playlist", "has no playlist id"),
        ("https://www.youtube.com/embed/videoseries", "has no playlist id"),
        ("https://www.youtube.com/embed/live_stream?channel=UC2_KI6RB__jGdlnK6dvFEZA", "live-stream"),
        ("https://www.youtube.com/attribution_link?a=8g8kPrPIi-ecwIDg", "without a usable link"),
        # urllib raises a bare ValueError for an unbalanced "[" in the wrapped link's host
        ("https://consent.youtube.com/m?continue=//%5Bx", "is not a valid web address"),
        ("https://www.youtube.com/attribution_link?u=//x%5D/watch", "is not a valid web address"),
    ],
)
def test_youtube_pages_that_are_not_media_are_refused_with_a_reason(text: str, expected_reason: str) -> None:
    with pytest.raises(UnsupportedLink) as refused:
        normalize_link(text)

    assert expected_reason in refused.value.reason
    assert str(refused.value) == refused.value.reason


@pytest.mark.parametrize(
    ("text", "url", "episode_id"),
    [
        (APPLE_EPISODE, APPLE_EPISODE, "1000482637777"),
        (APPLE_EPISODE + "&uo=4&at=1000lHKX&ct=share", APPLE_EPISODE, "1000482637777"),
        (APPLE_EPISODE + "#listen", APPLE_EPISODE, "1000482637777"),
        (
            "https://podcasts.apple.com/podcast/id1135137367?i=1000482637777",
            "https://podcasts.apple.com/podcast/id1135137367?i=1000482637777",
            "1000482637777",
        ),
        (
            "https://podcasts.apple.com/podcast/207-whitney-webb-returns?i=1000482637777",
            "https://podcasts.apple.com/podcast/207-whitney-webb-returns?i=1000482637777",
            "1000482637777",
        ),
        (
            "https://itunes.apple.com/us/podcast/some-show/id1234567?i=1000400000001&mt=2",
            "https://podcasts.apple.com/us/podcast/some-show/id1234567?i=1000400000001",
            "1000400000001",
        ),
        (
            "https://embed.podcasts.apple.com/gb/podcast/some-show/id1234567/?i=1000400000001",
            "https://podcasts.apple.com/gb/podcast/some-show/id1234567?i=1000400000001",
            "1000400000001",
        ),
        (
            "https://podcasts.apple.com/jp/podcast/日本のポッドキャスト/id1234567?i=1000400000002",
            "https://podcasts.apple.com/jp/podcast/%E6%97%A5%E6%9C%AC%E3%81%AE%E3%83%9D%E3%83%83%E3%83%89"
            "%E3%82%AD%E3%83%A3%E3%82%B9%E3%83%88/id1234567?i=1000400000002",
            "1000400000002",
        ),
        (f"Listen to this episode {APPLE_EPISODE}&uo=4", APPLE_EPISODE, "1000482637777"),
    ],
)
def test_apple_podcast_episodes_keep_their_page_and_key_on_the_episode(
    text: str, url: str, episode_id: str
) -> None:
    assert normalize_link(text) == MediaLink(
        url=url, kind="apple_episode", media_key=f"apple-episode:{episode_id}"
    )


@pytest.mark.parametrize(
    ("text", "expected_reason"),
    [
        (APPLE_SHOW, "is a podcast show, not an episode; to follow it, subscribe with POST /api/podcasts"),
        (APPLE_SHOW + "?uo=4", "POST /api/podcasts"),
        ("https://itunes.apple.com/podcast/id1135137367", "is a podcast show"),
        ("https://podcasts.apple.com/us/channel/the-ringer/id6442463498", "not an episode"),
        ("https://podcasts.apple.com/us/browse", "not an episode"),
        ("https://podcasts.apple.com/us/podcast/x/id1135137367?i=latest", "invalid episode id"),
    ],
)
def test_apple_podcast_pages_that_are_not_episodes_are_refused(text: str, expected_reason: str) -> None:
    with pytest.raises(UnsupportedLink) as refused:
        normalize_link(text)

    assert expected_reason in refused.value.reason


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        (APPLE_SHOW, ("1135137367", None)),
        (APPLE_EPISODE, ("1135137367", "1000482637777")),
        ("Follow podcasts.apple.com/de/podcast/x/id42?uo=4 now", ("42", None)),
        ("https://podcasts.apple.com/podcast/207-whitney-webb-returns?i=1000482637777", None),
        (WATCH, None),
        ("not a link", None),
    ],
)
def test_apple_podcast_ids_for_the_podcasts_feature(text: str, ids: tuple[str, str | None] | None) -> None:
    assert apple_podcast_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://127.0.0.1:8765/videos/one.html", "http://127.0.0.1:8765/videos/one.html"),
        ("http://localhost:8000/feed.xml?x=1", "http://localhost:8000/feed.xml?x=1"),
        ("http://[::1]:9000/page", "http://[::1]:9000/page"),
        ("https://vimeo.com/76979871", "https://vimeo.com/76979871"),
        ("https://Vimeo.COM:443/76979871", "https://vimeo.com/76979871"),
        (
            "https://www.dailymotion.com/video/x8abc12?utm_source=twitter&utm_medium=social&playlist=x6",
            "https://www.dailymotion.com/video/x8abc12?playlist=x6",
        ),
        (
            "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk?si=1a2b3c4d",
            "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk",
        ),
        ("https://example.com/watch?id=7&fbclid=IwAR0abc&gclid=xyz", "https://example.com/watch?id=7"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./page", "https://example.com/page"),
        ("https://bücher.de/Köln", "https://xn--bcher-kva.de/K%C3%B6ln"),
        ("https://例え.テスト/動画", "https://xn--r8jz45g.xn--zckzah/%E5%8B%95%E7%94%BB"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://www.twitch.tv/videos/123456#chat", "https://www.twitch.tv/videos/123456#chat"),
        ("https://invidio.us/watch?v=YE7VzlLtp-4", "https://invidio.us/watch?v=YE7VzlLtp-4"),
        ("www.vimeo.com/76979871.", "https://www.vimeo.com/76979871"),
    ],
)
def test_other_sites_are_left_to_the_extractor_with_tracking_dropped(text: str, url: str) -> None:
    assert normalize_link(text) == MediaLink(url=url, kind="video", media_key=None)


@pytest.mark.parametrize(
    ("text", "expected_reason"),
    [
        ("", "no link found"),
        ("   \n\t ", "no link found"),
        ("just some words, no link", 'no link found in "just some words, no link"'),
        ("x" * 5000, "no link found in"),
        ("ftp://example.com/video.mp4", '("ftp:"); only http and https links'),
        ("javascript:alert(document.cookie)", '("javascript:")'),
        ("data:text/html,<script>alert(1)</script>", '("data:")'),
        ("file:///etc/passwd", '("file:")'),
        ("mailto:someone@example.com", '("mailto:")'),
        ("https://user:secret@example.com/video", "contains a user name or password"),
        ("https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ", "contains a user name or password"),
        ("https://example.com/a\x00b", "control or invalid characters"),
        ("https://example.com/\u202egnp.exe", "control or invalid characters"),
        ("https://example.com/\ud800", "control or invalid characters"),
        ("https://exa mple.com/video", "has a space in it"),
        ("https://www.youtube.com/watch?v=dQw4w9 WgXcQ", "has a space in it"),
        ("https://example.com/my video.mp4", "has a space in it"),
        (f"https://youtu.be/{VID} https://youtu.be/BaW_jenozKc", "more than one link"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, f"more than the {MAX_URL_LENGTH} allowed"),
        ("https://", "has no host name"),
        ("https:///watch?v=dQw4w9WgXcQ", "has no host name"),
        ("http://intranet/video", 'invalid host name "intranet"'),
        ("https://-bad-.example.com/", "invalid host name"),
        ("https://example.123/", "invalid host name"),
        ("http://2130706433/", "invalid host name"),
        ("http://999.1.1.1/", "invalid host name"),
        ("https://example.com:99999/", "invalid port"),
        ("https://example.com:0/", "invalid port"),
        ("http://169.254.169.254/latest/meta-data/", "reserved network address"),
        ("http://0.0.0.0:8000/", "reserved network address"),
        ("http://[::ffff:127.0.0.1]/", "reserved network address"),
        ("https://[not-ipv6/", "not a valid web address"),
    ],
)
def test_links_that_cannot_be_added_are_refused_with_a_reason(text: str, expected_reason: str) -> None:
    with pytest.raises(UnsupportedLink) as refused:
        normalize_link(text)

    assert expected_reason in refused.value.reason


def test_a_refusal_never_repeats_a_password_and_stays_one_short_line() -> None:
    with pytest.raises(UnsupportedLink) as refused:
        normalize_link("https://alice:hunter2@example.com/" + "x" * 3000)

    assert "hunter2" not in refused.value.reason
    assert "\n" not in refused.value.reason
    assert len(refused.value.reason) < 300


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (f"Look at this https://youtu.be/{VID}?si=xyz — wow", f"https://youtu.be/{VID}?si=xyz"),
        (f"Never Gonna Give You Up\nhttps://youtu.be/{VID}", f"https://youtu.be/{VID}"),
        (f"https://youtu.be/{VID}\n\nShared from the YouTube app", f"https://youtu.be/{VID}"),
        (f'He said "https://www.youtube.com/watch?v={VID}".', WATCH),
        (f"(see https://www.youtube.com/watch?v={VID})", WATCH),
        (f"<https://www.youtube.com/watch?v={VID}>", WATCH),
        (f"[the video](https://www.youtube.com/watch?v={VID}&t=1s)!", f"{WATCH}&t=1s"),
        (f"Watch: https://www.youtube.com/watch?v={VID}, then tell me…", WATCH),
        (f"Watch “https://www.youtube.com/watch?v={VID}”", WATCH),
        (f"link:https://youtu.be/{VID}!!", f"https://youtu.be/{VID}"),
        (f"\u200bhttps://youtu.be/{VID}\u200b", f"https://youtu.be/{VID}"),
        ("see https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        (f"try youtu.be/{VID} later", f"https://youtu.be/{VID}"),
        (f"try www.youtube.com/watch?v={VID}.", f"https://www.youtube.com/watch?v={VID}"),
        (f"//www.youtube.com/watch?v={VID}", f"https://www.youtube.com/watch?v={VID}"),
        ("first http://a.example/1 then https://b.example/2", "http://a.example/1"),
        ("HTTPS://EXAMPLE.COM/X", "HTTPS://EXAMPLE.COM/X"),
        ("no link here", None),
        ("mail me at someone@youtube.com", None),
        ("file.txt or e.g. this", None),
        ("ftp://example.com/x", None),
    ],
)
def test_find_url_picks_the_link_out_of_share_sheet_text(text: str, url: str | None) -> None:
    assert find_url(text) == url


@pytest.mark.parametrize(
    ("text", "video_id"),
    [
        (f"https://youtu.be/{VID}?si=abc", VID),
        (f"https://www.youtube.com/shorts/{VID}", VID),
        (f"Look: https://m.youtube.com/watch?v={VID}&pp=x", VID),
        (PLAYLIST, None),
        ("https://www.youtube.com/@mkbhd", None),
        ("https://vimeo.com/76979871", None),
        ("no link", None),
    ],
)
def test_youtube_video_id(text: str, video_id: str | None) -> None:
    assert youtube_video_id(text) == video_id


def test_a_shared_video_and_the_same_video_from_a_playlist_share_one_key() -> None:
    # Given the same video shared from the app, from a playlist page and as a short
    shared = [
        f"https://youtu.be/{VID}?si=one",
        f"https://www.youtube.com/watch?v={VID}&list={PLAYLIST_ID}&index=2&pp=two",
        f"https://m.youtube.com/shorts/{VID}",
    ]

    # Then they all dedup to one media key
    assert {normalize_link(text).media_key for text in shared} == {f"youtube:{VID}"}


def test_every_kind_returned_is_a_kind_the_extract_queue_accepts() -> None:
    samples = [WATCH, PLAYLIST, APPLE_EPISODE, "https://vimeo.com/1"]

    assert {normalize_link(s).kind for s in samples} <= set(get_args(ExtractKind))


def test_importing_the_link_modules_does_not_load_yt_dlp_or_pydantic() -> None:
    # The API function imports this on every cold start; yt-dlp alone takes about a second.
    code = (
        "import sys, watcharr.domain.links.classify; print(sorted({'yt_dlp', 'pydantic'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


# ---- properties --------------------------------------------------------------------------------

VIDEO_IDS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=11, max_size=11
).filter(lambda video_id: video_id.lower() not in {"videoseries", "live_stream"})


@settings(max_examples=300)
@given(video_id=VIDEO_IDS, form=st.sampled_from(VIDEO_FORMS + SHORTS_FORMS), wrap=st.booleans())
def test_any_video_id_round_trips_through_every_form(video_id: str, form: str, wrap: bool) -> None:
    text = form.format(id=video_id)
    if wrap:
        text = f"Look at this {text} — wow"

    link = normalize_link(text)

    assert link.media_key == f"youtube:{video_id}"
    assert link.is_short is (form in SHORTS_FORMS)
    assert youtube_video_id(text) == video_id
    assert normalize_link(link.url) == link


@settings(max_examples=300)
@given(text=st.text(max_size=300))
def test_arbitrary_text_is_normalised_or_refused_and_nothing_else(text: str) -> None:
    _assert_normalised_or_refused(text)


# fmt: off
URLISH_PARTS = st.sampled_from(
    ["https://", "http://", "HTTP://", "//", "www.", "youtube.com", "youtu.be/", "m.youtube.com/",
     "podcasts.apple.com/us/podcast/x/id1", "?i=", "watch?v=", "shorts/", "embed/", "playlist?list=",
     "attribution_link?u=", "consent.youtube.com/m?continue=", "%2F", "%3F", "%3D", "%26", "&amp;", "&",
     "=", "?", "#", "#!", "/", ":", ":8080", "@", "[", "]", "::1", "127.0.0.1", "localhost", ".", "..",
     "xn--", "é", "例", "\u200b", "\u202e", "\x00", "\ud800", " ", "\n", "(", ")", '"', "'", ",",
     "utm_source=x", "si=y", "list=RD", "list=WL", "PL" + "a" * 16, VID, VID[:10], "-", "_"]
)
# fmt: on


@settings(max_examples=1000)
@given(text=st.lists(URLISH_PARTS, max_size=14).map("".join))
def test_url_like_garbage_is_normalised_or_refused_and_nothing_else(text: str) -> None:
    _assert_normalised_or_refused(text)


def _assert_normalised_or_refused(text: str) -> None:
    try:
        link = normalize_link(text)
    except UnsupportedLink as refused:
        assert refused.reason
        assert "Traceback" not in refused.reason
        return
    assert link.url.startswith(("http://", "https://"))
    assert len(link.url) <= MAX_URL_LENGTH
    assert normalize_link(link.url) == link
