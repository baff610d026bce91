"""The whole stack started as `make run` starts it, used over real HTTP as the iOS Shortcut uses it.

Every request goes through the local gateway to the ApiFunction containers, the queues in moto's
server, the extractor pollers (real yt-dlp against the local origin site) and the one persister.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.origin import OriginServer
from tests.support.stack import StackError, StackProcess, start_stack

pytestmark = pytest.mark.e2e


def test_a_batch_ends_with_every_link_added_restored_failed_or_refused(
    stack: StackProcess, origin: OriginServer
) -> None:
    # Given a batch: two videos, the first one again, text that is no link, and a page that is gone
    alpha = origin.url("/video/batch-alpha?title=Alpha%20from%20the%20batch")
    beta = origin.url("/video/batch-beta?title=Beta%20from%20the%20batch")
    gone = origin.url("/status/404")
    batch = [{"url": alpha}, {"url": beta}, {"url": alpha}, {"url": "nothing to see here"}, {"url": gone}]

    # When it is sent with the local user's token
    status, answer = stack.request("POST", "/api/shortcuts/add-videos", batch)

    # Then the bad text is refused at once and the rest is queued as one job...
    assert status == 202, answer
    assert answer["success"] is True
    assert [r["status"] for r in answer["results"]] == ["QUEUED", "QUEUED", "QUEUED", "NOK", "QUEUED"]
    assert answer["results"][3]["reason"]
    # ...whose items all end in a terminal state
    job = stack.wait_for_job(answer["jobId"])
    items = sorted(job["items"], key=lambda item: item["id"])
    assert len(items) == 4
    assert sorted([items[0]["state"], items[2]["state"]]) == ["added", "restored"]
    assert items[1]["state"] == "added"
    assert items[3]["state"] == "failed"
    assert items[3]["reason"]
    # And the list holds each video once, with its title
    status, listing = stack.request("GET", "/api/episodes?limit=500")
    assert status == 200
    titles = [episode["title"] for episode in listing["episodes"]]
    assert titles.count("Alpha from the batch") == 1
    assert titles.count("Beta from the batch") == 1


def test_add_episode_with_wait_answers_with_the_title(stack: StackProcess, origin: OriginServer) -> None:
    # Given a quick page
    url = origin.url("/video/waited?title=Worth%20the%20wait")

    # When the Shortcut adds it and is willing to wait
    status, answer = stack.request("POST", "/api/shortcuts/add-episode?wait=10", {"url": url})

    # Then the answer already tells what was added
    assert status == 200, answer
    assert answer["success"] is True
    assert answer["status"] == "added"
    assert answer["jobId"]
    assert answer["episode"]["title"] == "Worth the wait"
    assert answer["episode"]["type"] == "video"
    assert answer["episode"]["id"]
    assert "channel" in answer["episode"]


def test_add_episode_without_wait_is_queued_then_added(stack: StackProcess, origin: OriginServer) -> None:
    status, answer = stack.request("POST", "/api/shortcuts/add-episode", {"url": origin.url("/video/later")})

    assert status == 202, answer
    assert answer["status"] == "queued"
    job = stack.wait_for_job(answer["jobId"])
    assert [item["state"] for item in job["items"]] == ["added"]


@pytest.mark.parametrize("token", [None, "0" * 64, "not-a-token"], ids=["missing", "unknown", "malformed"])
def test_a_request_without_a_valid_token_is_refused(stack: StackProcess, token: str | None) -> None:
    headers = {} if token is None else {"X-API-Token": token}

    status, answer = stack.request("GET", "/api/episodes", token=None, headers=headers)

    assert status == 401
    assert answer["success"] is False
    assert answer["error"]


def test_a_path_outside_the_api_reaches_the_function_through_the_default_route(stack: StackProcess) -> None:
    # The template's $default route sends what no other route takes to the ApiFunction, whose answer
    # keeps the API's error shape instead of API Gateway's own {"message": "Not Found"}.
    status, answer = stack.request("GET", "/elsewhere", token=None)

    assert status == 404
    assert answer == {"success": False, "error": "no route GET /elsewhere; the API lives under /api/"}


def test_the_local_sync_route_runs_the_podcast_sync_now(stack: StackProcess) -> None:
    status, answer = stack.request("POST", "/_local/sync", token=None)

    assert status == 200, answer
    assert answer["success"] is True
    assert answer["PodcastSyncFunction"]["feedsQueued"] == 0


def test_a_second_stack_on_the_same_data_is_refused(stack: StackProcess) -> None:
    # Two stacks on one database would be two writers.
    with pytest.raises(StackError, match="another local stack is running"):
        start_stack(stack.data_dir, ready_timeout=30)

    status, _ = stack.request("GET", "/api/episodes")
    assert status == 200


def test_the_state_file_tells_where_the_running_stack_is(stack: StackProcess) -> None:
    state = json.loads((stack.data_dir / "local.json").read_text())

    assert state["apiUrl"] == stack.url
    assert state["pid"] == stack.process.pid
    assert set(state["queueUrls"]) == {"ExtractQueue", "ExtractDLQ", "ResultsQueue", "ResultsDLQ"}
    assert (stack.data_dir / "local-token").stat().st_mode & 0o777 == 0o600


def test_the_terminal_shows_one_readable_line_per_request_and_per_finished_item(
    stack: StackProcess, origin: OriginServer
) -> None:
    # Given a link whose page is read by yt-dlp's generic extractor (which warns it falls back on it)
    url = origin.url("/video/readable?title=Readable%20line%20%1B%5B31m")

    # When it is added and finishes
    status, answer = stack.request("POST", "/api/shortcuts/add-episode", {"url": url})
    assert status == 202, answer
    stack.wait_for_job(answer["jobId"])
    time.sleep(0.5)  # the persister's poller prints its line right after the delete

    # Then the terminal has a line for the request and one for the item, whose title was stored without
    # the escape sequence (the CLI's own escaping is unit-tested), and none of the JSON log lines, metric warnings or expected yt-dlp warnings
    output = stack.output
    assert any(" POST /api/shortcuts/add-episode 202 " in line for line in stack.lines), output
    assert any(line.endswith("added: Readable line") for line in stack.lines), output
    assert "\x1b" not in output
    assert "PowertoolsUserWarning" not in output
    assert "Falling back on generic information extractor" not in output
    assert not any(line.startswith('{"level"') for line in stack.lines), output
