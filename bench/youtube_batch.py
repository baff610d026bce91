"""YouTube ids one by one through yt-dlp, against one Data API call per 50: how much the batch saves.

Both sides run the extractor's real code (``watcharr.logic.extract.extract``) against local fakes
with the same per-request latency: yt-dlp reads each video from the stand-in YouTube extractor (one
request per video; the real site takes at least two, the page and the player API), the batch asks the
fake Data API once per 50 ids. Each side runs sequentially, as one extractor container would.

    .venv/bin/python -m bench.youtube_batch [--videos 50] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.youtube_fakes import FakeVideo, FakeYouTube, standin_youtube_extractor  # noqa: E402
from watcharr.logic.extract import extract  # noqa: E402
from watcharr.logic.ingest import batch_youtube_requests  # noqa: E402
from watcharr.models.messages import ExtractRequest  # noqa: E402
from watcharr.settings import Settings  # noqa: E402


def _requests(video_ids: list[str]) -> list[ExtractRequest]:
    return [
        ExtractRequest(
            user_id=1,
            url=f"https://www.youtube.com/watch?v={video_id}",
            kind="video",
            job_id="bench",
            item_id=f"bench-{index:04d}",
            media_key=f"youtube:{video_id}",
        )
        for index, video_id in enumerate(video_ids)
    ]


def _run(requests: list[ExtractRequest], settings: Settings) -> tuple[float, int]:
    """Seconds to extract every request in turn, and how many episodes came out."""
    started = time.perf_counter()
    episodes = 0
    for request in requests:
        episodes += sum(r.type == "EpisodeExtracted" for r in extract(request, settings, attempt=1).results)
    return time.perf_counter() - started, episodes


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run both sides, print a short report, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each fake request takes")
    args = parser.parse_args(argv)
    # The service logs every yt-dlp warning; the benchmark's output is its report.
    logging.getLogger("watcharr").setLevel(logging.ERROR)
    ids = [f"bench{i:06d}" for i in range(args.videos)]
    with FakeYouTube(latency=args.latency) as fake, standin_youtube_extractor(fake):
        for video_id in ids:
            fake.add(FakeVideo(video_id, f"Bench video {video_id}"))
        common = {"socket_timeout": 10.0, "allow_private_network": True, "youtube_api_url": fake.api_url}
        one_by_one = _requests(ids)
        batched = batch_youtube_requests(one_by_one)
        ytdlp_seconds, ytdlp_episodes = _run(one_by_one, Settings(**common))
        ytdlp_requests = sum(fake.hits.values())
        fake.hits.clear()
        api_seconds, api_episodes = _run(batched, Settings(**common, youtube_api_key=fake.api_key))
        api_requests = sum(fake.hits.values())
    assert ytdlp_episodes == api_episodes == args.videos, (ytdlp_episodes, api_episodes)
    figures = {
        "videos": args.videos,
        "latency_s": args.latency,
        "ytdlp_invocations": len(one_by_one),
        "ytdlp_requests": ytdlp_requests,
        "ytdlp_seconds": round(ytdlp_seconds, 3),
        "api_invocations": len(batched),
        "api_requests": api_requests,
        "api_seconds": round(api_seconds, 3),
        "ratio": round(ytdlp_seconds / api_seconds, 1),
    }
    print(f"youtube batch: {args.videos} videos, {args.latency * 1000:.0f} ms per fake request")
    print(
        f"  yt-dlp one by one : {ytdlp_seconds:7.2f} s, {len(one_by_one)} invocations, {ytdlp_requests} requests"
    )
    print(f"  Data API batches  : {api_seconds:7.2f} s, {len(batched)} invocations, {api_requests} requests")
    print(f"  ratio             : {figures['ratio']}x faster with the API")
    return figures


if __name__ == "__main__":
    main()
