"""Running the real handlers in-process against moto, as Lambda would call them.

Used by the integration tests: queues come from template.yaml through the local-mode reader, the
database is a real SQLite file, and every SQS event is built from messages actually received from moto.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from watcharr.adapters import query_client, queues
from watcharr.local.container import in_process_query_client
from watcharr.local.context import LocalContext
from watcharr.local.functions import REPO_ROOT, load_function
from watcharr.local.template import load_template
from watcharr.local.workers import create_queues
from watcharr.settings import get_settings


def reset_process_state() -> None:
    """Forget every per-container cache (clients, settings, connections) between tests."""
    get_settings.cache_clear()
    queues.sqs_client.cache_clear()
    queues.publisher_for.cache_clear()
    # No Lambda service in the tests: the QueryFunction is called in-process, as local mode does.
    query_client.use_in_process_query_client(in_process_query_client)
    loaded = [m for name, m in list(sys.modules.items()) if name.startswith("watcharr_functions.")]
    for module in loaded:
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()
        if hasattr(module, "_store"):
            module._store = None
        if hasattr(module, "authenticator"):
            module.authenticator.cache_clear()


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    token: str | None = None,
    query: str = "",
    headers: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the ApiFunction receives it on AWS."""
    all_headers = {"content-type": "application/json", "user-agent": "tests"}
    if token is not None:
        all_headers["x-api-token"] = token
    all_headers.update(headers or {})
    all_headers = {k: v for k, v in all_headers.items() if v is not None}  # None removes a header
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    params = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        **({"queryStringParameters": params} if params else {}),
        "pathParameters": {"proxy": path.removeprefix("/api/")},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "tests",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        **({"body": text, "isBase64Encoded": False} if text is not None else {"isBase64Encoded": False}),
    }


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event an SQS event source mapping hands a function for the received messages."""
    records = []
    for m in messages:
        attributes = {k: v for k, v in m.get("Attributes", {}).items()}
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


@dataclass
class LambdaWorld:
    """moto queues made from the template, a database file, and the five handlers."""

    sqs: Any
    queue_urls: dict[str, str]
    database: Path
    stack: Any

    def batch_size(self, function_logical_id: str) -> int:
        """The BatchSize the template gives the function's SQS event source."""
        return next(
            s.batch_size for s in self.stack.event_sources if s.function_logical_id == function_logical_id
        )

    def function(self, name: str) -> ModuleType:
        return load_function(name)

    def call_api(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        answer = self.function("api").handler(http_event(method, path, **kwargs), LocalContext("ApiFunction"))
        body = answer.get("body") or "null"
        if answer.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return answer["statusCode"], json.loads(body) if body.startswith(("{", "[")) else {"raw": body}

    def receive(self, queue: str, max_messages: int = 10) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_urls[queue],
            MaxNumberOfMessages=max_messages,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def deliver(self, queue: str, function: str, max_messages: int, context_name: str) -> int:
        """One poll and one invocation, deleting what the function did not report as failed."""
        messages = self.receive(queue, max_messages)
        if not messages:
            return 0
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_urls[queue], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        try:
            answer = self.function(function).handler(sqs_event(messages, arn), LocalContext(context_name))
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        except Exception:
            # A function error hands the whole batch back to the queue, as the event source does.
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_urls[queue], ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_urls[queue], ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def run_extractor(self) -> int:
        """Drain the extract queue through the extractor; returns how many invocations ran."""
        runs = 0
        while self.deliver(
            "ExtractQueue", "extractor", self.batch_size("ExtractorFunction"), "ExtractorFunction"
        ):
            runs += 1
        return runs

    def run_persister(self) -> int:
        runs = 0
        while self.deliver(
            "ResultsQueue", "persister", self.batch_size("PersisterFunction"), "PersisterFunction"
        ):
            runs += 1
        return runs

    def run_pipeline(self) -> None:
        """Persist, extract, persist again until both queues are empty."""
        while self.run_persister() + self.run_extractor():
            pass

    def drop_all(self, queue: str) -> int:
        """Receive and delete everything visible: a message lost for good."""
        dropped = 0
        while messages := self.receive(queue):
            for m in messages:
                self.sqs.delete_message(QueueUrl=self.queue_urls[queue], ReceiptHandle=m["ReceiptHandle"])
            dropped += len(messages)
        return dropped

    def queue_depth(self, queue: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def lambda_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaWorld]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        stack = load_template(REPO_ROOT / "template.yaml")
        urls = {logical_id: queue.url for logical_id, queue in create_queues(sqs, stack).items()}
        database = tmp_path / "watcharr.db"
        monkeypatch.setenv("WATCHARR_EXTRACT_QUEUE_URL", urls["ExtractQueue"])
        monkeypatch.setenv("WATCHARR_RESULTS_QUEUE_URL", urls["ResultsQueue"])
        monkeypatch.setenv("WATCHARR_DATABASE_PATH", str(database))
        monkeypatch.setenv("WATCHARR_QUERY_FUNCTION_NAME", "")
        monkeypatch.setenv("WATCHARR_ALLOW_PRIVATE_NETWORK", "true")
        monkeypatch.setenv("WATCHARR_EXTRACT_MAX_RECEIVE_COUNT", "3")
        monkeypatch.setenv("WATCHARR_SOCKET_TIMEOUT", "2")
        reset_process_state()
        yield LambdaWorld(sqs=sqs, queue_urls=urls, database=database, stack=stack)
        reset_process_state()


def create_user(world: LambdaWorld, username: str) -> str:
    """Create a user the way `watcharr users create` does: through the FIFO queue to the persister."""
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.domain.tokens import hash_token, new_token
    from watcharr.models.messages import UserCreated

    token = new_token()
    QueuePublisher(
        world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs
    ).send_results([UserCreated(username=username, token_hash=hash_token(token))])
    world.run_persister()
    return token
