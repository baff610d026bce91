"""moto's SQS behind local mode's keep-alive HTTP server, driven by boto3 as the functions drive it."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from watcharr.local.moto_http import MotoHttpServer
from watcharr.local.state import REGION

SQS_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
)


@pytest.fixture(scope="module")
def server() -> Iterator[MotoHttpServer]:
    running = MotoHttpServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def sqs(server: MotoHttpServer) -> Any:
    host, port = server.get_host_and_port()
    return boto3.client(
        "sqs", endpoint_url=f"http://{host}:{port}", region_name=REGION,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def test_send_receive_and_delete_answer_as_moto_does(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="kept.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
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
    url = sqs.create_queue(QueueName="reused")["QueueUrl"]
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
