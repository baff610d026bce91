"""Section 4: podcast sync through the local stack, against feeds served on 127.0.0.1.

The test feeds are served by a FeedServer (strong ETag and Last-Modified, real 304s). First the
730-item feed is subscribed with backfill "all" (every episode added); then ``subscriptions``
feeds, the test files cycled, are subscribed (each subscription's first sync fetches and parses its
feed); ``channels`` YouTube channels are followed (their Atom feeds served by FakeYouTubeChannels,
with ETags and 304s as YouTube's); then the scheduled sync is run once more with nothing changed,
which should be only conditional GETs answered 304: no feed parsed, no episode message sent.
Channels are followed with backfill 0, so no partial upload sends the refresh to www.youtube.com,
which cannot be reached here.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import BIG_FEED, FEEDS_DIR, SectionResult, quiet_service_logs
from tests.support.feed_server import FeedServer
from tests.support.stack import StackProcess, running_stack
from tests.support.youtube_channel_fakes import FakeChannel, FakeUpload, FakeYouTubeChannels
from watcharr.models.messages import utc_now

TITLE = "4. Podcast sync"
STACK_ARGS = ("--api-workers", "2")
POLL_SECONDS = 0.1
EPISODE_TYPES = ("EpisodeExtracted", "FeedEpisodesExtracted")


def _query(database: Path, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, parameters).fetchall()
    finally:
        conn.close()


def _wait_checked(database: Path, since: str, expected: int, timeout: float) -> float:
    """Wait until ``expected`` subscriptions were checked at or after ``since``; the time it took."""
    began = time.perf_counter()
    while True:
        checked = _query(database, "SELECT count(*) FROM subscriptions WHERE last_sync_at >= ?", (since,))[0][
            0
        ]
        if checked >= expected:
            return time.perf_counter() - began
        if time.perf_counter() - began > timeout:
            raise RuntimeError(f"only {checked}/{expected} feeds checked after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def _applied(database: Path) -> Counter[str]:
    """How many persister messages of each type the database has applied so far."""
    rows = _query(database, "SELECT type, count(*) FROM applied_messages GROUP BY type")
    return Counter({str(kind): int(count) for kind, count in rows})


def _subscribe(stack: StackProcess, url: str, backfill: int | str = 1) -> str:
    status, answer = stack.request("POST", "/api/podcasts", {"feedUrl": url, "backfill": backfill})
    if status != 202:
        raise RuntimeError(f"subscribe answered {status}: {answer}")
    return str(answer["subscriptionId"])


def _follow(stack: StackProcess, channel_id: str) -> str:
    body = {"url": f"https://www.youtube.com/channel/{channel_id}", "backfill": 0}
    status, answer = stack.request("POST", "/api/channels", body)
    if status != 202:
        raise RuntimeError(f"follow answered {status}: {answer}")
    return str(answer["subscriptionId"])


def _bench_channels(youtube: FakeYouTubeChannels, count: int) -> list[str]:
    """``count`` channels of three uploads each; their ids."""
    ids = []
    for i in range(count):
        channel_id = f"UCbench{i:017d}"
        uploads = [
            FakeUpload(
                f"b{i:04d}{j:06d}", f"Upload {j} of channel {i}", published=f"2024-03-{10 + j}T10:00:00+00:00"
            )
            for j in range(3)
        ]
        youtube.add_channel(FakeChannel(channel_id, f"Channel {i}", f"@bench{i}", uploads=uploads))
        ids.append(channel_id)
    return ids


def worker_peak_rss_mb(stack: StackProcess) -> float:
    """The largest peak RSS (VmHWM) among the stack's worker processes, in MB."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            stat = (status.parent / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != stack.process.pid:
                continue
            text = status.read_text()
        except (OSError, ValueError):
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def run(subscriptions: int, channels: int, timeout: float = 300.0) -> SectionResult:
    """Backfill the big feed, subscribe ``subscriptions`` feeds, follow ``channels`` channels, then sync
    again with nothing changed."""
    result = SectionResult(TITLE)
    files = sorted(p for p in FEEDS_DIR.glob("*.xml"))
    with (
        quiet_service_logs(),
        FeedServer() as feeds,
        FakeYouTubeChannels() as youtube,
        tempfile.TemporaryDirectory() as tmp,
        running_stack(
            Path(tmp) / "data", args=STACK_ARGS, env={"WATCHARR_YOUTUBE_SITE_URL": youtube.base_url}
        ) as stack,
    ):
        database = stack.data_dir / "watcharr.db"

        # The 730-item feed, every episode.
        big_url = feeds.put_feed("/backfill/bombcast.xml", BIG_FEED.read_bytes())
        rss_before = worker_peak_rss_mb(stack)
        since = utc_now()
        began = time.perf_counter()
        sub_id = _subscribe(stack, big_url, "all")
        _wait_checked(database, since, 1, timeout)
        backfill_seconds = time.perf_counter() - began
        backfilled = _query(database, "SELECT count(*) FROM episodes WHERE subscription_id = ?", (sub_id,))[
            0
        ][0]
        rss_after = worker_peak_rss_mb(stack)

        # First sync of many feeds: each subscription fetches and parses its feed once.
        urls = [
            feeds.put_feed(f"/feeds/{i:03d}.xml", files[i % len(files)].read_bytes())
            for i in range(subscriptions)
        ]
        since = utc_now()
        began = time.perf_counter()
        for url in urls:
            _subscribe(stack, url)
        subscribe_seconds = time.perf_counter() - began
        _wait_checked(database, since, subscriptions, timeout)
        first_seconds = time.perf_counter() - began
        # Channels: each first sync fetches and parses its channel's feed once.
        since = utc_now()
        began = time.perf_counter()
        for channel_id in _bench_channels(youtube, channels):
            _follow(stack, channel_id)
        _wait_checked(database, since, channels, timeout)
        channels_first_seconds = time.perf_counter() - began
        failed_first = _query(database, "SELECT count(*) FROM subscriptions WHERE last_status = 'failed'")[0][
            0
        ]

        # Second sync, nothing changed: every feed, the big one too, gets a conditional GET.
        feeds.wait_idle()
        feeds.clear_log()
        channel_requests_before = len(youtube.feed_requests())
        applied_before = _applied(database)
        since = utc_now()
        began = time.perf_counter()
        status, answer = stack.request("POST", "/_local/sync", token=None)
        if status != 200:
            raise RuntimeError(f"/_local/sync answered {status}: {answer}")
        _wait_checked(database, since, subscriptions + 1 + channels, timeout)
        second_seconds = time.perf_counter() - began
        feeds.wait_idle()
        log = feeds.requests
        channel_log = youtube.feed_requests()[channel_requests_before:]
        applied = _applied(database) - applied_before
    total = subscriptions + 1
    conditional = sum(1 for r in log if r.if_none_match or r.if_modified_since)
    not_modified = sum(1 for r in log if r.status == 304)
    parsed = sum(1 for r in log if r.status == 200)
    episode_messages = sum(applied[kind] for kind in EPISODE_TYPES)
    result.add("730-item feed, backfill all: time", backfill_seconds, "s")
    result.add("730-item feed: episodes added", backfilled)
    result.add(
        "largest worker peak RSS before / after the backfill", f"{rss_before:.0f} / {rss_after:.0f} MB"
    )
    result.add(f"first sync of {subscriptions} feeds (from the first subscribe)", first_seconds, "s")
    result.add(f"  of which {subscriptions} subscribe requests", subscribe_seconds, "s")
    result.add("  feeds whose first sync failed", failed_first)
    channel_parsed = sum(1 for r in channel_log if r[1] == 200)
    channel_not_modified = sum(1 for r in channel_log if r[1] == 304)
    result.add(
        f"first sync of {channels} followed channels (from the first follow)", channels_first_seconds, "s"
    )
    result.add(f"second sync, nothing changed ({total} feeds + {channels} channels)", second_seconds, "s")
    result.add("second sync: channel feed GETs / 304", f"{len(channel_log)} / {channel_not_modified}")
    result.add(
        "second sync: channel feeds parsed (200 answers)", channel_parsed, target="0", met=channel_parsed == 0
    )
    result.add("second sync: GETs / conditional / 304", f"{len(log)} / {conditional} / {not_modified}")
    result.add("second sync: feeds parsed (200 answers)", parsed, target="0", met=parsed == 0)
    result.add("second sync: episode messages sent", episode_messages, target="0", met=episode_messages == 0)
    result.add("second sync: FeedChecked messages applied", applied["FeedChecked"])
    if channel_parsed:
        result.explanations.append(
            f"Channel sync: the second sync, with nothing changed, got {channel_parsed} full channel feeds (200)"
            f" out of {len(channel_log)} GETs."
        )
    if parsed or episode_messages:
        result.explanations.append(
            f"Podcast sync: the second sync, with nothing changed, got {parsed} full answers (200) out of"
            f" {len(log)} GETs and sent {episode_messages} episode messages; {failed_first} feeds had failed"
            " their first sync, and a failed check keeps no validators, so those feeds are fetched whole again."
        )
    return result
