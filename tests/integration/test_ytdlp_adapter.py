"""Real yt-dlp against the local origin server: metadata, playlists and every kind of broken site."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from yt_dlp.networking.common import _REQUEST_HANDLERS

from tests.support.origin import OriginServer
from watcharr.adapters.ytdlp import extract_media, list_playlist, media_from_info
from watcharr.domain.extraction_errors import PermanentExtractionError, TransientExtractionError
from watcharr.settings import Settings

# The origin is on 127.0.0.1: local mode's setting lets the guard pass it (tests below turn it off).
SETTINGS = Settings(socket_timeout=1.0, allow_private_network=True)


@pytest.fixture(scope="module")
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        yield server


def test_json_ld_page_gives_every_field_without_fetching_the_media(origin: OriginServer):
    media = extract_media(origin.url("/video/full"), SETTINGS)

    assert media.title == "Test video full"
    assert media.description == "Description of test video full."
    assert media.duration == 63
    assert media.thumbnail_url == origin.url("/thumbs/full.jpg")
    assert media.upload_date == "2024-03-15"
    assert media.published_date == "2024-03-15"
    assert media.view_count == 12345
    assert media.type == "video"
    assert media.url == origin.url("/video/full")
    assert media.is_short is False
    assert media.partial is False
    assert media.channel is not None
    assert media.channel.name == "Origin Channel"
    assert media.channel.type == "video"
    # Metadata only: the page was read once and the video file never requested.
    assert origin.hits("/video/full") == 1
    assert origin.hits("/media/full.mp4") == 0


def test_same_page_gives_same_keys_and_other_sites_do_not_collide(origin: OriginServer):
    first = extract_media(origin.url("/video/same"), SETTINGS)
    again = extract_media(origin.url("/video/same"), SETTINGS)
    other = extract_media(origin.url("/video/other"), SETTINGS)

    assert first.media_key == again.media_key
    assert first.channel == again.channel
    assert other.media_key != first.media_key
    # The generic extractor's id is the last path segment; the key must also name the site.
    assert origin.base_url.removeprefix("http://") in first.media_key


def test_unicode_title_and_description_arrive_intact(origin: OriginServer):
    title = "日本語のタイトル — café «ünïcödé» 🎬 & <tags>"
    description = "Ελληνικά\nи русский"

    media = extract_media(
        origin.url(f"/video/uni?title={quote(title)}&description={quote(description)}"), SETTINGS
    )

    assert media.title == title
    assert media.description == description


def test_opengraph_only_page(origin: OriginServer):
    media = extract_media(origin.url("/og/og1"), SETTINGS)

    assert media.title == "OpenGraph video og1"
    assert media.description == "OpenGraph description og1."
    assert media.thumbnail_url == origin.url("/thumbs/og1.jpg")
    assert media.type == "video"
    assert origin.hits("/media/og1.mp4") == 0


@pytest.mark.parametrize(("name", "media_type"), [("clip.mp4", "video"), ("episode.mp3", "podcast")])
def test_direct_media_file(origin: OriginServer, name: str, media_type: str):
    media = extract_media(origin.url(f"/media/{name}"), SETTINGS)

    assert media.title == name.rsplit(".", 1)[0]
    assert media.type == media_type
    assert media.url == origin.url(f"/media/{name}")


def test_page_whose_video_has_no_formats_still_gives_its_metadata(origin: OriginServer):
    # contentUrl is an HLS manifest with no variants: yt-dlp finds no format at all.
    media = extract_media(origin.url("/video/noformats?formats=none&title=Metadata%20only"), SETTINGS)

    assert media.title == "Metadata only"
    assert media.duration == 63
    assert media.view_count == 12345
    assert media.partial is False


def test_page_that_names_no_video_at_all_is_unsupported(origin: OriginServer):
    with pytest.raises(PermanentExtractionError) as failure:
        extract_media(origin.url("/video/nolink?content=none"), SETTINGS)

    assert failure.value.code == "unsupported_url"


@pytest.mark.parametrize("hint", [True, False])
def test_short_from_hint_or_from_a_vertical_clip_under_a_minute(origin: OriginServer, hint: bool):
    landscape = extract_media(origin.url("/video/wide?duration=30"), SETTINGS, is_short_hint=hint)
    vertical = extract_media(origin.url("/video/tall?duration=30&vertical=1"), SETTINGS, is_short_hint=hint)
    long_vertical = extract_media(origin.url("/video/tall-long?duration=600&vertical=1"), SETTINGS)

    assert landscape.is_short is hint
    assert vertical.is_short is True
    assert long_vertical.is_short is False


@pytest.mark.parametrize("status", [404, 410])
def test_missing_page_is_permanent(origin: OriginServer, status: int):
    with pytest.raises(PermanentExtractionError) as failure:
        extract_media(origin.url(f"/status/{status}"), SETTINGS)

    assert failure.value.code == "not_found"
    assert f"HTTP {status}" in failure.value.reason


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_rate_limits_are_transient(origin: OriginServer, status: int):
    with pytest.raises(TransientExtractionError) as failure:
        extract_media(origin.url(f"/status/{status}"), SETTINGS)

    assert f"HTTP {status}" in failure.value.reason


@pytest.mark.timeout(20)
def test_a_site_that_never_answers_is_a_transient_timeout(origin: OriginServer):
    with pytest.raises(TransientExtractionError) as failure:
        extract_media(origin.url("/hang"), SETTINGS)

    assert failure.value.code == "timeout"


def test_a_refused_connection_is_transient():
    with OriginServer() as gone:
        url = gone.url("/video/1")

    with pytest.raises(TransientExtractionError) as failure:
        extract_media(url, SETTINGS)

    assert failure.value.code == "network"


@pytest.mark.parametrize("path", ["/garbage", "/empty"])
def test_a_page_that_is_neither_html_nor_media_is_permanent(origin: OriginServer, path: str):
    with pytest.raises(PermanentExtractionError) as failure:
        extract_media(origin.url(path), SETTINGS)

    assert failure.value.code == "not_media"
    assert failure.value.reason == "The link does not lead to a video or audio file."


def test_a_playlist_given_as_a_video_is_refused_without_fetching_entries(origin: OriginServer):
    with pytest.raises(PermanentExtractionError) as failure:
        extract_media(origin.url("/playlist/4?title=as-video"), SETTINGS)

    assert failure.value.code == "playlist"
    assert origin.requests[-1] == ("GET", "/playlist/4?title=as-video")


def test_flat_playlist_lists_every_entry_without_fetching_one(origin: OriginServer):
    origin.reset_counters()

    listing = list_playlist(origin.url("/playlist/7?title=Seven"), SETTINGS, limit=50)

    assert listing.title == "Seven"
    assert listing.entries == [origin.url(f"/video/{i}") for i in range(1, 8)]
    assert (listing.total, listing.left_out) == (7, 0)
    assert origin.hits_under("/video/") == 0
    assert origin.requests == [("GET", "/playlist/7?title=Seven")]


def test_playlist_beyond_the_limit_counts_what_was_left_out(origin: OriginServer):
    listing = list_playlist(origin.url("/playlist/12"), SETTINGS, limit=5)

    assert listing.entries == [origin.url(f"/video/{i}") for i in range(1, 6)]
    assert (listing.total, listing.left_out) == (12, 7)


def test_a_single_video_listed_as_a_playlist_is_a_listing_of_itself(origin: OriginServer):
    listing = list_playlist(origin.url("/video/alone"), SETTINGS, limit=5)

    assert listing.entries == [origin.url("/video/alone")]
    assert (listing.total, listing.left_out) == (1, 0)


def test_playlist_errors_are_classified_too(origin: OriginServer):
    with pytest.raises(PermanentExtractionError):
        list_playlist(origin.url("/status/404"), SETTINGS, limit=5)
    with pytest.raises(TransientExtractionError):
        list_playlist(origin.url("/status/503"), SETTINGS, limit=5)


# YouTube cannot be reached from here. These are the fields yt-dlp's YouTube extractor returns for the
# "Big Buck Bunny" test in yt_dlp/extractor/youtube/_video.py (its info dict keys and values), plus
# what extract_info adds (fulltitle, webpage_url, original_url, extractor_key, formats).
BIG_BUCK_BUNNY: dict[str, object] = {
    "id": "YE7VzlLtp-4",
    "title": "Big Buck Bunny",
    "fulltitle": "Big Buck Bunny",
    "description": "Big Buck Bunny tells the story of a giant rabbit.",
    "media_type": "video",
    "uploader": "Blender",
    "uploader_id": "@BlenderOfficial",
    "uploader_url": "https://www.youtube.com/@BlenderOfficial",
    "channel": "Blender",
    "channel_id": "UCSMOQeBJ2RAnuFungnQOxLg",
    "channel_url": "https://www.youtube.com/channel/UCSMOQeBJ2RAnuFungnQOxLg",
    "view_count": 1234567,
    "duration": 597,
    "thumbnail": "https://i.ytimg.com/vi/YE7VzlLtp-4/maxresdefault.jpg",
    "upload_date": "20080529",
    "live_status": "not_live",
    "extractor_key": "Youtube",
    "webpage_url": "https://www.youtube.com/watch?v=YE7VzlLtp-4",
    "original_url": "https://youtu.be/YE7VzlLtp-4",
    "formats": [
        {"format_id": "sb0", "ext": "mhtml", "vcodec": "none", "acodec": "none"},
        {"format_id": "140", "ext": "m4a", "vcodec": "none", "acodec": "mp4a.40.2"},
        {"format_id": "137", "ext": "mp4", "vcodec": "avc1.640028", "acodec": "none"},
    ],
}


def test_youtube_info_maps_to_the_youtube_key_and_channel():
    media = media_from_info(BIG_BUCK_BUNNY, "https://youtu.be/YE7VzlLtp-4")

    assert media.media_key == "youtube:YE7VzlLtp-4"
    assert media.url == "https://www.youtube.com/watch?v=YE7VzlLtp-4"
    assert (media.title, media.duration, media.view_count) == ("Big Buck Bunny", 597, 1234567)
    assert media.upload_date == "2008-05-29"
    assert media.type == "video"
    assert media.is_short is False
    assert media.channel is not None
    assert media.channel.id == "UCSMOQeBJ2RAnuFungnQOxLg"
    assert (media.channel.name, media.channel.url) == (
        "Blender",
        "https://www.youtube.com/channel/UCSMOQeBJ2RAnuFungnQOxLg",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"original_url": "https://www.youtube.com/shorts/18NGQq7p3LY"},
        {"media_type": "short"},
    ],
)
def test_youtube_shorts_are_recognised(changes: dict[str, object]):
    media = media_from_info({**BIG_BUCK_BUNNY, **changes}, str(changes.get("original_url", "x")))

    assert media.is_short is True


def test_youtube_info_without_a_channel_id_falls_back_to_the_uploader():
    info = {**BIG_BUCK_BUNNY, "channel_id": None, "channel_url": None, "channel": None}

    media = media_from_info(info, "https://youtu.be/YE7VzlLtp-4", partial=True)

    assert media.channel is not None
    assert (media.channel.id, media.channel.name) == ("@BlenderOfficial", "Blender")
    assert media.partial is True


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_yt_dlp_errors_reach_the_service_log_without_secrets(origin: OriginServer):
    records = _Records()
    service_log = logging.getLogger("watcharr")
    service_log.addHandler(records)
    try:
        with pytest.raises(PermanentExtractionError):
            extract_media(origin.url("/video/nolink?content=none&key=SECRET-API-KEY"), SETTINGS)
    finally:
        service_log.removeHandler(records)

    logged = [str(getattr(r, "ytdlp_message", "")) for r in records.records]
    assert any("Unsupported URL" in line for line in logged), logged
    assert not any("SECRET-API-KEY" in line for line in logged)


PLUGIN = """
from yt_dlp.extractor.common import InfoExtractor


