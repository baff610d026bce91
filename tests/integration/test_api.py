"""The ApiFunction called with API Gateway events, sending to moto's queues, reading through the QueryFunction."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.lambda_env import LambdaWorld, create_user, http_event
from watcharr.local.context import LocalContext
from watcharr.models.messages import ExtractRequest, parse_result

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture
def token(lambda_world: LambdaWorld) -> str:
    return create_user(lambda_world, "alice")


def bodies(world: LambdaWorld, queue: str) -> list[str]:
    return [m["Body"] for m in world.receive(queue)]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing X-API-Token header"),
        ({"x-api-token": "abc"}, "X-API-Token must be 64 hexadecimal characters"),
        ({"x-api-token": "0" * 64}, "invalid API token"),
    ],
)
def test_missing_or_wrong_token_is_401(
    lambda_world: LambdaWorld, headers: dict[str, str], reason: str
) -> None:
    status, body = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, headers=headers
    )
    assert status == 401
    assert body == {"success": False, "error": reason}


def test_add_episode_from_share_sheet_text_is_queued(lambda_world: LambdaWorld, token: str) -> None:
    text = "Look at this https://youtu.be/dQw4w9WgXcQ?si=Xy12 — wow"
    status, body = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", body={"url": text, "tag": "music"}, token=token
    )
    assert status == 202, body
    assert body["success"] is True and body["status"] == "queued"
    (request_body,) = bodies(lambda_world, "ExtractQueue")
    request = ExtractRequest.model_validate_json(request_body)
    assert (request.url, request.media_key, request.tag, request.job_id) == (
        VIDEO,
        "youtube:dQw4w9WgXcQ",
        "music",
        body["jobId"],
    )
    (job_body,) = bodies(lambda_world, "ResultsQueue")
    job = parse_result(job_body)
    assert job.type == "JobCreated" and job.job_id == body["jobId"]


def test_unsupported_link_is_a_clear_422(lambda_world: LambdaWorld, token: str) -> None:
    status, body = lambda_world.call_api(
        "POST",
        "/api/shortcuts/add-episode",
        body={"url": "https://www.youtube.com/@somechannel"},
        token=token,
    )
    assert status == 422
    assert body["success"] is False and "channel" in body["error"]
    assert lambda_world.queue_depth("ExtractQueue") == 0


def test_batch_reports_each_unsupported_link_and_queues_the_rest(
    lambda_world: LambdaWorld, token: str
) -> None:
    batch = [{"url": VIDEO}, {"url": "no link here"}, {"url": "https://youtu.be/aaaaaaaaaaa", "tag": "t"}]
    status, body = lambda_world.call_api("POST", "/api/shortcuts/add-videos", body=batch, token=token)
    assert status == 202
    assert [r["status"] for r in body["results"]] == ["QUEUED", "NOK", "QUEUED"]
    assert body["results"][1]["reason"]
    assert lambda_world.queue_depth("ExtractQueue") == 2


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/shortcuts/add-videos", []),
        ("/api/shortcuts/add-videos", [{"url": VIDEO}] * 501),
        ("/api/shortcuts/add-videos", {"url": VIDEO}),
        ("/api/shortcuts/add-episode", {"url": VIDEO, "colour": "red"}),
        ("/api/shortcuts/add-episode", {"url": 42}),
        ("/api/shortcuts/add-episode", {"url": VIDEO, "tag": "x" * 65}),
        ("/api/shortcuts/add-episode", {}),
    ],
)
def test_bad_bodies_are_422_json(lambda_world: LambdaWorld, token: str, path: str, payload: object) -> None:
    status, body = lambda_world.call_api("POST", path, body=payload, token=token)
    assert status == 422
    assert body["success"] is False and body["error"]
    assert lambda_world.queue_depth("ExtractQueue") == 0


def test_malformed_json_is_a_4xx(lambda_world: LambdaWorld, token: str) -> None:
    status, body = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", raw_body="{not json", token=token
    )
    assert 400 <= status < 500 and body["success"] is False


def test_wait_out_of_range_is_422(lambda_world: LambdaWorld, token: str) -> None:
    status, body = lambda_world.call_api(
        "POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=token, query="wait=26"
    )
    assert status == 422 and "wait" in body["error"]


def test_users_only_see_their_own_jobs(lambda_world: LambdaWorld, token: str) -> None:
    other = create_user(lambda_world, "bob")
    _, added = lambda_world.call_api("POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=token)
    lambda_world.run_persister()
    status, _ = lambda_world.call_api("GET", f"/api/jobs/{added['jobId']}", token=token)
    assert status == 200
    status, body = lambda_world.call_api("GET", f"/api/jobs/{added['jobId']}", token=other)
    assert status == 404 and body["success"] is False


def test_unknown_route_is_a_json_404(lambda_world: LambdaWorld, token: str) -> None:
    status, body = lambda_world.call_api("GET", "/api/nothing-here", token=token)
    assert status == 404 and body["success"] is False


def test_openapi_document_needs_no_token(lambda_world: LambdaWorld) -> None:
    status, body = lambda_world.call_api("GET", "/api/openapi.json")
    assert status == 200
    assert "/api/shortcuts/add-episode" in body["paths"]


def test_users_only_see_their_own_episodes(lambda_world: LambdaWorld, token: str) -> None:
    from tests.support.builders import media
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.models.messages import EpisodeExtracted

    other = create_user(lambda_world, "bob")
    publisher = QueuePublisher(
        lambda_world.queue_urls["ExtractQueue"], lambda_world.queue_urls["ResultsQueue"], lambda_world.sqs
    )
    publisher.send_results([EpisodeExtracted(user_id=1, media=media("youtube:aaaaaaaaaaa", "Alice's video"))])
    lambda_world.run_persister()
    _, mine = lambda_world.call_api("GET", "/api/episodes", token=token)
    _, theirs = lambda_world.call_api("GET", "/api/episodes", token=other)
    assert [e["title"] for e in mine["episodes"]] == ["Alice's video"]
    assert theirs["episodes"] == []


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_a_json_body_is_read_whatever_its_content_type(
    lambda_world: LambdaWorld, token: str, content_type: str | None
) -> None:
    event_headers = {"content-type": content_type}
    status, body = lambda_world.call_api(
        "POST",
        "/api/shortcuts/add-episode",
        raw_body=json.dumps({"url": VIDEO}),
        token=token,
        headers=event_headers,
    )
    assert status == 202, body


@pytest.mark.parametrize(
    "change",
    [
        {"headers": {"content-type": "json"}},
        {"headers": {"content-type": "application/json; charset=UTF-8"}},
        {"headers": {"content-type": "application/x-www-form-urlencoded"}},
        {"headers": {"content-type": None}},
        {"headers": {"content-encoding": "identity"}},
        {"base64": True},
    ],
    ids=["json", "charset-utf-8", "form-urlencoded", "no-content-type", "identity-encoding", "base64"],
)
def test_a_json_body_is_read_whatever_its_label(
    lambda_world: LambdaWorld, token: str, change: dict[str, Any]
) -> None:
    event = http_event(
        "POST", "/api/shortcuts/add-episode", body={"url": VIDEO}, token=token, headers=change.get("headers")
    )
    if change.get("base64"):
        event = {**event, "body": base64.b64encode(event["body"].encode()).decode(), "isBase64Encoded": True}
    answer = lambda_world.function("api").handler(event, LocalContext("ApiFunction"))
    assert answer["statusCode"] == 202, answer
    (request_body,) = bodies(lambda_world, "ExtractQueue")
    assert ExtractRequest.model_validate_json(request_body).url == VIDEO


def test_an_apple_show_in_share_text_subscribes_and_a_feed_url_keeps_its_query(
    lambda_world: LambdaWorld, token: str
) -> None:
    text = "Listen to this: https://podcasts.apple.com/gb/podcast/some-show/id123456789 ✨"
    status, body = lambda_world.call_api("POST", "/api/podcasts", body={"feedUrl": text}, token=token)
    assert (status, body["feedUrl"]) == (202, "https://podcasts.apple.com/gb/podcast/id123456789")
    feed = "https://feeds.example.com/show.xml?format=audio&key=a%20b"
    status, body = lambda_world.call_api(
        "POST", "/api/podcasts", body={"feedUrl": f"  {feed}\n", "backfill": "all"}, token=token
    )
    assert (status, body["feedUrl"]) == (202, feed)
    added = [parse_result(b) for b in bodies(lambda_world, "ResultsQueue")]
    assert [m.feed_url for m in added if m.type == "SubscriptionAdded"] == [
        "https://podcasts.apple.com/gb/podcast/id123456789",
        feed,
    ]


def test_a_subscription_is_followed_until_its_first_sync_is_done(
    lambda_world: LambdaWorld, token: str
) -> None:
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.models.messages import FeedChecked

    other = create_user(lambda_world, "bob")
    status, body = lambda_world.call_api(
        "POST", "/api/podcasts", body={"feedUrl": "https://feeds.example.com/show.xml"}, token=token
    )
    assert status == 202
    path = f"/api/podcasts/{body['subscriptionId']}"
    # Until the writer has it, it is not there yet
    assert lambda_world.call_api("GET", path, token=token)[0] == 404
    lambda_world.run_persister()
    status, followed = lambda_world.call_api("GET", path, token=token)
    assert (status, followed["podcast"]["lastSyncAt"], followed["podcast"]["lastStatus"]) == (200, None, None)
    # Once the first sync's result is written, it says how the sync went
    QueuePublisher(
        lambda_world.queue_urls["ExtractQueue"], lambda_world.queue_urls["ResultsQueue"], lambda_world.sqs
    ).send_results([FeedChecked(subscription_id=body["subscriptionId"], status="updated", title="A show")])
    lambda_world.run_persister()
    _, followed = lambda_world.call_api("GET", path, token=token)
    assert (followed["podcast"]["lastStatus"], followed["podcast"]["title"]) == ("updated", "A show")
    assert followed["podcast"]["lastSyncAt"] is not None
    assert lambda_world.call_api("GET", path, token=other)[0] == 404
