"""The pure parts of the YouTube fallbacks: durations, the videos resource, batching, when to fall back."""

from __future__ import annotations

import pytest

from watcharr.adapters.youtube_data_api import iso8601_seconds, media_from_video
from watcharr.domain.extraction_errors import classify_extraction_error, wants_metadata_fallback
from watcharr.logic.ingest import batch_youtube_requests
from watcharr.models.messages import ExtractRequest


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT4M13S", 253),
        ("PT1H", 3600),
        ("PT1H2M3S", 3723),
        ("P1DT2S", 86402),
        ("PT59.5S", 60),
        ("P0D", None),  # a live stream or an upcoming premiere
        ("", None),
        ("4:13", None),
        (None, None),
    ],
)
def test_iso8601_durations(text: str | None, seconds: int | None) -> None:
    assert iso8601_seconds(text) == seconds


def test_a_sparse_videos_resource_still_maps() -> None:
    # Only the id and a title: no contentDetails, statistics or thumbnails (e.g. a narrow `part`).
    media = media_from_video({"id": "abcdefghijk", "snippet": {"title": "Bare"}}, is_short=True)

    assert (media.title, media.duration, media.view_count, media.thumbnail_url) == ("Bare", None, None, None)
    assert (media.channel, media.is_short, media.partial) == (None, True, False)


def test_the_largest_thumbnail_wins() -> None:
    item = {
        "id": "abcdefghijk",
        "snippet": {
            "title": "T",
            "thumbnails": {
                "default": {"url": "https://i.ytimg.com/vi/abcdefghijk/default.jpg"},
                "high": {"url": "https://i.ytimg.com/vi/abcdefghijk/hqdefault.jpg"},
                "medium": {"url": "https://i.ytimg.com/vi/abcdefghijk/mqdefault.jpg"},
            },
        },
    }

    assert media_from_video(item).thumbnail_url == "https://i.ytimg.com/vi/abcdefghijk/hqdefault.jpg"


def _video(index: int, *, job: str = "j", refresh: bool = False, user: int = 1) -> ExtractRequest:
    video_id = f"v{index:010d}"
    return ExtractRequest(
        user_id=user,
        url=f"https://www.youtube.com/watch?v={video_id}",
        kind="video",
        job_id=None if refresh else job,
        item_id=None if refresh else f"{job}-{index:04d}",
        media_key=f"youtube:{video_id}",
        tag="later",
        refresh=refresh,
    )


def test_youtube_videos_go_fifty_to_a_batch_and_everything_else_stays_single() -> None:
    other = ExtractRequest(user_id=1, url="https://vimeo.com/1", kind="video", job_id="j", item_id="j-0100")
    playlist = ExtractRequest(
        user_id=1, url="https://www.youtube.com/playlist?list=PL1", kind="playlist", job_id="j", item_id="j-0101",
        media_key="youtube-playlist:PL1",
    )  # fmt: skip
    requests = (
        [_video(i) for i in range(60)] + [other, playlist] + [_video(i, refresh=True) for i in range(3)]
    )

    batched = batch_youtube_requests(requests)

    assert [r.kind for r in batched].count("youtube_batch") == 3
    assert other in batched and playlist in batched
    batches = [r for r in batched if r.kind == "youtube_batch"]
    assert [len(b.batch) for b in batches] == [50, 10, 3]
    assert [b.refresh for b in batches] == [False, False, True]
    # Every item is in exactly one batch, with what its own request carried.
    entries = [e for b in batches[:2] for e in b.batch]
    assert [e.item_id for e in entries] == [f"j-{i:04d}" for i in range(60)]
    assert entries[0].video_id == "v0000000000" and entries[0].tag == "later"


def test_different_jobs_never_share_a_batch() -> None:
    batched = batch_youtube_requests([_video(1, job="a"), _video(2, job="b")])

    assert sorted(b.job_id or "" for b in batched) == ["a", "b"]


@pytest.mark.parametrize(
    ("message", "now", "last"),
    [
        ("Sign in to confirm you’re not a bot.", True, True),
        ("This content isn't available, try again later.", True, True),
        ("The following content is not available on this app.", True, True),
        ("Sign in to confirm your age.", True, True),
        ("Join this channel to get access to members-only content", True, True),
        ("The uploader has not made this video available in your country", True, True),
        ("Video unavailable", True, True),
        ("HTTP Error 503: Service Unavailable", False, True),
        ("Read timed out.", False, True),
        ("Private video. Sign in if you've been granted access to this video.", False, False),
        ("This video has been removed by the uploader", False, False),
        ("This video is DRM protected", False, False),
        ("HTTP Error 404: Not Found", False, False),
    ],
)
def test_when_the_metadata_fallback_is_used(message: str, now: bool, last: bool) -> None:
    failure = classify_extraction_error(message)

    assert wants_metadata_fallback(failure, last_attempt=False) is now, failure
    assert wants_metadata_fallback(failure, last_attempt=True) is last, failure
