"""The whole left half of the architecture in one process: API → ExtractQueue → extractor (real yt-dlp
against a local origin) → ResultsQueue.fifo → persister → SQLite, with moto's SQS in between."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.lambda_env import LambdaWorld, create_user
from tests.support.origin import OriginServer


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        yield server


def test_batch_of_twenty_with_bad_links_and_duplicates(
    lambda_world: LambdaWorld, origin: OriginServer
) -> None:
    # Given 20 links: 15 distinct pages, 2 repeats of them, 3 bad (not a link, a channel page, a 404)
    token = create_user(lambda_world, "alice")
    good = [origin.url(f"/video/v{i}?title=Video%20{i}&duration={60 + i}") for i in range(15)]
    batch = [{"url": url, "tag": "later" if i % 2 else None} for i, url in enumerate(good)]
    batch += [{"url": good[0]}, {"url": good[1], "tag": "again"}]
    batch += [{"url": "not a link at all"}, {"url": "https://www.youtube.com/@somechannel"}]
    batch += [{"url": origin.url("/status/404")}]
    assert len(batch) == 20

    # When it goes through the API, both queues and both consumers
    status, accepted = lambda_world.call_api("POST", "/api/shortcuts/add-videos", body=batch, token=token)
    assert status == 202
    assert [r["status"] for r in accepted["results"]].count("NOK") == 2
    lambda_world.run_pipeline()

    # Then every item is terminal, the repeats restored the same episodes, the 404 failed with a reason
    status, job = lambda_world.call_api("GET", f"/api/jobs/{accepted['jobId']}", token=token)
    assert status == 200 and job["status"] == "done"
    assert job["total"] == 18
    assert job["totals"] == {"queued": 0, "expanded": 0, "added": 15, "restored": 2, "failed": 1}
    failed = [i for i in job["items"] if i["state"] == "failed"]
    assert failed[0]["url"].endswith("/status/404") and "404" in failed[0]["reason"]
    restored = [i for i in job["items"] if i["state"] == "restored"]
    assert {i["title"] for i in restored} == {"Video 0", "Video 1"}

    status, listing = lambda_world.call_api("GET", "/api/episodes", token=token, query="limit=100")
    assert status == 200
    titles = sorted(e["title"] for e in listing["episodes"])
    assert titles == sorted(f"Video {i}" for i in range(15))
    by_title = {e["title"]: e for e in listing["episodes"]}
    assert [tag["name"] for tag in by_title["Video 1"]["tags"]] == ["again"]
    assert by_title["Video 3"]["duration"] == 63
    assert lambda_world.queue_depth("ExtractQueue") == lambda_world.queue_depth("ResultsQueue") == 0


def test_wait_returns_the_title_when_the_item_is_done(
    lambda_world: LambdaWorld, origin: OriginServer
) -> None:
    # Given the consumers running beside the API, as the event sources would on AWS
    token = create_user(lambda_world, "alice")
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            lambda_world.run_pipeline()
            time.sleep(0.05)

    consumers = threading.Thread(target=consume)
    consumers.start()
    try:
        # When a Shortcut adds a quick page and waits up to 10 s
        url = origin.url("/video/quick?title=Quick%20one")
        status, body = lambda_world.call_api(
            "POST", "/api/shortcuts/add-episode", body={"url": url}, token=token, query="wait=10"
        )
    finally:
        stop.set()
        consumers.join()

    # Then the answer carries the title to show in the notification
    assert status == 200, body
    assert body["success"] is True and body["status"] == "added"
    assert body["episode"]["title"] == "Quick one" and body["episode"]["type"] == "video"


def test_transient_failures_are_retried_then_fail_with_the_attempts(
    lambda_world: LambdaWorld, origin: OriginServer
) -> None:
    token = create_user(lambda_world, "alice")
    _, accepted = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", body={"url": origin.url("/status/503")}, token=token
    )
    lambda_world.run_pipeline()
    _, job = lambda_world.call_api("GET", f"/api/jobs/{accepted['jobId']}", token=token)
    (item,) = job["items"]
    # WATCHARR_EXTRACT_MAX_RECEIVE_COUNT is 3 in these tests: two retries, then a readable failure.
    assert item["state"] == "failed"
    # It says what happened and that nothing more will happen unless asked, not "will try again later".
    assert item["reason"] == (
        "The site had a server error (HTTP 503) (tried 3 times). It will not be tried again unless you"
        f" ask (POST /api/jobs/{accepted['jobId']}/retry)."
    )
    assert origin.hits("/status/503") >= 3