class HijackOriginIE(InfoExtractor):
    _VALID_URL = r"http://127\\.0\\.0\\.1:\\d+/video/.+"

    def _real_extract(self, url):
        return {"id": "hijacked", "title": "HIJACKED BY PLUGIN", "url": url, "ext": "mp4"}
"""

PLAIN_YT_DLP = (
    "import sys, yt_dlp\n"
    "print(yt_dlp.YoutubeDL({'quiet': True}).extract_info(sys.argv[1], download=False)['title'])"
)
ADAPTER = (
    "import sys\n"
    "from watcharr.adapters.ytdlp import extract_media\n"
    "from watcharr.settings import Settings\n"
    "print(extract_media(sys.argv[1], Settings(allow_private_network=True)).title)"
)


def test_installed_yt_dlp_plugins_are_not_loaded(origin: OriginServer, tmp_path: Path):
    # Plugin loading is decided once per process, so each case runs in a fresh interpreter.
    extractor_dir = tmp_path / "yt_dlp_plugins" / "extractor"
    extractor_dir.mkdir(parents=True)
    (extractor_dir / "hijack_origin.py").write_text(PLUGIN)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "POWERTOOLS_LOG_LEVEL": "ERROR"}

    def title_printed_by(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, origin.url("/video/plugin")],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip().splitlines()[-1]

    # Given a plugin that plain yt-dlp does pick up for the origin's pages
    assert title_printed_by(PLAIN_YT_DLP) == "HIJACKED BY PLUGIN"
    # Then the adapter ignores it
    assert title_printed_by(ADAPTER) == "Test video plugin"


def test_the_guard_refuses_non_public_addresses_at_the_socket(origin: OriginServer):
    # With private addresses not allowed (AWS), the connection to 127.0.0.1 is refused before it is
    # opened. The guard wraps yt-dlp's socket factory, so every redirect hop passes it the same way.
    with pytest.raises(PermanentExtractionError, match="loopback"):
        extract_media(origin.url("/video/guarded"), Settings(socket_timeout=1.0))
    with pytest.raises(PermanentExtractionError, match="loopback"):
        extract_media(origin.url("/redirect?to=/video/guarded"), Settings(socket_timeout=1.0))
    assert origin.hits("/video/guarded") == 0 and origin.hits("/redirect") == 0


def test_yt_dlp_uses_its_urllib_handler_as_on_lambda(origin: OriginServer):
    extract_media(origin.url("/video/handler"), SETTINGS)
    assert list(_REQUEST_HANDLERS) == ["Urllib"]


def test_a_reused_instance_carries_no_cookie_from_one_link_to_the_next():
    # Page /a sets a cookie, as a site does for one user's visit; the next link must not send it back.
    seen_cookies: list[str | None] = []
    page = (
        b'<html><head><meta property="og:title" content="Cookie page">'
        b'<meta property="og:video" content="/media/clip.mp4"></head></html>'
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen_cookies.append(self.headers.get("Cookie"))
            self.send_response(200)
            if self.path.startswith("/media/"):
                self.send_header("Content-Type", "video/mp4")
                body = b"\x00" * 16
            else:
                self.send_header("Content-Type", "text/html")
                self.send_header("Set-Cookie", "session=alice; Path=/")
                body = page
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        extract_media(f"{base}/a", SETTINGS)
        cookies_after_first = len(seen_cookies)
        extract_media(f"{base}/b", SETTINGS)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert cookies_after_first >= 1
    assert seen_cookies[cookies_after_first] is None  # /b, the next link: no cookie from /a


def test_escape_sequences_and_bidi_overrides_from_a_page_are_not_stored(origin: OriginServer):
    title = "\x1b]0;owned\x07\x1b[2JBreaking \u202enews\x00"
    author = "\x1b[31mEvil\x1b[0m Channel"

    media = extract_media(
        origin.url(
            f"/video/esc?title={quote(title)}&author={quote(author)}&description={quote('d' * 20_000)}"
        ),
        SETTINGS,
    )

    assert media.title == "Breaking news"
    assert media.channel is not None and media.channel.name == "Evil Channel"
    assert media.description is not None and len(media.description) == 10_000


def test_script_urls_in_what_an_extractor_returns_become_null():
    # yt-dlp's generic extractor drops such URLs itself; site extractors pass on what a site says.
    info = {
        **BIG_BUCK_BUNNY,
        "thumbnail": " JavaScript:alert(1)",
        "channel_url": "data:text/html,<script>alert(2)</script>",
        "webpage_url": "vbscript:msgbox(3)",
    }

    media = media_from_info(info, "https://youtu.be/YE7VzlLtp-4")

    assert media.thumbnail_url is None
    assert media.channel is not None and media.channel.url is None
    # The link the person shared stands in for a page URL that is not http(s).
    assert media.url == "https://youtu.be/YE7VzlLtp-4"


def test_nothing_is_rendered_for_print_templates_the_adapter_never_sets(
    origin: OriginServer, monkeypatch: pytest.MonkeyPatch
):
    import yt_dlp

    rendered: list[str] = []
    real_table = yt_dlp.YoutubeDL.render_formats_table

    def counted(self: object, info: dict[str, object]) -> object:
        rendered.append(str(info.get("id")))
        return real_table(self, info)  # type: ignore[arg-type]

    monkeypatch.setattr(yt_dlp.YoutubeDL, "render_formats_table", counted)
    quick = extract_media(origin.url("/video/printless"), SETTINGS)
    assert rendered == []
    # yt-dlp's own _forceprint, with its tables, gives the very same metadata.
    from watcharr.adapters import ytdlp

    monkeypatch.setattr(ytdlp._youtube_dl(), "_forceprint", yt_dlp.YoutubeDL._forceprint)
    assert extract_media(origin.url("/video/printless"), SETTINGS) == quick
    assert len(rendered) == 2  # what was skipped: once before the match filter, once after


def test_a_print_template_if_one_were_set_still_prints(
    origin: OriginServer, capsys: pytest.CaptureFixture[str]
):
    from watcharr.adapters import ytdlp

    allowed = ytdlp._ALLOW_PRIVATE.set(True)  # the origin is on 127.0.0.1, as in local mode
    try:
        with ytdlp._youtube_dl()({"quiet": True, "forceprint": {"pre_process": ["%(title)s"]}}) as ydl:
            ydl.extract_info(origin.url("/video/printed?title=Printed%20title"), download=False)
    finally:
        ytdlp._ALLOW_PRIVATE.reset(allowed)
    assert capsys.readouterr().out.strip() == "Printed title"


# One player of each kind a post may embed (yt-dlp's embed patterns; nothing here is fetched).
PLAYERS = """<html><body>
<iframe src="https://www.youtube.com/embed/YE7VzlLtp-4"></iframe>
<iframe src="https://player.vimeo.com/video/76979871"></iframe>
<iframe src="https://www.dailymotion.com/embed/video/x7tgad0"></iframe>
<iframe src="https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com/tracks/293"></iframe>
<iframe src="https://fast.wistia.net/embed/iframe/abcdefghij"></iframe>
<iframe src="https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk"></iframe>
<iframe src="https://player.twitch.tv/?video=v123"></iframe>
</body></html>"""


@pytest.mark.parametrize("page", [PLAYERS, "<html><body><p>No player here.</p></body></html>"])
def test_the_generic_extractor_finds_the_embeds_yt_dlp_finds_asking_far_fewer_extractors(page: str):
    from yt_dlp.extractor.generic import GenericIE

    from watcharr.adapters import ytdlp

    ydl = ytdlp._youtube_dl()({"quiet": True})
    ours = ydl.get_info_extractor("Generic")
    assert isinstance(ours, ytdlp._generic_ie()) and list(ydl._ies)[-1] == "Generic"

    def embeds(generic: GenericIE) -> list[tuple[str, str]]:
        return [(e["url"], e["ie_key"]) for e in generic._extract_embeds("https://blog.example/post", page)]

    assert embeds(ours) == embeds(GenericIE(ydl))
    if page is PLAYERS:
        assert {key for _, key in embeds(ours)} >= {"Youtube", "Vimeo", "Dailymotion", "Wistia"}
    asked = [ie for ie in ydl._ies.values() if ytdlp._finds_embeds(ie)]
    # Every extractor with an embed pattern is asked; most extractors have none and are not.
    assert all(ytdlp._finds_embeds(ie) for ie in ydl._ies.values() if ie._EMBED_REGEX)
    assert 50 < len(asked) < len(ydl._ies) / 4
