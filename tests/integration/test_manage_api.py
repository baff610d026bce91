"""Managing the list through the ApiFunction: every change a command on the FIFO queue, applied by the
real persister from moto, read back through the QueryFunction.

Given/When/Then: the API only sends; the test drains the FIFO queue through the persister handler
(``run_persister``) or, for ``?wait``, lets a persister poll it in a thread while the API waits.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest

from tests.support.builders import media
from tests.support.db import snapshot
from tests.support.http_world import persister_polling
from tests.support.lambda_env import LambdaWorld, create_user
from watcharr.adapters.queues import QueuePublisher
from watcharr.logic.extraction import episode_extracted, item_failed
from watcharr.models.messages import (
    EpisodeExtracted,
    ExtractRequest,
    ItemFailed,
    JobCreated,
    JobItemSpec,
    parse_result,
)

VIDEO = "https://www.youtube.com/watch?v=aaaaaaaaaaa"
OTHER = "https://www.youtube.com/watch?v=bbbbbbbbbbb"


@pytest.fixture
def alice(lambda_world: LambdaWorld) -> str:
    return create_user(lambda_world, "alice")


@pytest.fixture
def bob(lambda_world: LambdaWorld, alice: str) -> str:
    return create_user(lambda_world, "bob")


def publisher(world: LambdaWorld) -> QueuePublisher:
    return QueuePublisher(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)


def seed(world: LambdaWorld, user_id: int, key: str = "youtube:aaaaaaaaaaa", title: str = "A video") -> int:
    """An episode on the user's list, written by the persister as an extraction result would be."""
    publisher(world).send_results([EpisodeExtracted(user_id=user_id, media=media(key, title))])
    world.run_persister()
    row = sqlite3.connect(world.database).execute(
        "SELECT id FROM episodes WHERE user_id = ? AND title = ?", (user_id, title)
    )
    return int(row.fetchone()[0])


def episode(world: LambdaWorld, token: str, episode_id: int) -> dict[str, Any]:
    status, body = world.call_api("GET", f"/api/episodes/{episode_id}", token=token)
    assert status == 200, body
    return body["episode"]


def queued_types(world: LambdaWorld) -> list[str]:
    return [parse_result(m["Body"]).type for m in world.receive("ResultsQueue")]


