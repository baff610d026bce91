"""What the extractor does with one ExtractRequest: each kind goes to its path.

Failures are sorted in two: permanent ones (unsupported, gone, private) become `ItemFailed` at once;
transient ones (timeouts, 5xx) raise `RetryLater` so SQS delivers the request again, until the last
allowed receive, where the item fails with the reason instead of ending in silence
(logic/extraction.py's ``retry_or_fail``).
"""

from __future__ import annotations

from watcharr.logic.channel_sync import sync_channel
from watcharr.logic.extraction import Extraction, Sources
from watcharr.logic.podcast_sync import add_apple_episode, sync_feed
from watcharr.logic.youtube import extract_video_or_playlist, extract_youtube_batch
from watcharr.models.messages import ExtractRequest
from watcharr.settings import Settings


def extract(
    request: ExtractRequest, settings: Settings, attempt: int, sources: Sources | None = None
) -> Extraction:
    """Handle one request on its ``attempt``-th delivery, reading through ``sources`` (the real adapters
    unless given)."""
    sources = sources or Sources.real()
    if request.kind == "feed":
        if request.feed is not None and request.feed.kind != "podcast":
            return sync_channel(request, settings, attempt, sources)
        return sync_feed(request, settings, attempt, sources)
    if request.kind == "apple_episode":
        return add_apple_episode(request, settings, attempt, sources)
    if request.kind == "youtube_batch":
        return extract_youtube_batch(request, settings, attempt, sources)
    return extract_video_or_playlist(request, settings, attempt, sources)
