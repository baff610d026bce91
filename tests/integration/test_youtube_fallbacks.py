"""YouTube from a datacenter: the bot check, the Data API and oEmbed fallbacks, batches, the refresh.

YouTube cannot be reached from here, and it would not bot-check this machine on demand anyway. So the
refusal is injected at the narrowest point: ``standin_youtube_extractor`` swaps yt-dlp's YoutubeIE for a
subclass that reads a player response from a local server and words the refusal with yt-dlp's own code
path; everything after that (yt-dlp's warning handling, our adapter, the classification, the fallbacks,
both queues, the persister, the scheduled refresh) is the real thing. The Data API and oEmbed are local
servers answering in the shapes Google documents (tests/support/youtube_fakes.py).
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from tests.support.lambda_env import LambdaWorld, create_user
from tests.support.origin import OriginServer, StaticRoute
from tests.support.youtube_fakes import (
    BOT_CHECK,
    QUOTA_EXCEEDED,
    CountingProxy,
    FakeVideo,
    FakeYouTube,
    standin_youtube_extractor,
    youtube_settings_env,
)
from watcharr.adapters import secrets
from watcharr.adapters.oembed import OEmbedError, fetch_oembed
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.youtube_data_api import (
    YouTubeApiError,
    fetch_videos,
    list_playlist_videos,
)
from watcharr.adapters.ytdlp import extract_media
from watcharr.local.context import LocalContext
from watcharr.observability import logger
from watcharr.settings import Settings, get_settings

BUNNY = "YE7VzlLtp-4"
BLOCKED = "tJ51nR4-tLs"
GONE = "xTo79sPCVXA"


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake, standin_youtube_extractor(fake):
        fake.add(FakeVideo(BUNNY, "Big Buck Bunny"))
        fake.add(FakeVideo(BLOCKED, "Refused from the datacenter", refusal=BOT_CHECK, duration="PT9M57S"))
        yield fake


def settings_for(fake: FakeYouTube, *, with_key: bool, **extra: Any) -> Settings:
    # The fakes listen on 127.0.0.1, which only local mode's setting lets yt-dlp's guard reach.
    extra.setdefault("allow_private_network", True)
    return Settings(
        socket_timeout=2,
        youtube_api_url=fake.api_url,
        youtube_oembed_url=fake.oembed_url,
        youtube_api_key=fake.api_key if with_key else "",
        **extra,
    )


def configure(monkeypatch: pytest.MonkeyPatch, fake: FakeYouTube, *, with_key: bool) -> None:
    for name, value in youtube_settings_env(fake, with_key=with_key).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    parameters.clear_caches()


def add_links(world: LambdaWorld, token: str, urls: list[str]) -> str:
    status, accepted = world.call_api(
        "POST", "/api/shortcuts/add-videos", body=[{"url": u} for u in urls], token=token
    )
    assert status == 202, accepted
    return str(accepted["jobId"])


def job(world: LambdaWorld, token: str, job_id: str) -> dict[str, Any]:
    status, answer = world.call_api("GET", f"/api/jobs/{job_id}", token=token)
    assert status == 200
    return answer


def episodes(world: LambdaWorld, token: str) -> dict[str, dict[str, Any]]:
    status, listing = world.call_api("GET", "/api/episodes", token=token, query="limit=100")
    assert status == 200
    return {e["externalId"]: e for e in listing["episodes"]}


def run_schedule(world: LambdaWorld) -> dict[str, Any]:
    answer: dict[str, Any] = world.function("podcast_sync").handler({}, LocalContext("PodcastSyncFunction"))
    return answer


# ---- the Data API and oEmbed adapters, against the local fakes ----------------------------------------


def test_videos_list_maps_every_field_and_leaves_out_unknown_ids(youtube: FakeYouTube) -> None:
    found = fetch_videos([BUNNY, GONE], youtube.api_key, settings_for(youtube, with_key=True))

    assert set(found) == {BUNNY}
    media = found[BUNNY]
    assert (media.media_key, media.title, media.duration) == (f"youtube:{BUNNY}", "Big Buck Bunny", 253)
    assert media.url == f"https://www.youtube.com/watch?v={BUNNY}"
    assert media.thumbnail_url == f"https://i.ytimg.com/vi/{BUNNY}/maxresdefault.jpg"
    assert (media.upload_date, media.view_count, media.partial) == ("2024-03-15", 1234567, False)
    assert media.channel is not None
    assert (media.channel.id, media.channel.name) == ("UCSMOQeBJ2RAnuFungnQOxLg", "Blender")


def test_fifty_ids_are_one_call_and_fifty_one_are_refused(youtube: FakeYouTube) -> None:
    ids = [f"id{i:09d}" for i in range(50)]
    for video_id in ids:
        youtube.add(FakeVideo(video_id, f"Video {video_id}"))

    found = fetch_videos(ids, youtube.api_key, settings_for(youtube, with_key=True))

    assert len(found) == 50
    assert youtube.hits["/youtube/v3/videos"] == 1
    with pytest.raises(ValueError):
        fetch_videos([*ids, "one-too-many"], youtube.api_key, settings_for(youtube, with_key=True))


@pytest.mark.parametrize(
    ("failure", "reason", "retryable"),
    [
        ((403, QUOTA_EXCEEDED), "quotaExceeded", False),
        (
            (
                503,
                {"error": {"code": 503, "message": "Backend Error", "errors": [{"reason": "backendError"}]}},
            ),
            "backendError",
            True,
        ),
    ],
)
def test_api_errors_carry_youtubes_reason_and_never_the_key(
    youtube: FakeYouTube, failure: tuple[int, dict[str, Any]], reason: str, retryable: bool
) -> None:
    youtube.api_failure = failure

    with pytest.raises(YouTubeApiError) as raised:
        fetch_videos([BUNNY], youtube.api_key, settings_for(youtube, with_key=True))

    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)
    assert youtube.api_key not in str(raised.value)
    assert youtube.api_key not in repr(raised.value.__dict__)


def test_a_wrong_key_is_an_error_without_the_key(youtube: FakeYouTube) -> None:
    with pytest.raises(YouTubeApiError) as raised:
        fetch_videos([BUNNY], "AIzaWRONG-KEY", settings_for(youtube, with_key=True))

    assert raised.value.status == 400
    assert "API key not valid" in str(raised.value)
    assert "AIzaWRONG-KEY" not in str(raised.value)


def test_playlist_items_are_read_fifty_per_call_up_to_the_limit(youtube: FakeYouTube) -> None:
    youtube.playlists["PLbunny"] = [f"pl{i:09d}" for i in range(120)]
    settings = settings_for(youtube, with_key=True)

    page = list_playlist_videos("PLbunny", youtube.api_key, settings, limit=60)

    assert page.video_ids == [f"pl{i:09d}" for i in range(60)]
    assert page.total == 120
    assert youtube.hits["/youtube/v3/playlistItems"] == 2


def test_oembed_gives_title_channel_and_picture_marked_partial(youtube: FakeYouTube) -> None:
    media = fetch_oembed(BLOCKED, settings_for(youtube, with_key=False))

    assert (media.title, media.partial, media.duration) == ("Refused from the datacenter", True, None)
    assert media.thumbnail_url == f"https://i.ytimg.com/vi/{BLOCKED}/hqdefault.jpg"
    assert media.channel is not None
    assert (media.channel.id, media.channel.name) == ("@BlenderOfficial", "Blender")


def test_oembed_tells_an_unknown_video_from_one_it_may_not_show(youtube: FakeYouTube) -> None:
    youtube.oembed_unauthorized.add(BUNNY)
    settings = settings_for(youtube, with_key=False)

    with pytest.raises(OEmbedError) as unknown:
        fetch_oembed(GONE, settings)
    with pytest.raises(OEmbedError) as unauthorized:
        fetch_oembed(BUNNY, settings)

    assert unknown.value.not_public is True
    assert unauthorized.value.not_public is False


def test_a_youtube_video_without_any_format_still_gives_its_metadata(youtube: FakeYouTube) -> None:
    # What YouTube gives a JS-less yt-dlp: the player response, no format yt-dlp may use. yt-dlp warns
    # "No video formats found!" and "Requested format is not available"; neither is a refusal.
    media = extract_media(f"https://youtu.be/{BUNNY}", settings_for(youtube, with_key=False))

    assert (media.media_key, media.title, media.duration, media.partial) == (
        f"youtube:{BUNNY}", "Big Buck Bunny", 253, False,
    )  # fmt: skip
    assert media.channel is not None and media.channel.id == "UCSMOQeBJ2RAnuFungnQOxLg"


def test_a_blog_post_that_embeds_a_youtube_player_gives_that_video(youtube: FakeYouTube) -> None:
    # No site extractor claims the post: the generic extractor finds YouTube's player among the
    # page's embeds (asking only the extractors that can find one) and yt-dlp follows it.
    post = f"""<html><head><title>A post about bunnies</title></head><body><p>Watch this:</p>
    <iframe width="560" height="315" src="https://www.youtube.com/embed/{BUNNY}"></iframe></body></html>"""
    with OriginServer() as origin:
        origin.add("/blog/bunnies", StaticRoute(post.encode(), "text/html; charset=utf-8"))
        media = extract_media(origin.url("/blog/bunnies"), settings_for(youtube, with_key=False))

    assert (media.media_key, media.title, media.url) == (
        f"youtube:{BUNNY}", "Big Buck Bunny", f"https://www.youtube.com/watch?v={BUNNY}",
    )  # fmt: skip


# ---- through the whole pipeline ------------------------------------------------------------------------


def test_bot_checked_video_is_added_from_oembed_then_completed_by_the_refresh(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no API key, and YouTube bot-checking one of two videos
    configure(monkeypatch, youtube, with_key=False)
    token = create_user(lambda_world, "alice")

    # When both are added
    job_id = add_links(
        lambda_world, token, [f"https://youtu.be/{BLOCKED}", f"https://www.youtube.com/watch?v={BUNNY}"]
    )
    lambda_world.run_pipeline()

    # Then both end added; the refused one from oEmbed, marked partial, on its first attempt
    answer = job(lambda_world, token, job_id)
    assert answer["totals"]["added"] == 2, answer
    assert {i["attempts"] for i in answer["items"]} == {1}
    listed = episodes(lambda_world, token)
    blocked = listed[f"youtube:{BLOCKED}"]
    assert (blocked["title"], blocked["partialMetadata"], blocked["duration"]) == (
        "Refused from the datacenter", True, None,
    )  # fmt: skip
    assert blocked["channel"]["name"] == "Blender"
    assert listed[f"youtube:{BUNNY}"]["partialMetadata"] is False
    assert youtube.hits["/oembed"] == 1

    # Given the user watched it meanwhile, and YouTube lets the extractor through again
    with sqlite3.connect(lambda_world.database) as db:
        db.execute(
            "UPDATE episodes SET watched = 1, watch_status = 'watched' WHERE external_id = ?",
            (f"youtube:{BLOCKED}",),
        )
    youtube.videos[BLOCKED].refusal = None

    # When the schedule runs
    run_schedule(lambda_world)
    lambda_world.run_pipeline()

    # Then the episode is complete, still watched, and nothing else changed: no new item, no new event
    refreshed = episodes(lambda_world, token)[f"youtube:{BLOCKED}"]
    assert (refreshed["partialMetadata"], refreshed["duration"]) == (False, 253)
    assert refreshed["description"] == "A description."
    assert refreshed["channel"]["id"] == "UCSMOQeBJ2RAnuFungnQOxLg"
    assert (refreshed["watched"], refreshed["id"], refreshed["createdAt"]) == (
        True,
        blocked["id"],
        blocked["createdAt"],
    )
    assert job(lambda_world, token, job_id)["items"] == answer["items"]
    with sqlite3.connect(lambda_world.database) as db:
        events = db.execute("SELECT COUNT(*) FROM media_events").fetchone()[0]
    assert events == 2

    # And a later run has nothing left to refresh
    youtube.hits.clear()
    run_schedule(lambda_world)
    lambda_world.run_pipeline()
    assert youtube.hits["/player/" + BLOCKED] == 0


def test_a_refresh_does_not_bring_back_a_deleted_episode(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, youtube, with_key=False)
    token = create_user(lambda_world, "alice")
    add_links(lambda_world, token, [f"https://youtu.be/{BLOCKED}"])
    lambda_world.run_pipeline()
    with sqlite3.connect(lambda_world.database) as db:
        db.execute("UPDATE episodes SET is_deleted = 1")
    youtube.videos[BLOCKED].refusal = None

    run_schedule(lambda_world)
    lambda_world.run_pipeline()

    assert episodes(lambda_world, token) == {}
    with sqlite3.connect(lambda_world.database) as db:
        row = db.execute("SELECT is_deleted, partial_metadata, duration FROM episodes").fetchone()
    # Completed where it lies, still deleted.
    assert row == (1, 0, 253)


def test_bot_checked_video_is_added_complete_from_the_data_api(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an API key: the video goes to the API first, yt-dlp is never asked
    configure(monkeypatch, youtube, with_key=True)
    token = create_user(lambda_world, "alice")

    job_id = add_links(lambda_world, token, [f"https://youtu.be/{BLOCKED}"])
    lambda_world.run_pipeline()

    assert job(lambda_world, token, job_id)["totals"]["added"] == 1
    added = episodes(lambda_world, token)[f"youtube:{BLOCKED}"]
    assert (added["partialMetadata"], added["duration"], added["viewCount"]) == (False, 597, 1234567)
    assert youtube.hits["/player/" + BLOCKED] == 0
    assert youtube.hits["/oembed"] == 0


def test_single_video_refused_by_yt_dlp_falls_back_to_the_api(
    youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The per-video path (a reconciler re-queue, an id the batch left out, a refresh) with a key.
    from watcharr.logic.extract import extract
    from watcharr.models.messages import ExtractRequest

    request = ExtractRequest(
        user_id=1, url=f"https://www.youtube.com/watch?v={BLOCKED}", kind="video", job_id="j", item_id="j-0000",
        media_key=f"youtube:{BLOCKED}",
    )  # fmt: skip

    extraction = extract(request, settings_for(youtube, with_key=True, allow_private_network=True), attempt=1)

    (result,) = extraction.results
    assert result.type == "EpisodeExtracted"
    assert (result.media.partial, result.media.duration) == (False, 597)
    assert youtube.hits["/player/" + BLOCKED] == 1


def test_quota_exhausted_falls_back_to_oembed(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, youtube, with_key=True)
    youtube.api_failure = (403, QUOTA_EXCEEDED)
    token = create_user(lambda_world, "alice")

    job_id = add_links(lambda_world, token, [f"https://youtu.be/{BLOCKED}", f"https://youtu.be/{BUNNY}"])
    lambda_world.run_pipeline()

    answer = job(lambda_world, token, job_id)
    assert answer["totals"]["added"] == 2, answer
    listed = episodes(lambda_world, token)
    # The refused one from oEmbed, the other from yt-dlp once the batch went on one by one.
    assert listed[f"youtube:{BLOCKED}"]["partialMetadata"] is True
    assert listed[f"youtube:{BUNNY}"]["partialMetadata"] is False


def test_a_batch_is_one_api_call_and_unknown_ids_fail_with_a_reason(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, youtube, with_key=True)
    ids = [f"b{i:010d}" for i in range(60)]
    for video_id in ids:
        youtube.add(FakeVideo(video_id, f"Batch {video_id}"))
    token = create_user(lambda_world, "alice")

    job_id = add_links(lambda_world, token, [f"https://youtu.be/{i}" for i in [*ids, GONE]])
    lambda_world.run_pipeline()

    answer = job(lambda_world, token, job_id)
    assert answer["status"] == "done"
    assert answer["totals"]["added"] == 60
    (failed,) = [i for i in answer["items"] if i["state"] == "failed"]
    assert (
        failed["reason"] == "YouTube lists no public video with this id; it is private, removed or mistyped."
    )
    # 61 videos: two batch calls, then one call for the id the batch did not return.
    assert youtube.hits["/youtube/v3/videos"] == 3
    assert sum(n for path, n in youtube.hits.items() if path.startswith("/player/")) == 1


def test_a_youtube_playlist_is_listed_and_described_by_the_api(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, youtube, with_key=True)
    ids = [f"p{i:010d}" for i in range(55)]
    for video_id in ids:
        youtube.add(FakeVideo(video_id, f"Entry {video_id}"))
    youtube.playlists["PLAYLISTidOfThirtyFourChars0123456"] = ids
    token = create_user(lambda_world, "alice")

    job_id = add_links(
        lambda_world, token, ["https://www.youtube.com/playlist?list=PLAYLISTidOfThirtyFourChars0123456"]
    )
    lambda_world.run_pipeline()

    answer = job(lambda_world, token, job_id)
    assert answer["totals"] == {"queued": 0, "expanded": 1, "added": 55, "restored": 0, "failed": 0}
    assert youtube.hits["/youtube/v3/playlistItems"] == 2
    assert youtube.hits["/youtube/v3/videos"] == 2
    assert sum(n for path, n in youtube.hits.items() if path.startswith("/player/")) == 0


def test_the_key_never_reaches_logs_job_reasons_or_messages(
    lambda_world: LambdaWorld, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service's own JSON log lines, exactly as CloudWatch would receive them.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(handler)
    logger.setLevel("DEBUG")
    sent: list[str] = []
    key = youtube.api_key
    try:
        configure(monkeypatch, youtube, with_key=True)
        token = create_user(lambda_world, "alice")
        original = QueuePublisher._send_batch

        def recording(self: QueuePublisher, queue_url: str, entries: list[dict[str, str]]) -> None:
            sent.extend(entry["MessageBody"] for entry in entries)
            original(self, queue_url, entries)

        # Every message either queue carries, as the senders hand it to SQS.
        monkeypatch.setattr(QueuePublisher, "_send_batch", recording)
        # Every path that touches the key: a batch, a quota error, a wrong key, a failure reason.
        job_ids = [
            add_links(lambda_world, token, [f"https://youtu.be/{BLOCKED}", f"https://youtu.be/{GONE}"])
        ]
        lambda_world.run_pipeline()
        youtube.api_failure = (403, QUOTA_EXCEEDED)
        job_ids.append(add_links(lambda_world, token, [f"https://youtu.be/{BUNNY}"]))
        lambda_world.run_pipeline()
        youtube.api_failure = None
        youtube.api_key = "AIzaROTATED-so-the-configured-one-is-wrong"
        job_ids.append(add_links(lambda_world, token, [f"https://youtu.be/{BLOCKED}?t=1"]))
        lambda_world.run_pipeline()
    finally:
        logging.getLogger(logger.name).removeHandler(handler)
        logger.setLevel("INFO")

    logged = stream.getvalue()
    assert "YouTube Data API failed" in logged  # the failures were logged at all
    assert key not in logged
    reasons = json.dumps([job(lambda_world, token, j) for j in job_ids])
    assert "YouTube lists no public video" in reasons
    assert key not in reasons
    assert sent and not any(key in body for body in sent)


# ---- the optional proxy and cookies ---------------------------------------------------------------------


def test_yt_dlp_goes_through_the_configured_proxy() -> None:
    with OriginServer() as origin, CountingProxy() as proxy:
        url = origin.url("/video/proxied")
        media = extract_media(
            url, Settings(socket_timeout=2, ytdlp_proxy=proxy.base_url, allow_private_network=True)
        )
        direct = origin.hits("/video/proxied")

    assert media.title == "Test video proxied"
    # The page was fetched once, and that once through the proxy.
    assert proxy.requests == [url]
    assert direct == 1


def test_cookies_come_from_secrets_manager_into_a_private_file_that_yt_dlp_sends(
    youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    cookie_value = "SECRET-SESSION-COOKIE"
    cookies_txt = (
        f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t2147483647\tSID\t{cookie_value}\n"
    )
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        arn = boto3.client("secretsmanager").create_secret(Name="watcharr/cookies", SecretString=cookies_txt)[
            "ARN"
        ]
        parameters.clear_caches()
        settings = settings_for(youtube, with_key=False, ytdlp_cookies_secret=arn)
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logger.registered_formatter)
        logging.getLogger(logger.name).addHandler(handler)
        logger.setLevel("DEBUG")
        try:
            media = extract_media(f"https://www.youtube.com/watch?v={BUNNY}", settings)
        finally:
            logging.getLogger(logger.name).removeHandler(handler)
            logger.setLevel("INFO")
        path = secrets.ytdlp_cookie_file(settings)

    assert media.title == "Big Buck Bunny"
    assert youtube.cookies_seen and f"SID={cookie_value}" in youtube.cookies_seen[-1]
    assert path is not None and path.startswith(str(tmp_path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert cookie_value not in stream.getvalue()


def test_the_key_is_read_from_ssm_or_secrets_manager_and_a_missing_one_reads_as_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        boto3.client("ssm").put_parameter(
            Name="/watcharr/youtube-key", Value="AIzaFROM-SSM", Type="SecureString"
        )
        arn = boto3.client("secretsmanager").create_secret(Name="yt", SecretString="AIzaFROM-SM\n")["ARN"]
        parameters.clear_caches()

        from_ssm = secrets.youtube_api_key(Settings(youtube_api_key_parameter="/watcharr/youtube-key"))
        from_sm = secrets.youtube_api_key(Settings(youtube_api_key_secret=arn))
        missing = secrets.youtube_api_key(Settings(youtube_api_key_parameter="/watcharr/nothing-here"))

    assert (from_ssm, from_sm, missing) == ("AIzaFROM-SSM", "AIzaFROM-SM", None)
    assert secrets.youtube_api_key(Settings(youtube_api_key="AIzaLOCAL")) == "AIzaLOCAL"
    assert secrets.youtube_api_key(Settings()) is None
    parameters.clear_caches()


def test_only_the_extractor_may_read_the_credentials_and_only_the_named_ones() -> None:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    from watcharr.local.functions import REPO_ROOT

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://artifacts/code.zip"  # as `sam package` leaves them
    translated = transform(template, {}, NoManagedPolicies())
    roles = {k: v for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"}

    readers = {
        name.removesuffix("Role")
        for name, role in roles.items()
        if any(word in json.dumps(role) for word in ("ssm:", "secretsmanager:"))
    }
    assert readers == {"ExtractorFunction"}
    policies = json.dumps(roles["ExtractorFunctionRole"]["Properties"]["Policies"])
    assert "parameter${YouTubeApiKeyParameter}" in policies
    for parameter in ("YouTubeApiKeySecretArn", "YtDlpCookiesSecretArn"):
        assert f'{{"Ref": "{parameter}"}}' in policies
    assert '"Resource": "*"' not in policies
    # The other functions are told where the key is kept (to batch), never given a way to read it.
    api_env = translated["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api_env["WATCHARR_YOUTUBE_API_KEY_PARAMETER"] == {"Ref": "YouTubeApiKeyParameter"}
    assert "WATCHARR_YOUTUBE_API_KEY" not in api_env
