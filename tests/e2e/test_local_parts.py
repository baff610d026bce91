"""The pieces local mode plays AWS with, each against the real thing it stands in front of.

The pollers run against moto's server on 127.0.0.1 with the queues made from template.yaml, so what is
checked is what SQS and Lambda's event source would do: the record shape, partial batch failures,
redrive to the dead-letter queue, FIFO order. The handlers here are the test's own functions, so that
each test decides which record fails. The gateway's conversions are checked on their own.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
from moto.sqs.models import sqs_backends

from watcharr.local.functions import REPO_ROOT
from watcharr.local.gateway import compile_routes, find_route, http_answer, http_api_event
from watcharr.local.journal import Journal, attach_to_moto, resend
from watcharr.local.moto_clock import (
    cheap_clock_in_use,
    cheap_requests_in_use,
    use_cheap_clock,
    use_cheap_requests,
    use_moto_clock,
    use_moto_requests,
)
from watcharr.local.moto_queues import MotoQueues
from watcharr.local.pollers import DELETE_BATCH_SECONDS, Poller, PollerConfig, source_concurrency
from watcharr.local.state import ACCOUNT_ID, REGION
from watcharr.local.template import HttpRouteSpec, StackSpec, load_template
from watcharr.local.timers import scheduler_event
from watcharr.local.workers import QueueEndpoint, create_queues

pytestmark = pytest.mark.e2e

TEMPLATE = REPO_ROOT / "template.yaml"
LAMBDA_RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    # moto as the runner sets it up: its cheap clock and request patches (local/moto_clock.py).
    patched = cheap_clock_in_use(), cheap_requests_in_use()
    use_cheap_clock()
    use_cheap_requests()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield boto3.client(
        "sqs",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    server.stop()
    (use_cheap_clock if patched[0] else use_moto_clock)()
    (use_cheap_requests if patched[1] else use_moto_requests)()


@pytest.fixture(params=["boto3 and moto's server", "moto in-process"])
def queue_client(request: pytest.FixtureRequest, sqs: Any) -> Any:
    """What a poller receives and settles through: boto3 over HTTP, or moto's backend in this process
    as the runner's pollers use it (both on the one server's queues)."""
    return sqs if request.param.startswith("boto3") else MotoQueues()


@pytest.fixture
def stack() -> StackSpec:
    # A stack name of its own gives each test fresh queues on the shared server.
    return load_template(TEMPLATE, stack_name=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def queues(sqs: Any, stack: StackSpec) -> dict[str, QueueEndpoint]:
    return create_queues(sqs, stack)


def config_for(
    queue: QueueEndpoint, *, batch_size: int, retry_delay: int = 0, visibility_timeout: int | None = None
) -> PollerConfig:
    return PollerConfig(
        function_logical_id="TestFunction",
        queue_url=queue.url,
        queue_arn=queue.arn,
        batch_size=batch_size,
        report_batch_item_failures=True,
        retry_delay=retry_delay,
        timeout_seconds=10,
        visibility_timeout=visibility_timeout,
        fifo=queue.url.endswith(".fifo"),
    )


class Recorder:
    """A handler that keeps every event and reports the records whose body is in ``fail``."""

    def __init__(self, fail: set[str] | None = None, raises: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.raises = raises

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        if self.raises:
            raise RuntimeError("this handler always fails")
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in self.fail
            ]
        }

    def bodies(self, call: int) -> list[str]:
        return [record["body"] for record in self.events[call]["Records"]]


def depth(sqs: Any, queue: QueueEndpoint) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def poll_until_delivered(poller: Poller) -> None:
    """One batch through the handler; long polls a few times rather than forever."""
    for _ in range(3):
        if poller.poll_once(wait_seconds=1):
            return
    raise AssertionError("nothing was delivered")


# ---- pollers ---------------------------------------------------------------------------------------


def test_the_handler_gets_records_in_lambdas_shape_and_done_records_are_deleted(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    extract = queues["ExtractQueue"]
    sqs.send_message(
        QueueUrl=extract.url,
        MessageBody='{"hello": 1}',
        MessageAttributes={
            "origin": {"DataType": "String", "StringValue": "test"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    handler = Recorder()
    poller = Poller(queue_client, handler, config_for(extract, batch_size=1))

    assert poller.poll_once() == 1
    poller.flush_deletes()

    (record,) = handler.events[0]["Records"]
    assert set(record) >= LAMBDA_RECORD_KEYS
    assert record["body"] == '{"hello": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == extract.arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"} <= set(record["attributes"])
    assert record["messageAttributes"]["origin"] == {
        "stringValue": "test",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert base64.b64decode(record["messageAttributes"]["blob"]["binaryValue"]) == b"\x00\x01"
    assert depth(sqs, extract) == 0


def test_only_the_records_reported_as_failed_come_back(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    results = queues["ExtractQueue"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=results.url, MessageBody=body)
    handler = Recorder(fail={"two"})
    poller = Poller(queue_client, handler, config_for(results, batch_size=10, retry_delay=1))

    # moto hands over every visible message of a standard queue in one receive.
    assert poller.poll_once() == 3
    # The failed record is delivered again after the retry delay, counted as a second receive.
    assert poller.poll_once(wait_seconds=5) == 1

    assert handler.events[-1]["Records"][0]["body"] == "two"
    assert handler.events[-1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_a_record_that_keeps_failing_ends_in_the_dead_letter_queue(
    sqs: Any, queue_client: Any, stack: StackSpec, queues: dict[str, QueueEndpoint]
) -> None:
    extract, dlq = queues["ExtractQueue"], queues["ExtractDLQ"]
    sqs.send_message(QueueUrl=extract.url, MessageBody="doomed")
    handler = Recorder(raises=True)
    poller = Poller(queue_client, handler, config_for(extract, batch_size=1))

    for _ in range(20):
        if not poller.poll_once(wait_seconds=0) and depth(sqs, extract) == 0:
            break

    # As many deliveries as the template's maxReceiveCount, then the message waits in the DLQ.
    assert len(handler.events) == stack.queue("ExtractQueue").max_receive_count
    moved = sqs.receive_message(QueueUrl=dlq.url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in moved] == ["doomed"]


def test_a_fifo_batch_keeps_its_order_across_a_failure(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    results = queues["ResultsQueue"]
    for n in range(5):
        sqs.send_message(
            QueueUrl=results.url,
            MessageBody=str(n),
            MessageGroupId="watcharr",
            MessageDeduplicationId=f"d{n}",
        )
    # As the FIFO batch processor does: record "2" fails, so it and every later record are returned.
    handler = Recorder(fail={"2", "3", "4"})
    poller = Poller(queue_client, handler, config_for(results, batch_size=10))

    poll_until_delivered(poller)
    handler.fail = set()
    poll_until_delivered(poller)

    assert handler.bodies(0) == ["0", "1", "2", "3", "4"]
    assert handler.bodies(1) == ["2", "3", "4"]
    record = handler.events[1]["Records"][0]
    assert record["attributes"]["MessageGroupId"] == "watcharr"
    assert record["attributes"]["MessageDeduplicationId"] == "d2"
    assert "SequenceNumber" in record["attributes"]
    assert depth(sqs, results) == 0


def send_fifo(sqs: Any, queue: QueueEndpoint, bodies: list[str]) -> None:
    for body in bodies:
        sqs.send_message(
            QueueUrl=queue.url, MessageBody=body, MessageGroupId="watcharr", MessageDeduplicationId=f"d{body}"
        )


class FailsOnce(Recorder):
    """Reports the record whose body is ``body`` as failed the first time only (a passing fault)."""

    def __init__(self, body: str) -> None:
        super().__init__(fail={body})

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = super().__call__(event, context)
        self.fail = set() if answer["batchItemFailures"] else self.fail
        return answer


def delivered(handler: Recorder) -> list[str]:
    return [body for n in range(len(handler.events)) for body in handler.bodies(n)]


def test_the_fifo_poller_receives_a_full_batch_and_hands_it_over_one_record_at_a_time(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    results = queues["ResultsQueue"]
    send_fifo(sqs, results, [str(n) for n in range(12)])
    handler = Recorder()
    poller = Poller(queue_client, handler, config_for(results, batch_size=1))

    # One receive takes ten (SQS's most); the template's BatchSize 1 still gives one record per invocation.
    assert poller.poll_once() == 10
    assert [len(e["Records"]) for e in handler.events] == [1] * 10
    assert poller.poll_once() == 2

    assert delivered(handler) == [str(n) for n in range(12)]
    assert depth(sqs, results) == 0


def test_a_failure_in_a_received_fifo_batch_returns_it_and_everything_behind_it_in_order(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    results = queues["ResultsQueue"]
    send_fifo(sqs, results, [str(n) for n in range(6)])
    handler = FailsOnce("2")
    # The returned records wait out a retry delay, as in the runner: they come back by their timeout.
    poller = Poller(queue_client, handler, config_for(results, batch_size=1, retry_delay=1))

    for _ in range(6):
        if depth(sqs, results) == 0:
            break
        poller.poll_once(wait_seconds=2)

    # "3" to "5" were in hand when "2" failed: none of them ran before "2" did again.
    assert delivered(handler) == ["0", "1", "2", "2", "3", "4", "5"]
    # Right after the failure the poller took the failed record alone (nothing else received with it).
    assert [len(e["Records"]) for e in handler.events] == [1] * 7
    assert depth(sqs, results) == 0


def _poll_until_killed(endpoint: str, config: PollerConfig, seen: Path) -> None:
    """A worker process: poll with a handler that notes each body and hangs on body "2"."""

    def hangs_on_two(event: dict[str, Any], context: Any) -> None:
        for record in event["Records"]:
            with seen.open("a") as out:
                out.write(record["body"] + "\n")
            if record["body"] == "2":
                time.sleep(60)

    client = boto3.client(
        "sqs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="l", aws_secret_access_key="l"
    )
    poller = Poller(client, hangs_on_two, config)
    while True:
        poller.poll_once()


def test_nothing_is_lost_when_the_fifo_poller_dies_with_a_batch_in_hand(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint], tmp_path: Path
) -> None:
    # Given a FIFO poller in its own process that has received five messages and hangs on the third
    import multiprocessing

    results = queues["ResultsQueue"]
    send_fifo(sqs, results, [str(n) for n in range(5)])
    config = config_for(results, batch_size=1, visibility_timeout=2)
    seen = tmp_path / "seen.txt"
    worker = multiprocessing.get_context("fork").Process(
        target=_poll_until_killed, args=(sqs.meta.endpoint_url, config, seen)
    )
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "2" not in (seen.read_text().split() if seen.exists() else []):
        time.sleep(0.05)

    # When the process is killed with the batch in hand (nothing deleted, nothing returned)
    worker.kill()
    worker.join(5)
    assert seen.read_text().split() == ["0", "1", "2"]

    # Then the visibility timeout brings back every message of the batch, in order, for the next poller
    handler = Recorder()
    poller = Poller(queue_client, handler, config_for(results, batch_size=1))
    while time.monotonic() < deadline and depth(sqs, results) > 0:
        poller.poll_once(wait_seconds=1)
    assert delivered(handler) == ["0", "1", "2", "3", "4"]


def test_a_persister_container_that_hangs_is_replaced_and_its_records_come_back_in_order(
    sqs: Any, queues: dict[str, QueueEndpoint], tmp_path: Path
) -> None:
    # Given the runner's arrangement: a poller thread on moto in-process, the real persister in a
    # container process of its pool (function timeout 3 s), and five results in the FIFO queue
    import multiprocessing
    import os
    import signal
    import sqlite3

    from bench.persister import setup_messages
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.local.function_pool import FunctionPool
    from watcharr.local.pollers import pool_handler

    results = queues["ResultsQueue"]
    database = tmp_path / "watcharr.db"
    environment = {
        "WATCHARR_DATABASE_PATH": str(database),
        "WATCHARR_RESULTS_QUEUE_URL": results.url,
        "WATCHARR_EXTRACT_QUEUE_URL": queues["ExtractQueue"].url,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    pool = FunctionPool(
        multiprocessing.get_context("forkserver"), logical_id="PersisterFunction", function_name="persister",
        handler_attribute="handler", environment=environment, size=1, timeout_seconds=3, log_level="ERROR",
    )  # fmt: skip
    pool.start()
    try:
        messages = setup_messages(40)  # a user, a job and its items: 5 messages that must apply in order
        QueuePublisher(queues["ExtractQueue"].url, results.url, sqs).send_results(messages)
        poller = Poller(MotoQueues(), pool_handler(pool), config_for(results, batch_size=1, retry_delay=1))

        # When the container stops answering in the middle of the first invocation
        (hung,) = pool.pids()
        os.kill(hung, signal.SIGSTOP)
        poller.poll_once(wait_seconds=1)

        # Then the invocation times out, a fresh container takes its place, and every record comes
        # back in order: each applied once
        assert pool.pids() != [hung]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and depth(sqs, results) > 0:
            poller.poll_once(wait_seconds=1)
        db = sqlite3.connect(database)
        applied = sorted(row[0] for row in db.execute("SELECT type FROM applied_messages"))
        assert applied == sorted(m.type for m in messages)
        # out of order, JobItemsAdded would have found no job and been kept as a dead letter
        assert db.execute("SELECT COUNT(*) FROM dead_letters").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM job_items").fetchone() == (40,)
    finally:
        pool.close(2)


def test_a_standard_source_deletes_what_succeeded_together_within_a_second(
    sqs: Any, queue_client: Any, queues: dict[str, QueueEndpoint]
) -> None:
    extract = queues["ExtractQueue"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=extract.url, MessageBody=body)
    handler = Recorder()
    poller = Poller(queue_client, handler, config_for(extract, batch_size=1))

    for _ in range(3):
        assert poller.poll_once() == 1
    held = depth(sqs, extract)
    time.sleep(DELETE_BATCH_SECONDS)
    assert poller.poll_once(wait_seconds=0) == 0

    # Finished, not yet deleted: in flight, so not delivered again; deleted on the next poll after a second.
    assert held == 3
    assert depth(sqs, extract) == 0
    assert sorted(delivered(handler)) == ["one", "three", "two"]


def test_concurrency_follows_the_template() -> None:
    default = load_template(TEMPLATE)
    narrowed = load_template(TEMPLATE, parameter_overrides={"ExtractionConcurrency": "3"})

    def by_queue(stack: StackSpec) -> dict[str, int]:
        return {
            s.queue_logical_id: source_concurrency(s, stack.queue(s.queue_logical_id))
            for s in stack.event_sources
        }

    assert by_queue(default) == {
        "ExtractQueue": int(default.parameters["ExtractionConcurrency"]),
        "ResultsQueue": 1,
    }
    assert by_queue(narrowed)["ExtractQueue"] == 3


# ---- gateway --------------------------------------------------------------------------------------


def test_a_request_becomes_a_payload_2_event() -> None:
    routes = compile_routes([HttpRouteSpec("ApiFunction", "ANY", "/api/{proxy+}")])
    found = find_route(routes, "POST", "/api/shortcuts/add-episode")
    assert found is not None
    route, params = found

    event = http_api_event(
        method="POST",
        target="/api/shortcuts/add-episode?wait=5&tag=a&tag=b",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Api-Token", "abc"),
            ("Accept", "text/html"),
            ("Accept", "application/json"),
            ("Cookie", "a=1; b=2"),
            ("User-Agent", "Shortcuts/1"),
        ],
        body=b'{"url": "https://example.com"}',
        source_ip="127.0.0.1",
        route=route,
        path_parameters=params,
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /api/{proxy+}"
    assert event["rawPath"] == "/api/shortcuts/add-episode"
    assert event["rawQueryString"] == "wait=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"wait": "5", "tag": "a,b"}
    assert event["pathParameters"] == {"proxy": "shortcuts/add-episode"}
    assert event["headers"]["x-api-token"] == "abc"
    assert event["headers"]["accept"] == "text/html,application/json"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["body"] == '{"url": "https://example.com"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/api/shortcuts/add-episode",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "Shortcuts/1",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "ANY /api/{proxy+}"
    assert context["requestId"] and context["time"] and context["timeEpoch"]


def test_a_binary_body_arrives_base64_encoded() -> None:
    (route,) = compile_routes([HttpRouteSpec("ApiFunction", "ANY", "/api/{proxy+}")])

    event = http_api_event(
        method="PUT",
        target="/api/x",
        headers=[("Content-Type", "application/octet-stream")],
        body=b"\xff\x00",
        source_ip="127.0.0.1",
        route=route,
        path_parameters={"proxy": "x"},
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"
    assert "queryStringParameters" not in event


def test_only_paths_under_the_route_reach_the_function() -> None:
    routes = compile_routes([HttpRouteSpec("ApiFunction", "ANY", "/api/{proxy+}")])

    assert find_route(routes, "GET", "/api/jobs/abc") is not None
    assert find_route(routes, "GET", "/api/") is None
    assert find_route(routes, "GET", "/apix/jobs") is None
    assert find_route(routes, "GET", "/") is None


def test_the_answer_becomes_an_http_response() -> None:
    answer = http_answer(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )

    assert answer.status == 201
    assert answer.body == b"\x89PNG"
    assert ("Content-Type", "image/png") in answer.headers
    assert [v for k, v in answer.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2"]


def test_an_answer_without_status_code_is_a_json_200() -> None:
    answer = http_answer({"hello": "world"})

    assert answer.status == 200
    assert json.loads(answer.body) == {"hello": "world"}


def test_the_schedule_event_is_the_scheduler_default_notification() -> None:
    event = scheduler_event("watcharr-PodcastSyncFunction")

    assert event["source"] == "aws.scheduler"
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith(":schedule/default/watcharr-PodcastSyncFunction")


def test_a_failing_fifo_message_holds_back_the_messages_behind_it_in_its_group(
    sqs: Any, queue_client: Any, stack: StackSpec, queues: dict[str, QueueEndpoint]
) -> None:
    # Given a poison message at the head of the one message group, and a job sent half a second later
    results, dlq = queues["ResultsQueue"], queues["ResultsDLQ"]
    sqs.send_message(
        QueueUrl=results.url, MessageBody="poison", MessageGroupId="watcharr", MessageDeduplicationId="p"
    )
    time.sleep(0.5)
    sqs.send_message(
        QueueUrl=results.url, MessageBody="job", MessageGroupId="watcharr", MessageDeduplicationId="j"
    )
    handler = Recorder(fail={"poison"})
    poller = Poller(queue_client, handler, config_for(results, batch_size=1, retry_delay=1))

    # When the poller keeps going while the poison message fails and waits for its retry
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "job" not in [
        b for n in range(len(handler.events)) for b in handler.bodies(n)
    ]:
        poller.poll_once(wait_seconds=1)

    # Then the job is delivered only after every allowed delivery of the poison message, as SQS does
    delivered = [body for n in range(len(handler.events)) for body in handler.bodies(n)]
    max_receives = stack.queue("ResultsQueue").max_receive_count
    assert delivered == ["poison"] * max_receives + ["job"]
    moved = sqs.receive_message(QueueUrl=dlq.url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]


def test_the_journal_keeps_every_accepted_message_until_it_is_deleted_and_sends_it_again(
    tmp_path: Path,
) -> None:
    # Given moto's queues journaling what they accept
    path = tmp_path / "accepted.db"
    journal = Journal(path)
    detach = attach_to_moto(journal)
    try:
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(QueueName="r.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="1")
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "MessageBody": body, "MessageGroupId": "g", "MessageDeduplicationId": body}
                    for n, body in enumerate(["two", "three"])
                ],
            )
            # When the first is handled and deleted, and the stack dies with the other two accepted
            (first,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    finally:
        detach()
        journal.close()

    # Then a new start finds the two in the file, in order, and sends them again into fresh queues
    again = Journal(path)
    detach = attach_to_moto(again)
    try:
        assert [(e.body, e.group_id, e.deduplication_id) for e in again.entries()] == [
            ("two", "g", "two"),
            ("three", "g", "three"),
        ]
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(QueueName="r.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            assert resend(again, sqs_backends[ACCOUNT_ID][REGION]) == 2
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            assert [m["Body"] for m in received] == ["two", "three"]
            # ...and keeps them, under their new ids, until they are deleted once more
            assert sorted(e.message_id for e in again.entries()) == sorted(m["MessageId"] for m in received)
    finally:
        detach()
        again.close()
