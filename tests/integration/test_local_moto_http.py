"""moto's SQS behind local mode's keep-alive HTTP server, driven by boto3 as the functions drive it.

Every test runs on both of the server's paths for SQS: straight to moto's SQS responses (what local
mode uses) and through moto's Flask app (what moto's own server does); one test compares the two.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED

from tests.support.lambda_env import reset_process_state
from watcharr.adapters import queues
from watcharr.local.moto_http import MotoHttpServer
from watcharr.local.options import LocalOptions
from watcharr.local.runner import LocalStack
from watcharr.local.state import REGION
from watcharr.models.messages import UserCreated
from watcharr.settings import Settings

SQS_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
)


def _started(direct_sqs: bool) -> MotoHttpServer:
    running = MotoHttpServer(direct_sqs=direct_sqs)
    running.start()
    return running


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[bool, MotoHttpServer]]:
    both = {direct: _started(direct) for direct in (True, False)}
    yield both
    for running in both.values():
        running.stop()


@pytest.fixture(params=[True, False], ids=["direct", "through-flask"])
def server(request: pytest.FixtureRequest, servers: dict[bool, MotoHttpServer]) -> MotoHttpServer:
    return servers[request.param]


def _client(server: MotoHttpServer) -> Any:
    host, port = server.get_host_and_port()
    return boto3.client(
        "sqs", endpoint_url=f"http://{host}:{port}", region_name=REGION,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


@pytest.fixture
def sqs(server: MotoHttpServer) -> Any:
    return _client(server)


def test_send_receive_and_delete_answer_as_moto_does(sqs: Any, server: MotoHttpServer) -> None:
    name = f"kept-{server.get_host_and_port()[1]}.fifo"
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    sent = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(n),
                "MessageBody": f"body {n} é",
                "MessageGroupId": "g",
                "MessageDeduplicationId": f"d{n}",
            }
            for n in range(3)
        ],
    )
    assert [entry["Id"] for entry in sent["Successful"]] == ["0", "1", "2"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    messages = received["Messages"]
    assert [m["Body"] for m in messages] == ["body 0 é", "body 1 é", "body 2 é"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
    )
    assert len(deleted["Successful"]) == 3
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


def test_moto_s_errors_reach_the_client_as_errors(sqs: Any) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="never-made")


def test_one_connection_carries_many_requests(server: MotoHttpServer, sqs: Any) -> None:
    # What the server is for: botocore keeps its connection, so the calls after the first open none.
    url = sqs.create_queue(QueueName=f"reused-{server.get_host_and_port()[1]}")["QueueUrl"]
    connections_before = server.connections_served
    for n in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    assert server.connections_served - connections_before <= 1


def test_a_chunked_request_is_read_whole_and_a_bad_length_is_refused(server: MotoHttpServer) -> None:
    host, port = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    body = b"Action=ListQueues&Version=2012-11-05"
    connection.putrequest("POST", "/")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    # moto tells the service by the signature's credential scope
    connection.putheader("Authorization", SQS_AUTHORIZATION)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for start in range(0, len(body), 7):
        piece = body[start : start + 7]
        connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    connection.send(b"0\r\n\r\n")
    answer = connection.getresponse()
    assert answer.status == 200 and b"ListQueuesResponse" in answer.read()

    connection.putrequest("POST", "/")
    connection.putheader("Content-Length", "-5")
    connection.endheaders()
    refused = connection.getresponse()
    assert refused.status == 400
    refused.read()
    connection.close()


# Values that differ from one call to the next, whichever path answers.
_VOLATILE = re.compile(
    r'"(MessageId|ReceiptHandle|SequenceNumber|SentTimestamp|ApproximateFirstReceiveTimestamp'
    r'|CreatedTimestamp|LastModifiedTimestamp)": "[^"]*"'
)
# Headers left out of the comparison: a fresh id per answer, the length (the queues' names differ; the
# bodies are compared), and the CORS header moto's Flask app adds for browsers (no browser talks to
# local mode's SQS; boto3 never reads it).
_NOT_COMPARED = {"x-amzn-requestid", "content-length", "access-control-allow-origin"}


def _raw(server: MotoHttpServer, action: str, params: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    host, port = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{action}",
        "Authorization": SQS_AUTHORIZATION,
    }
    connection.request("POST", "/", body=json.dumps(params).encode(), headers=headers)
    answer = connection.getresponse()
    body = answer.read().decode()
    connection.close()
    kept = {name.lower(): value for name, value in answer.getheaders() if name.lower() not in _NOT_COMPARED}
    return answer.status, kept, _VOLATILE.sub(r'"\1": "…"', body)


def test_the_direct_path_answers_every_call_as_moto_s_flask_app_does(
    servers: dict[bool, MotoHttpServer],
) -> None:
    # Each call goes to both paths, one after the other, on queues each path made for itself.
    for direct in (True, False):
        _raw(
            servers[direct],
            "CreateQueue",
            {"QueueName": f"same-{direct}.fifo", "Attributes": {"FifoQueue": "true"}},
        )
        _raw(servers[direct], "CreateQueue", {"QueueName": f"same-{direct}"})

    def both(action: str, params: dict[str, Any]) -> list[tuple[int, dict[str, str], str]]:
        answers = []
        for direct in (True, False):
            host, port = servers[direct].get_host_and_port()
            base, queue = f"http://{host}:{port}", f"same-{direct}"
            text = json.dumps(params).replace("{base}", base).replace("{queue}", queue)
            status, headers, body = _raw(servers[direct], action, json.loads(text))
            answers.append((status, headers, body.replace(base, "{base}").replace(queue, "{queue}")))
        return answers

    url = "{base}/123456789012/{queue}"
    calls: list[tuple[str, dict[str, Any]]] = [
        ("GetQueueUrl", {"QueueName": "{queue}.fifo"}),
        (
            "SendMessageBatch",
            {
                "QueueUrl": url + ".fifo",
                "Entries": [
                    {
                        "Id": str(n),
                        "MessageBody": f"b{n} é",
                        "MessageGroupId": "g",
                        "MessageDeduplicationId": f"d{n}",
                    }
                    for n in range(3)
                ],
            },
        ),
        (
            "SendMessage",
            {
                "QueueUrl": url,
                "MessageBody": "plain",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            },
        ),
        (
            "ReceiveMessage",
            {
                "QueueUrl": url + ".fifo",
                "MaxNumberOfMessages": 10,
                "MessageSystemAttributeNames": ["MessageGroupId"],
            },
        ),
        ("ReceiveMessage", {"QueueUrl": url, "MessageAttributeNames": ["All"]}),
        (
            "GetQueueAttributes",
            {"QueueUrl": url + ".fifo", "AttributeNames": ["FifoQueue", "VisibilityTimeout"]},
        ),
        # Errors: a queue that does not exist, a batch entry id SQS refuses, a FIFO message with no group.
        ("GetQueueUrl", {"QueueName": "{queue}-never-made"}),
        ("SendMessageBatch", {"QueueUrl": url, "Entries": [{"Id": "no spaces", "MessageBody": "x"}]}),
        ("SendMessage", {"QueueUrl": url + ".fifo", "MessageBody": "no group"}),
    ]
    for action, params in calls:
        direct, through_flask = both(action, params)
        assert direct == through_flask, action
    assert both("GetQueueUrl", {"QueueName": "{queue}-never-made"})[0][0] == 400


def test_unsigned_requests_reach_the_same_queues_as_signed_ones(
    servers: dict[bool, MotoHttpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Local mode's functions send unsigned (Settings.sqs_unsigned): moto must still file their
    # messages under the account and region the runner and the pollers use. Only the direct path
    # does: moto's Flask app tells services apart by the signature's scope and hands an unsigned
    # SQS call to another service (answered 200, message gone), so local mode keeps the direct path.
    server = servers[True]
    sqs = _client(server)
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    reset_process_state()
    url = sqs.create_queue(QueueName=f"unsigned-{port}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    publisher = queues.publisher_for(Settings(results_queue_url=url, sqs_unsigned=True))
    headers: list[dict[str, str]] = []
    publisher.client.meta.events.register(
        "before-send.sqs", lambda request, **_: headers.append(dict(request.headers))
    )
    try:
        publisher.send_results(
            [UserCreated(at="2026-12-03T12:00:00.000Z", username="u", token_hash="0" * 64)]
        )
    finally:
        reset_process_state()  # the next test's clients are its own
    assert headers and all("Authorization" not in sent for sent in headers)
    received = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["username"] for m in received] == ["u"]
    assert received[0]["Attributes"]["MessageGroupId"] == queues.RESULTS_MESSAGE_GROUP


def test_local_mode_sends_unsigned_and_aws_signs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    local = Settings.from_env(
        LocalStack(LocalOptions(data_dir=tmp_path), threading.Event())._local_overrides()
    )
    assert local.sqs_unsigned is True
    assert Settings.from_env({}).sqs_unsigned is False
    assert queues.sqs_client(unsigned=True).meta.config.signature_version is UNSIGNED
    assert queues.sqs_client().meta.config.signature_version is not UNSIGNED
