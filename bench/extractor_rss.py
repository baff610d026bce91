"""Run in a fresh interpreter by section 5: the ExtractorFunction handler syncing one feed, and its memory.

    python -m bench.extractor_rss FEED_URL

The environment names the queues (moto's server, started by the caller) as Lambda's would. Prints one
JSON line: peak RSS while loading the handler, RSS once loaded, peak RSS during the invocation (MB,
Linux's VmHWM, reset after loading so that the import's own peak does not hide it), and the
invocation's wall time.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import uuid
from pathlib import Path

from watcharr.local.context import LocalContext
from watcharr.local.functions import load_function
from watcharr.models.messages import ExtractRequest, FeedSync


def _status_mb(field: str) -> float:
    """A memory line of /proc/self/status (VmRSS, VmHWM…) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0 and later).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def feed_event(feed_url: str) -> dict[str, object]:
    """An SQS event with one ExtractRequest: sync the feed and add every episode."""
    request = ExtractRequest(
        user_id=1,
        url=feed_url,
        kind="feed",
        feed=FeedSync(subscription_id="bench-rss", backfill=None),
    )
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": request.model_dump_json(exclude_none=True),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench",
                "awsRegion": "us-east-1",
            }
        ]
    }


def main(argv: list[str]) -> None:
    """Load the handler, invoke it once on the feed, print the figures as JSON."""
    handler = load_function("extractor").handler
    loading_peak = _status_mb("VmHWM")
    _reset_peak()
    loaded = _status_mb("VmRSS")
    began = time.perf_counter()
    answer = handler(feed_event(argv[0]), LocalContext(function_name="ExtractorFunction"))
    seconds = time.perf_counter() - began
    figures = {
        "loading_peak_mb": loading_peak,
        "loaded_mb": loaded,
        "peak_mb": _status_mb("VmHWM"),
        "seconds": seconds,
        "failures": len(answer.get("batchItemFailures", [])),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
