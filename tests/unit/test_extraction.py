"""The extraction paths against in-memory fakes of their adapters (logic/extraction.py's protocols).

The HTTP-level fakes (a local origin, a fake Data API, a fake iTunes) stay in the integration tests;
these check the decisions alone: retry or give up, which source describes a refused video, what a
feed sync reports. Fakes stand in here because the point is the logic's choices, not the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from watcharr.adapters.apple_podcasts import AppleEpisode, LookupResult
from watcharr.adapters.feed_http import FeedFetchError, FeedResponse
from watcharr.adapters.oembed import OEmbedError
from watcharr.adapters.youtube_data_api import PlaylistPage, YouTubeApiError
from watcharr.adapters.ytdlp import PlaylistListing
from watcharr.domain.extraction_errors import ExtractionFailure, extraction_error
from watcharr.logic.extract import extract
from watcharr.logic.extraction import RetryLater, Sources
from watcharr.models.media import MediaMetadata
from watcharr.models.messages import (
    EpisodeExtracted,
    ExtractRequest,
    FeedChecked,
    FeedSync,
    ItemFailed,
    YouTubeBatchEntry,
)
from watcharr.settings import Settings

VIDEO_ID = "dQw4w9WgXcQ"
SETTINGS = Settings(extract_max_receive_count=3)
TIMEOUT = ExtractionFailure(
    reason="The site did not answer in time; will try again later.", retryable=True, code="timeout"
)
BOT_CHECK = ExtractionFailure(
    reason="YouTube asked to confirm this is not a bot; will try again later.",
    retryable=True,
    code="bot_check",
)


def described(title: str, *, partial: bool = False) -> MediaMetadata:
    return MediaMetadata(
        media_key=f"youtube:{VIDEO_ID}",
        type="video",
        title=title,
        url=f"https://www.youtube.com/watch?v={VIDEO_ID}",
        partial=partial,
    )


@dataclass
class FakePages:
    failure: ExtractionFailure | None = None
    calls: list[str] = field(default_factory=list)

    def extract_media(self, url: str, settings: Settings, *, is_short_hint: bool = False) -> MediaMetadata:
        self.calls.append(url)
        if self.failure is not None:
            raise extraction_error(self.failure)
        return described("From yt-dlp")

    def list_playlist(self, url: str, settings: Settings, limit: int) -> PlaylistListing:
        return PlaylistListing(title=None, entries=[], total=0, left_out=0)


@dataclass
class FakeApi:
    videos: dict[str, MediaMetadata] = field(default_factory=dict)
    error: YouTubeApiError | None = None

    def fetch_videos(
        self, video_ids: list[str], api_key: str, settings: Settings, *, shorts: frozenset[str] = frozenset()
    ) -> dict[str, MediaMetadata]:
        if self.error is not None:
            raise self.error
        return {v: self.videos[v] for v in video_ids if v in self.videos}

    def list_playlist_videos(
        self, playlist_id: str, api_key: str, settings: Settings, limit: int
    ) -> PlaylistPage:
        raise AssertionError("not used here")


@dataclass
class FakeOEmbed:
    answer: MediaMetadata | None = None

    def fetch_oembed(self, video_id: str, settings: Settings, *, is_short: bool = False) -> MediaMetadata:
        if self.answer is None:
            raise OEmbedError("oEmbed answered 401", not_public=True, retryable=False)
        return self.answer


@dataclass
class FakeFeeds:
    answers: list[FeedResponse | FeedFetchError] = field(default_factory=list)

    def fetch_feed(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
        timeout: float = 20,
    ) -> FeedResponse:
        answer = self.answers.pop(0)
        if isinstance(answer, FeedFetchError):
            raise answer
        return answer


class NoApple:
    def lookup_show(
        self, show_id: str, settings: Settings, *, country: str | None = None, with_episodes: bool = False
    ) -> LookupResult:
        raise AssertionError("not used here")

    def lookup_episode(
        self, episode_id: str, settings: Settings, *, country: str | None = None
    ) -> AppleEpisode | None:
        raise AssertionError("not used here")


@dataclass
class FakeCredentials:
    key: str | None = None

    def youtube_api_key(self, settings: Settings) -> str | None:
        return self.key


def sources(
    pages: FakePages | None = None,
    api: FakeApi | None = None,
    oembed: FakeOEmbed | None = None,
    feeds: FakeFeeds | None = None,
    key: str | None = None,
) -> Sources:
    return Sources(
        pages=pages or FakePages(),
        youtube_api=api or FakeApi(),
        oembed=oembed or FakeOEmbed(),
        feeds=feeds or FakeFeeds(),
        apple=NoApple(),
        credentials=FakeCredentials(key),
    )


def video_request(url: str = "https://example.com/clip") -> ExtractRequest:
    return ExtractRequest(user_id=1, url=url, kind="video", job_id="job1", item_id="job1-0000")


def test_a_transient_failure_is_retried_until_the_last_attempt_then_fails_saying_so() -> None:
    fakes = sources(pages=FakePages(failure=TIMEOUT))
    for attempt in (1, 2):
        with pytest.raises(RetryLater, match="did not answer in time"):
            extract(video_request(), SETTINGS, attempt, fakes)

    extraction = extract(video_request(), SETTINGS, 3, fakes)

    (failed,) = extraction.results
    assert isinstance(failed, ItemFailed) and failed.attempts == 3
    assert failed.reason == (
        "The site did not answer in time (tried 3 times). "
        "It will not be tried again unless you ask (POST /api/jobs/job1/retry)."
    )


def test_a_refresh_is_never_retried_and_fails_silently() -> None:
    request = ExtractRequest(user_id=1, url="https://example.com/clip", kind="video", refresh=True)

    assert extract(request, SETTINGS, 1, sources(pages=FakePages(failure=TIMEOUT))).results == []


def test_a_video_youtube_refuses_is_described_by_the_data_api_when_there_is_a_key() -> None:
    api = FakeApi(videos={VIDEO_ID: described("From the API")})

    extraction = extract(
        video_request(f"https://youtu.be/{VIDEO_ID}"),
        SETTINGS,
        1,
        sources(FakePages(BOT_CHECK), api, key="k"),
    )

    (added,) = extraction.results
    assert isinstance(added, EpisodeExtracted) and added.media.title == "From the API"


def test_without_a_key_oembed_describes_it_partially_and_a_video_nobody_lists_is_not_public() -> None:
    url = f"https://youtu.be/{VIDEO_ID}"
    oembed = FakeOEmbed(answer=described("From oEmbed", partial=True))

    (added,) = extract(video_request(url), SETTINGS, 1, sources(FakePages(BOT_CHECK), oembed=oembed)).results
    (failed,) = extract(
        video_request(url), SETTINGS, 1, sources(FakePages(BOT_CHECK), FakeApi(), key="k")
    ).results

    assert isinstance(added, EpisodeExtracted) and added.media.partial
    assert isinstance(failed, ItemFailed) and failed.reason.startswith("YouTube lists no public video")


def test_a_batch_the_api_cannot_answer_goes_on_one_by_one_after_its_retries() -> None:
    batch = ExtractRequest(
        user_id=1,
        url="youtube:batch",
        kind="youtube_batch",
        job_id="job1",
        batch=[YouTubeBatchEntry(video_id=VIDEO_ID, url=f"https://youtu.be/{VIDEO_ID}", item_id="job1-0000")],
    )
    failing = sources(
        api=FakeApi(
            error=YouTubeApiError("backend error", status=503, reason="backendError", retryable=True)
        ),
        key="k",
    )

    with pytest.raises(RetryLater):
        extract(batch, SETTINGS, 1, failing)
    extraction = extract(batch, SETTINGS, 3, failing)

    assert extraction.results == []
    assert [(r.kind, r.item_id) for r in extraction.requests] == [("video", "job1-0000")]


def feed_request() -> ExtractRequest:
    return ExtractRequest(
        user_id=1,
        url="https://example.com/feed.xml",
        kind="feed",
        feed=FeedSync(subscription_id="s1", etag='"v1"'),
    )


def test_an_unchanged_feed_is_reported_unchanged_without_parsing() -> None:
    unchanged = FeedResponse(304, b"", '"v1"', None, "https://example.com/feed.xml")

    (checked,) = extract(feed_request(), SETTINGS, 1, sources(feeds=FakeFeeds([unchanged]))).results

    assert isinstance(checked, FeedChecked) and checked.status == "unchanged"


def test_a_feed_that_keeps_failing_is_reported_failed_on_the_last_attempt() -> None:
    down = FeedFetchError("the feed's server answered HTTP 503", retryable=True)
    fakes = sources(feeds=FakeFeeds([down, down]))

    with pytest.raises(RetryLater):
        extract(feed_request(), SETTINGS, 2, fakes)
    (checked,) = extract(feed_request(), SETTINGS, 3, fakes).results

    assert isinstance(checked, FeedChecked) and checked.status == "failed"
    assert checked.error == "the feed's server answered HTTP 503 (tried 3 times)."
