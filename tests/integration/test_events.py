"""Every sample event in events/ (the ones `sam local invoke -e` uses) runs through its handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.lambda_env import LambdaWorld
from watcharr.adapters.queues import QueuePublisher
from watcharr.domain.tokens import hash_token
from watcharr.local.context import LocalContext
from watcharr.local.functions import REPO_ROOT
from watcharr.models.messages import UserCreated

EVENTS = REPO_ROOT / "events"
# The token the sample API events carry; the test creates its user.
SAMPLE_TOKEN = "5f2b1c9a0e7d4c3b8a6f1e2d3c4b5a69788766554433221100ffeeddccbbaa99"
FUNCTION_OF_PREFIX = {
    "api": ("api", "ApiFunction"),
    "extractor": ("extractor", "ExtractorFunction"),
    "persister": ("persister", "PersisterFunction"),
    "query": ("query", "QueryFunction"),
    "podcast-sync": ("podcast_sync", "PodcastSyncFunction"),
}


def event_files() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


def function_for(path: Path) -> tuple[str, str]:
    prefix = next(p for p in FUNCTION_OF_PREFIX if path.name.startswith(p + "-"))
    return FUNCTION_OF_PREFIX[prefix]


@pytest.fixture
def seeded(lambda_world: LambdaWorld) -> LambdaWorld:
    """The sample user (id 1) and the sample job, written the way production writes them."""
    publisher = QueuePublisher(
        lambda_world.queue_urls["ExtractQueue"], lambda_world.queue_urls["ResultsQueue"], lambda_world.sqs
    )
    publisher.send_results([UserCreated(username="shortcut", token_hash=hash_token(SAMPLE_TOKEN))])
    lambda_world.run_persister()
    persister_event = json.loads((EVENTS / "persister-job-and-episode.json").read_text())
    lambda_world.function("persister").handler(persister_event, LocalContext("PersisterFunction"))
    return lambda_world


def test_every_function_has_a_sample_event() -> None:
    covered = {function_for(p)[0] for p in event_files()}
    assert covered == {name for name, _ in FUNCTION_OF_PREFIX.values()}
    assert len([p for p in event_files() if p.name.startswith("api-")]) >= 23


@pytest.mark.parametrize("path", event_files(), ids=lambda p: p.stem)
def test_sample_event_runs_through_its_handler(seeded: LambdaWorld, path: Path) -> None:
    name, function = function_for(path)
    event = json.loads(path.read_text())
    answer = seeded.function(name).handler(event, LocalContext(function))
    if name == "api":
        assert answer["statusCode"] < 500, answer
        # The exports answer files (OPML, CSV); every other answer is JSON.
        is_json = answer["headers"].get("Content-Type", "").startswith("application/json")
        body = json.loads(answer["body"]) if is_json else answer["body"]
        expected = {
            "api-get-job": 200,
            "api-add-episode": 202,
            "api-add-videos": 202,
            "api-subscribe": 202,
            "api-unsubscribe": 404,
            "api-follow-channel": 202,
            "api-list-channels": 200,
            "api-unfollow-channel": 404,
            "api-openapi": 200,
            "api-get-episode": 200,
            "api-list-episodes-filtered": 200,
            "api-update-episode": 202,
            "api-delete-episode": 202,
            "api-delete-episode-permanently": 202,
            "api-restore-episode": 202,
            "api-archive-watched": 202,
            "api-restore-all": 202,
            "api-list-tags": 200,
            "api-create-tag": 202,
            "api-update-tag": 202,
            "api-delete-tag": 202,
            # Commands are known once applied; this sample names one that never was.
            "api-get-command": 404,
            "api-list-jobs": 200,
            # The sample job's only item was added: nothing to retry.
            "api-retry-job": 409,
            "api-import-podcasts": 202,
            "api-export-podcasts": 200,
            "api-import-takeout": 202,
            "api-export-episodes": 200,
        }
        if path.stem in expected:
            assert answer["statusCode"] == expected[path.stem], body
    elif name in ("extractor", "persister"):
        # There is no internet here: the sample YouTube and feed fetches fail transiently and the record
        # is handed back to SQS for a retry, which is what Lambda would do with them offline.
        failed = answer["batchItemFailures"]
        if name == "persister":
            assert failed == []
        else:
            assert [f["itemIdentifier"] for f in failed] == [r["messageId"] for r in event["Records"]]
    elif name == "query":
        assert answer.get("found", True) is True
    else:
        assert set(answer) == {"feedsQueued", "itemsRequeued", "itemsGivenUp"}