def test_one_episode_carries_its_id_url_tags_and_every_state_field(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    shown = episode(lambda_world, alice, episode_id)
    assert shown["id"] == episode_id and shown["url"] == VIDEO
    assert {k: shown[k] for k in ("watched", "watchStatus", "favorite", "priority", "likeStatus")} == {
        "watched": False,
        "watchStatus": "unwatched",
        "favorite": False,
        "priority": "none",
        "likeStatus": "none",
    }
    assert (shown["notes"], shown["isArchived"], shown["isDeleted"], shown["tags"]) == (
        None,
        False,
        False,
        [],
    )
    status, body = lambda_world.call_api("GET", f"/api/episodes/{episode_id + 1}", token=alice)
    assert (status, body) == (404, {"success": False, "error": "no such episode"})


def test_a_patch_is_queued_at_once_and_applied_by_the_writer(lambda_world: LambdaWorld, alice: str) -> None:
    episode_id = seed(lambda_world, 1)
    # When the change is sent without waiting
    change = {"watched": True, "favorite": True, "priority": "high", "likeStatus": "like", "notes": "n"}
    status, body = lambda_world.call_api("PATCH", f"/api/episodes/{episode_id}", body=change, token=alice)
    # Then it is only queued: nothing changed yet, and the command is not known yet
    assert status == 202 and body["success"] is True and len(body["commandId"]) == 32
    assert episode(lambda_world, alice, episode_id)["watched"] is False
    status, _ = lambda_world.call_api("GET", f"/api/commands/{body['commandId']}", token=alice)
    assert status == 404
    # And once the persister has applied it, it shows, and the command says applied
    lambda_world.run_persister()
    shown = episode(lambda_world, alice, episode_id)
    assert (shown["watched"], shown["watchStatus"], shown["favorite"], shown["priority"]) == (
        True,
        "watched",
        True,
        "high",
    )
    assert (shown["likeStatus"], shown["notes"]) == ("like", "n")
    status, command = lambda_world.call_api("GET", f"/api/commands/{body['commandId']}", token=alice)
    assert status == 200
    assert (command["type"], command["state"], command["episodeId"], command["reason"]) == (
        "EpisodeUpdated",
        "applied",
        episode_id,
        None,
    )
    # Fields not sent stay; an explicit null clears the notes
    lambda_world.call_api("PATCH", f"/api/episodes/{episode_id}", body={"priority": "low"}, token=alice)
    lambda_world.run_persister()
    assert episode(lambda_world, alice, episode_id)["notes"] == "n"
    lambda_world.call_api("PATCH", f"/api/episodes/{episode_id}", body={"notes": None}, token=alice)
    lambda_world.run_persister()
    shown = episode(lambda_world, alice, episode_id)
    assert (shown["notes"], shown["priority"], shown["favorite"]) == (None, "low", True)


def test_watch_status_and_watched_stay_consistent(lambda_world: LambdaWorld, alice: str) -> None:
    episode_id = seed(lambda_world, 1)
    path = f"/api/episodes/{episode_id}"
    lambda_world.call_api("PATCH", path, body={"watchStatus": "pending"}, token=alice)
    lambda_world.run_persister()
    shown = episode(lambda_world, alice, episode_id)
    assert (shown["watched"], shown["watchStatus"]) == (False, "pending")
    lambda_world.call_api("PATCH", path, body={"watched": True}, token=alice)
    lambda_world.run_persister()
    shown = episode(lambda_world, alice, episode_id)
    assert (shown["watched"], shown["watchStatus"]) == (True, "watched")


def test_wait_answers_with_the_episode_as_it_is_after_the_change(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    with persister_polling(lambda_world):
        status, body = lambda_world.call_api(
            "PATCH", f"/api/episodes/{episode_id}", body={"watched": True}, token=alice, query="wait=10"
        )
    assert status == 200, body
    assert body["episode"]["watched"] is True and body["episode"]["watchStatus"] == "watched"
    # Read-your-writes: the very next read agrees with the answer
    assert episode(lambda_world, alice, episode_id)["watched"] is True


def test_wait_that_runs_out_answers_202_with_the_command(lambda_world: LambdaWorld, alice: str) -> None:
    episode_id = seed(lambda_world, 1)
    started = time.monotonic()
    status, body = lambda_world.call_api(
        "PATCH", f"/api/episodes/{episode_id}", body={"favorite": True}, token=alice, query="wait=1"
    )
    assert (status, set(body)) == (202, {"success", "commandId"})
    assert 1 <= time.monotonic() - started < 5


def test_delete_goes_to_the_bin_restore_brings_it_back_permanent_removes_it(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    path = f"/api/episodes/{episode_id}"
    status, _ = lambda_world.call_api("DELETE", path, token=alice)
    assert status == 202
    lambda_world.run_persister()
    _, listed = lambda_world.call_api("GET", "/api/episodes", token=alice)
    _, binned = lambda_world.call_api("GET", "/api/episodes", token=alice, query="deleted=true")
    assert (listed["total"], [e["id"] for e in binned["episodes"]]) == (0, [episode_id])
    assert episode(lambda_world, alice, episode_id)["isDeleted"] is True

    lambda_world.call_api("POST", f"{path}/restore", token=alice)
    lambda_world.run_persister()
    _, listed = lambda_world.call_api("GET", "/api/episodes", token=alice)
    assert [e["id"] for e in listed["episodes"]] == [episode_id]

    with persister_polling(lambda_world):
        status, body = lambda_world.call_api("DELETE", path, token=alice, query="permanent=true&wait=10")
    assert (status, body["episode"]) == (200, None)
    assert lambda_world.call_api("GET", path, token=alice)[0] == 404
    rows = sqlite3.connect(lambda_world.database).execute("SELECT COUNT(*) FROM episodes").fetchone()
    assert rows == (0,)


def test_archive_watched_and_restore_all(lambda_world: LambdaWorld, alice: str) -> None:
    watched = seed(lambda_world, 1, "youtube:aaaaaaaaaaa", "Seen")
    unseen = seed(lambda_world, 1, "youtube:bbbbbbbbbbb", "Not seen")
    binned = seed(lambda_world, 1, "youtube:ccccccccccc", "Binned")
    lambda_world.call_api("PATCH", f"/api/episodes/{watched}", body={"watched": True}, token=alice)
    lambda_world.call_api("DELETE", f"/api/episodes/{binned}", token=alice)
    status, _ = lambda_world.call_api("POST", "/api/episodes/archive-watched", token=alice)
    assert status == 202
    lambda_world.run_persister()
    _, listed = lambda_world.call_api("GET", "/api/episodes", token=alice)
    _, archived = lambda_world.call_api("GET", "/api/episodes", token=alice, query="archived=true")
    assert [e["id"] for e in listed["episodes"]] == [unseen]
    assert [e["id"] for e in archived["episodes"]] == [watched]
    with persister_polling(lambda_world):
        status, body = lambda_world.call_api(
            "POST", "/api/episodes/restore-all", token=alice, query="wait=10"
        )
    assert status == 200 and body["success"] is True
    _, listed = lambda_world.call_api("GET", "/api/episodes", token=alice)
    assert sorted(e["id"] for e in listed["episodes"]) == [unseen, binned]


def test_list_filters_search_sort_and_total(lambda_world: LambdaWorld, alice: str) -> None:
    first = seed(lambda_world, 1, "youtube:aaaaaaaaaaa", "Cooking pasta")
    second = seed(lambda_world, 1, "youtube:bbbbbbbbbbb", "Gardening")
    lambda_world.call_api("PATCH", f"/api/episodes/{first}", body={"favorite": True}, token=alice)
    lambda_world.call_api("PATCH", f"/api/episodes/{second}", body={"priority": "high"}, token=alice)
    lambda_world.run_persister()

    def ids(query: str) -> tuple[list[int], int]:
        status, body = lambda_world.call_api("GET", "/api/episodes", token=alice, query=query)
        assert status == 200, body
        return [e["id"] for e in body["episodes"]], body["total"]

    assert ids("favorite=true") == ([first], 1)
    assert ids("priority=high") == ([second], 1)
    assert ids("search=PASTA") == ([first], 1)
    assert ids("sort=priority")[0][0] == second
    assert ids("limit=1") == ([second], 2)


def test_tags_are_created_counted_renamed_linked_and_deleted(lambda_world: LambdaWorld, alice: str) -> None:
    episode_id = seed(lambda_world, 1)
    with persister_polling(lambda_world):
        status, created = lambda_world.call_api(
            "POST", "/api/tags", body={"name": "Music", "color": "#ff8800"}, token=alice, query="wait=10"
        )
        assert status == 200, created
        tag = created["tag"]
        assert (tag["name"], tag["color"], tag["episodeCount"]) == ("Music", "#ff8800", 0)
        # Names are unique per user, whatever their case
        status, body = lambda_world.call_api("POST", "/api/tags", body={"name": "music"}, token=alice)
        assert (status, body["error"]) == (409, 'a tag named "Music" already exists')
        status, body = lambda_world.call_api(
            "PATCH", f"/api/episodes/{episode_id}", body={"tagIds": [tag["id"]]}, token=alice, query="wait=10"
        )
        assert status == 200 and body["episode"]["tags"] == [
            {"id": tag["id"], "name": "Music", "color": "#ff8800"}
        ]
        status, body = lambda_world.call_api(
            "PATCH",
            f"/api/tags/{tag['id']}",
            body={"name": "Songs", "color": None},
            token=alice,
            query="wait=10",
        )
        assert (status, body["tag"]["name"], body["tag"]["color"]) == (200, "Songs", None)
        _, listed = lambda_world.call_api("GET", "/api/tags", token=alice)
        assert [(t["name"], t["episodeCount"]) for t in listed["tags"]] == [("Songs", 1)]
        status, body = lambda_world.call_api("DELETE", f"/api/tags/{tag['id']}", token=alice, query="wait=10")
        assert (status, body["tag"]) == (200, None)
    # The episode stays; only its link to the tag went
    assert episode(lambda_world, alice, episode_id)["tags"] == []
    assert lambda_world.call_api("GET", "/api/tags", token=alice)[1]["tags"] == []


def test_a_command_that_cannot_apply_is_failed_with_its_reason(lambda_world: LambdaWorld, alice: str) -> None:
    # Given a tag name sent twice before the writer applied the first
    lambda_world.call_api("POST", "/api/tags", body={"name": "News"}, token=alice)
    with persister_polling(lambda_world, after_messages=2):
        status, body = lambda_world.call_api(
            "POST", "/api/tags", body={"name": "news"}, token=alice, query="wait=10"
        )
    # Then the API could not tell at once, and the writer refused the second with a reason
    assert status == 409, body
    assert body["error"] == 'a tag named "News" already exists' and body["commandId"]
    status, command = lambda_world.call_api("GET", f"/api/commands/{body['commandId']}", token=alice)
    assert (status, command["state"], command["reason"]) == (200, "failed", body["error"])
    assert [t["name"] for t in lambda_world.call_api("GET", "/api/tags", token=alice)[1]["tags"]] == ["News"]


def test_a_change_to_an_episode_removed_meanwhile_fails_as_no_such_episode(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    lambda_world.call_api("DELETE", f"/api/episodes/{episode_id}", token=alice, query="permanent=true")
    with persister_polling(lambda_world, after_messages=2):
        status, body = lambda_world.call_api(
            "PATCH", f"/api/episodes/{episode_id}", body={"watched": True}, token=alice, query="wait=10"
        )
    assert (status, body["error"]) == (404, f"no such episode: {episode_id}")


def test_an_unknown_tag_id_is_refused_at_once_and_nothing_is_sent(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    status, body = lambda_world.call_api(
        "PATCH", f"/api/episodes/{episode_id}", body={"tagIds": [99]}, token=alice
    )
    assert (status, body) == (422, {"success": False, "error": "no such tag: 99"})
    assert lambda_world.queue_depth("ResultsQueue") == 0


def test_another_user_can_neither_read_nor_change_nor_delete(
    lambda_world: LambdaWorld, alice: str, bob: str
) -> None:
    episode_id = seed(lambda_world, 1)
    with persister_polling(lambda_world):
        _, created = lambda_world.call_api(
            "POST", "/api/tags", body={"name": "Mine"}, token=alice, query="wait=10"
        )
        _, patched = lambda_world.call_api(
            "PATCH", f"/api/episodes/{episode_id}", body={"favorite": True}, token=alice, query="wait=10"
        )
    tag_id = created["tag"]["id"]
    before = snapshot(lambda_world.database)
    attempts = [
        ("GET", f"/api/episodes/{episode_id}", None, ""),
        ("PATCH", f"/api/episodes/{episode_id}", {"watched": True}, ""),
        ("DELETE", f"/api/episodes/{episode_id}", None, "permanent=true"),
        ("POST", f"/api/episodes/{episode_id}/restore", None, ""),
        ("PATCH", f"/api/tags/{tag_id}", {"name": "Theirs"}, ""),
        ("DELETE", f"/api/tags/{tag_id}", None, ""),
        ("GET", f"/api/commands/{patched['commandId']}", None, ""),
    ]
    for method, path, body, query in attempts:
        status, answer = lambda_world.call_api(method, path, body=body, token=bob, query=query)
        assert status == 404 and answer["success"] is False, (method, path, answer)
    assert lambda_world.queue_depth("ResultsQueue") == 0
    # Bob's own list and tags are empty; bulk changes of his touch nothing of Alice's
    assert lambda_world.call_api("GET", "/api/episodes", token=bob)[1]["total"] == 0
    assert lambda_world.call_api("GET", "/api/tags", token=bob)[1]["tags"] == []
    lambda_world.call_api("POST", "/api/episodes/archive-watched", token=bob)
    lambda_world.call_api("POST", "/api/episodes/restore-all", token=bob)
    lambda_world.run_persister()
    after = snapshot(lambda_world.database)
    assert {t: rows for t, rows in after.items() if t not in ("commands", "applied_messages")} == {
        t: rows for t, rows in before.items() if t not in ("commands", "applied_messages")
    }


def test_a_waited_change_to_another_users_episode_is_refused_by_the_writer(
    lambda_world: LambdaWorld, alice: str, bob: str
) -> None:
    episode_id = seed(lambda_world, 1)
    before = snapshot(lambda_world.database)
    attempts = [
        ("PATCH", f"/api/episodes/{episode_id}", {"watched": True}, "wait=10"),
        ("DELETE", f"/api/episodes/{episode_id}", None, "permanent=true&wait=10"),
        ("POST", f"/api/episodes/{episode_id}/restore", None, "wait=10"),
    ]
    with persister_polling(lambda_world):
        answers = [lambda_world.call_api(m, p, body=b, token=bob, query=q) for m, p, b, q in attempts]
    # Then each is a 404 with the writer's reason and bob's own failed command, which alice cannot see
    for status, answer in answers:
        assert (status, answer["success"], answer["error"]) == (404, False, f"no such episode: {episode_id}")
        status, command = lambda_world.call_api("GET", f"/api/commands/{answer['commandId']}", token=bob)
        assert (status, command["state"]) == (200, "failed")
        assert lambda_world.call_api("GET", f"/api/commands/{answer['commandId']}", token=alice)[0] == 404
    after = snapshot(lambda_world.database)
    assert {t: rows for t, rows in after.items() if t not in ("commands", "applied_messages")} == {
        t: rows for t, rows in before.items() if t not in ("commands", "applied_messages")
    }


def test_a_waited_change_is_checked_by_the_writer_alone(lambda_world: LambdaWorld, alice: str) -> None:
    # Given no writer running, a waited change to an episode that does not exist
    status, body = lambda_world.call_api(
        "PATCH", "/api/episodes/999", body={"favorite": True}, token=alice, query="wait=1"
    )
    # Then the API did not ask first: the change is queued and the wait ends with the 202
    assert status == 202 and lambda_world.queue_depth("ResultsQueue") == 1, body
    # And the writer then records it as failed, with the reason
    lambda_world.run_persister()
    status, command = lambda_world.call_api("GET", f"/api/commands/{body['commandId']}", token=alice)
    assert (status, command["state"], command["reason"]) == (200, "failed", "no such episode: 999")


def test_fifty_alternating_patches_end_in_the_last_one(lambda_world: LambdaWorld, alice: str) -> None:
    episode_id = seed(lambda_world, 1)
    # i = 0 unwatches (already unwatched), ..., i = 49 watches: the last one accepted wins
    for i in range(50):
        status, _ = lambda_world.call_api(
            "PATCH", f"/api/episodes/{episode_id}", body={"watched": i % 2 == 1}, token=alice
        )
        assert status == 202
    lambda_world.run_persister()
    shown = episode(lambda_world, alice, episode_id)
    assert (shown["watched"], shown["watchStatus"]) == (True, "watched")
    events = sqlite3.connect(lambda_world.database).execute(
        "SELECT type FROM media_events WHERE episode_id = ? AND type IN ('watched', 'unwatched')",
        (episode_id,),
    )
    assert len(events.fetchall()) == 49


def test_a_patch_right_after_an_add_of_the_same_link_applies_after_the_add(
    lambda_world: LambdaWorld, alice: str
) -> None:
    episode_id = seed(lambda_world, 1)
    # When the link is added again and at once marked watched
    status, added = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=alice
    )
    assert status == 202
    lambda_world.call_api("PATCH", f"/api/episodes/{episode_id}", body={"watched": True}, token=alice)
    # And the add's extraction finishes afterwards
    (request,) = [ExtractRequest.model_validate_json(m["Body"]) for m in lambda_world.receive("ExtractQueue")]
    publisher(lambda_world).send_results(
        [
            EpisodeExtracted(
                at=request.at,
                user_id=1,
                media=media("youtube:aaaaaaaaaaa", "A video"),
                job_id=added["jobId"],
                item_id=request.item_id,
            )
        ]
    )
    lambda_world.run_persister()
    # Then the episode is watched: the change sent last wins
    assert episode(lambda_world, alice, episode_id)["watched"] is True


def test_add_videos_reports_each_malformed_entry_and_queues_the_rest(
    lambda_world: LambdaWorld, alice: str
) -> None:
    batch = [42, {"nourl": VIDEO}, VIDEO, {"url": OTHER, "tag": "t"}, None]
    status, body = lambda_world.call_api("POST", "/api/shortcuts/add-videos", body=batch, token=alice)
    assert status == 202, body
    assert [r["status"] for r in body["results"]] == ["NOK", "NOK", "QUEUED", "QUEUED", "NOK"]
    assert body["results"][0]["reason"] == 'each link must be text or an object like {"url": "…"}'
    assert body["results"][1]["reason"] == "url is required; nourl is not a field this API knows"
    requests = [ExtractRequest.model_validate_json(m["Body"]) for m in lambda_world.receive("ExtractQueue")]
    assert sorted((r.url, r.tag) for r in requests) == [(VIDEO, None), (OTHER, "t")]


def _failed_job(world: LambdaWorld) -> str:
    job_id = "f" * 32
    items = [
        JobItemSpec(
            item_id=f"{job_id}-0000", url=VIDEO, kind="video", media_key="youtube:aaaaaaaaaaa", tag="later"
        ),
        JobItemSpec(item_id=f"{job_id}-0001", url=OTHER, kind="video", media_key="youtube:bbbbbbbbbbb"),
    ]
    publisher(world).send_results(
        [
            JobCreated(job_id=job_id, user_id=1, source="batch", items=items),
            ItemFailed(job_id=job_id, item_id=f"{job_id}-0000", reason="HTTP 404"),
            EpisodeExtracted(
                user_id=1, media=media("youtube:bbbbbbbbbbb"), job_id=job_id, item_id=f"{job_id}-0001"
            ),
        ]
    )
    world.run_persister()
    return job_id


def test_jobs_are_listed_newest_first_and_failed_items_retried(
    lambda_world: LambdaWorld, alice: str, bob: str
) -> None:
    job_id = _failed_job(lambda_world)
    _, newer = lambda_world.call_api("POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=alice)
    lambda_world.run_persister()
    lambda_world.drop_all("ExtractQueue")
    status, listed = lambda_world.call_api("GET", "/api/jobs", token=alice)
    assert status == 200 and [j["jobId"] for j in listed["jobs"]] == [newer["jobId"], job_id]
    assert listed["jobs"][1]["totals"]["failed"] == 1 and listed["total"] == 2
    assert lambda_world.call_api("GET", "/api/jobs", token=bob)[1]["jobs"] == []
    assert lambda_world.call_api("POST", f"/api/jobs/{job_id}/retry", token=bob)[0] == 404

    # When the owner retries: the JobRetried goes to the writer, then the failed item's request
    status, body = lambda_world.call_api("POST", f"/api/jobs/{job_id}/retry", token=alice)
    assert status == 202 and body["retried"] == [f"{job_id}-0000"]
    (request,) = [ExtractRequest.model_validate_json(m["Body"]) for m in lambda_world.receive("ExtractQueue")]
    assert (request.item_id, request.url, request.media_key) == (
        f"{job_id}-0000",
        VIDEO,
        "youtube:aaaaaaaaaaa",
    )
    lambda_world.run_persister()
    _, job = lambda_world.call_api("GET", f"/api/jobs/{job_id}", token=alice)
    assert [i["state"] for i in job["items"]] == ["queued", "added"]
    # Then the new attempt's result (built as the extractor builds it) counts
    publisher(lambda_world).send_results([episode_extracted(request, media("youtube:aaaaaaaaaaa"))])
    lambda_world.run_persister()
    _, job = lambda_world.call_api("GET", f"/api/jobs/{job_id}", token=alice)
    assert [i["state"] for i in job["items"]] == ["added", "added"]
    status, body = lambda_world.call_api("POST", f"/api/jobs/{job_id}/retry", token=alice)
    assert (status, body["error"]) == (409, "no item of this job failed; there is nothing to retry")


def test_a_preflight_reaching_the_function_is_answered_empty(lambda_world: LambdaWorld) -> None:
    from tests.support.lambda_env import http_event
    from watcharr.local.context import LocalContext

    event = http_event("OPTIONS", "/api/episodes/1", headers={"access-control-request-method": "PATCH"})
    answer = lambda_world.function("api").handler(event, LocalContext("ApiFunction"))
    assert (answer["statusCode"], answer["body"]) == (204, "")


def test_a_retried_item_that_fails_again_ends_failed_with_the_new_reason(
    lambda_world: LambdaWorld, alice: str
) -> None:
    job_id = _failed_job(lambda_world)
    lambda_world.call_api("POST", f"/api/jobs/{job_id}/retry", token=alice)
    (request,) = [ExtractRequest.model_validate_json(m["Body"]) for m in lambda_world.receive("ExtractQueue")]
    (message,) = lambda_world.receive("ResultsQueue")
    retried = parse_result(message["Body"])
    # The retry reaches the writer first, and the new attempt is timed after it, numbered, with its tag
    assert retried.type == "JobRetried" and request.at > retried.at
    assert (request.retry, request.tag) == (1, "later")
    lambda_world.sqs.change_message_visibility(
        QueueUrl=lambda_world.queue_urls["ResultsQueue"],
        ReceiptHandle=message["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    lambda_world.run_persister()
    # When the new attempt fails too (its result built as the extractor builds it)
    (failed,) = item_failed(request, "HTTP 410 now", attempt=1).results
    publisher(lambda_world).send_results([failed])
    lambda_world.run_persister()
    # Then the item ends failed with the new reason, never stuck as queued
    _, job = lambda_world.call_api("GET", f"/api/jobs/{job_id}", token=alice)
    assert (job["items"][0]["state"], job["items"][0]["reason"]) == ("failed", "HTTP 410 now")
