"""What a container does while it starts (Lambda's init phase), so that its first invocation does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.lambda_env import LambdaWorld, reset_process_state, sqs_event
from tests.support.origin import OriginServer
from watcharr.adapters import queues
from watcharr.local.context import LocalContext
from watcharr.local.functions import REPO_ROOT, load_function
from watcharr.models.messages import ExtractRequest

SENDERS = ["api", "extractor", "podcast_sync"]
# Each function's module imported in a fresh interpreter, as a new container imports it: whether its
# SQS client exists once the import is done. (Separate processes: the API's routers are shared module
# objects, bound to whichever app included them last, so a second API module in this one would
# take them from the tests' own.)
LOAD_EACH = """
import json, sys
from watcharr.adapters import queues
from watcharr.local.functions import load_function
built = {}
for name in sys.argv[1:]:
    queues.sqs_client.cache_clear(); queues.publisher_for.cache_clear()
    load_function(name)
    built[name] = queues.sqs_client.cache_info().currsize
print(json.dumps(built))
"""


def built_at_load(environment: dict[str, str]) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WATCHARR_"))}
    env.update(environment, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    done = subprocess.run(
        [sys.executable, "-c", LOAD_EACH, *SENDERS],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_each_sending_function_builds_its_sqs_client_while_it_loads() -> None:
    environment = {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "WATCHARR_EXTRACT_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/extract",
        "WATCHARR_RESULTS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/results.fifo",
    }
    assert built_at_load(environment) == dict.fromkeys(SENDERS, 1)


def test_a_function_loads_without_a_region_and_builds_nothing() -> None:
    # A bare import (a test, a tool): nothing is built, and the first send will say what is missing.
    assert built_at_load({}) == dict.fromkeys(SENDERS, 0)


def test_the_first_invocation_sends_with_the_client_built_at_load(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second copy of the module, imported now as a new container imports it (the tests' cached
    # copy stays as it was).
    reset_process_state()
    monkeypatch.setitem(
        sys.modules, "watcharr_functions.extractor", sys.modules.get("watcharr_functions.extractor")
    )
    extractor = load_function.__wrapped__("extractor")  # type: ignore[attr-defined]
    assert queues.sqs_client.cache_info().misses == 1
    with OriginServer() as origin:
        request = ExtractRequest(
            user_id=1, url=origin.url("/video/first"), kind="video", job_id="j", item_id="j-0"
        )
        lambda_world.sqs.send_message(
            QueueUrl=lambda_world.queue_urls["ExtractQueue"], MessageBody=request.model_dump_json()
        )
        messages = lambda_world.receive("ExtractQueue")
        arn = "arn:aws:sqs:us-east-1:123456789012:ExtractQueue"
        answer = extractor.handler(sqs_event(messages, arn), LocalContext("ExtractorFunction"))
    assert answer == {"batchItemFailures": []}
    assert queues.sqs_client.cache_info().misses == 1
    assert lambda_world.queue_depth("ResultsQueue") == 1
