"""Section 7: YouTube Data API batching against per-video yt-dlp, as ``bench.youtube_batch`` measures it."""

from __future__ import annotations

from bench import youtube_batch
from bench.common import SectionResult

TITLE = "7. YouTube Data API batching"


def run(videos: int, latency: float) -> SectionResult:
    """Run ``bench.youtube_batch`` with these sizes and keep its figures."""
    result = SectionResult(TITLE)
    figures = youtube_batch.main(["--videos", str(videos), "--latency", str(latency)])
    result.add("videos / fake latency per request", f"{videos} / {latency * 1000:.0f} ms")
    result.add(
        "yt-dlp one by one",
        figures["ytdlp_seconds"],
        "s",
        note=f"{figures['ytdlp_invocations']:.0f} invocations, {figures['ytdlp_requests']:.0f} requests",
    )
    result.add(
        "Data API batches of 50",
        figures["api_seconds"],
        "s",
        note=f"{figures['api_invocations']:.0f} invocations, {figures['api_requests']:.0f} requests",
    )
    result.add("speed-up with the API", figures["ratio"], "×")
    return result
