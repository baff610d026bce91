"""moto's SQS on local mode's cheap clock keeps the queue behaviour the pollers rely on.

Visibility timeouts, message delays and the dead-letter redrive all read moto's clock, which
``watcharr.local.moto_clock`` replaces with ``time.time()`` in the runner. Each behaviour is checked
with the cheap clock in place, against moto's in-process backend (no mock of SQS itself).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from watcharr.local.moto_clock import cheap_clock_in_use, use_cheap_clock, use_moto_clock


@pytest.fixture
def sqs() -> Iterator[Any]:
    """An SQS client on moto with the cheap clock; moto's own clock is back afterwards."""
    before = cheap_clock_in_use()
    use_cheap_clock()
    try:
        with mock_aws():
            yield boto3.client("sqs", region_name="us-east-1")
    finally:
        (use_cheap_clock if before else use_moto_clock)()


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    return list(answer.get("Messages", []))


def test_a_received_message_comes_back_after_its_visibility_timeout(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="visible", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="once")

    first = _receive(sqs, url)
    hidden = _receive(sqs, url)
    time.sleep(1.2)
    again = _receive(sqs, url)

    assert [m["Body"] for m in first] == ["once"]
    assert hidden == []
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in again] == ["2"]


def test_a_delayed_message_waits_for_its_delay(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="delayed")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)

    early = _receive(sqs, url)
    time.sleep(1.2)
    late = _receive(sqs, url)

    assert early == []
    assert [m["Body"] for m in late] == ["later"]


def test_a_message_received_too_often_moves_to_the_dead_letter_queue(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    receipts = []
    for _ in range(3):
        receipts.append(len(_receive(sqs, url)))
        time.sleep(1.1)

    assert receipts == [1, 1, 0]
    assert [m["Body"] for m in _receive(sqs, dlq)] == ["poison"]


def test_moto_reads_the_cheap_clock_only_while_it_is_in_use() -> None:
    import moto.sqs.models as sqs_models

    before = cheap_clock_in_use()
    try:
        use_cheap_clock()
        use_cheap_clock()
        cheap = sqs_models.unix_time_millis()
        use_moto_clock()
        own = sqs_models.unix_time_millis()
        assert not cheap_clock_in_use()
    finally:
        (use_cheap_clock if before else use_moto_clock)()

    # Both clocks tell the same POSIX time in milliseconds.
    assert abs(cheap - own) < 1000
    assert abs(own - time.time() * 1000) < 1000
