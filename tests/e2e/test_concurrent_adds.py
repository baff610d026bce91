"""50 concurrent adds of one link by one user, and the same video added by two users."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.origin import OriginServer
from tests.support.stack import StackProcess

pytestmark = pytest.mark.e2e


def test_fifty_concurrent_adds_make_one_episode_and_fifty_terminal_items(
    stack: StackProcess, origin: OriginServer
) -> None:
    # Given one link and 50 Shortcut taps at the same moment
    url = origin.url("/video/popular?title=Popular%20one")

    def add(_: int) -> str:
        status, body = stack.request("POST", "/api/shortcuts/add-episode", {"url": url})
        assert status == 202, body
        return str(body["jobId"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        job_ids = list(pool.map(add, range(50)))

    # When every job has finished
    items = [item for job_id in job_ids for item in stack.wait_for_job(job_id, timeout=120)["items"]]

    # Then all 50 items are terminal, one of them added the episode and the others restored it
    states = sorted(item["state"] for item in items)
    assert states == ["added"] + ["restored"] * 49
    assert len({item["episodeId"] for item in items}) == 1
    _, listing = stack.request("GET", "/api/episodes?limit=500")
    assert [e["title"] for e in listing["episodes"]].count("Popular one") == 1


def test_two_users_adding_the_same_video_each_get_their_own(
    stack: StackProcess, origin: OriginServer
) -> None:
    created = subprocess.run(
        [
            str(Path(sys.executable).parent / "watcharr"),
            "--data-dir",
            str(stack.data_dir),
            "--json",
            "users",
            "create",
            "bob",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    bob = json.loads(created.stdout)["token"]
    url = origin.url("/video/shared?title=Shared%20one")
    for token in ("", bob):
        status, body = stack.request("POST", "/api/shortcuts/add-episode?wait=10", {"url": url}, token=token)
        assert status == 200 and body["status"] == "added", body
    _, alice_list = stack.request("GET", "/api/episodes?limit=500")
    _, bob_list = stack.request("GET", "/api/episodes?limit=500", token=bob)
    alice_ids = {e["id"] for e in alice_list["episodes"] if e["title"] == "Shared one"}
    bob_ids = {e["id"] for e in bob_list["episodes"] if e["title"] == "Shared one"}
    assert len(alice_ids) == len(bob_ids) == 1 and alice_ids != bob_ids
