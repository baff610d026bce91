"""moto's SQS on local mode's cheap clock keeps the queue behaviour the pollers rely on.

Visibility timeouts, message delays and the dead-letter redrive all read moto's clock, which
``watcharr.local.moto_clock`` replaces with ``time.time()`` in the runner; its request patches cache
moto's per-request lookups and build queue attributes lazily. Each behaviour is checked with them in
place, against moto's in-process backend (no mock of SQS itself).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from watcharr.local.moto_clock import (
    cheap_clock_in_use,
    cheap_requests_in_use,
    use_cheap_clock,
    use_cheap_requests,
    use_moto_clock,
    use_moto_requests,
)
from watcharr.local.state import ACCOUNT_ID


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


@pytest.fixture
def cheap_sqs(sqs: Any) -> Iterator[Any]:
    """The cheap clock and moto's per-request patches; moto's own request path is back afterwards."""
    before = cheap_requests_in_use()
    use_cheap_requests()
    try:
        yield sqs
    finally:
        (use_cheap_requests if before else use_moto_requests)()


def _fifo(sqs: Any, name: str, **attributes: str) -> str:
    url: str = sqs.create_queue(QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true", **attributes})[
        "QueueUrl"
    ]
    return url


def test_content_based_deduplication_still_drops_a_repeated_body(cheap_sqs: Any) -> None:
    url = _fifo(cheap_sqs, "content", ContentBasedDeduplication="true")
    for _ in range(2):
        cheap_sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    cheap_sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")

    assert [m["Body"] for m in _receive(cheap_sqs, url)] == ["same", "other"]


def test_a_fifo_queue_without_content_deduplication_still_asks_for_a_deduplication_id(cheap_sqs: Any) -> None:
    url = _fifo(cheap_sqs, "explicit")

    with pytest.raises(cheap_sqs.exceptions.ClientError, match="MessageDeduplicationId"):
        cheap_sqs.send_message(QueueUrl=url, MessageBody="no id", MessageGroupId="g")
    cheap_sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="1")
    cheap_sqs.send_message(
        QueueUrl=url, MessageBody="a again", MessageGroupId="g", MessageDeduplicationId="1"
    )

    assert [m["Body"] for m in _receive(cheap_sqs, url)] == ["a"]


def test_queue_attributes_still_count_the_messages(cheap_sqs: Any) -> None:
    url = _fifo(cheap_sqs, "counted", ContentBasedDeduplication="true")
    for body in ("1", "2", "3"):
        cheap_sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    cheap_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)

    everything = cheap_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    some = cheap_sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ContentBasedDeduplication"]
    )["Attributes"]

    assert everything["ApproximateNumberOfMessages"] == "2"
    assert everything["FifoQueue"] == "true"
    assert some == {"ApproximateNumberOfMessagesNotVisible": "1", "ContentBasedDeduplication": "true"}


def test_a_fifo_batch_that_timed_out_comes_back_in_order(cheap_sqs: Any) -> None:
    # moto alone gives such a batch back last message first (see _groups_in_flight).
    url = _fifo(cheap_sqs, "redelivered", ContentBasedDeduplication="true")
    for body in ("0", "1", "2", "3"):
        cheap_sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = cheap_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    time.sleep(1.2)

    again: list[str] = []
    for _ in range(8):
        messages = _receive(cheap_sqs, url)
        again += [m["Body"] for m in messages]
        for m in messages:
            cheap_sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    assert [m["Body"] for m in first] == ["0", "1", "2", "3"]
    assert again == ["0", "1", "2", "3"]


def test_a_fifo_batch_returned_with_no_visibility_timeout_comes_back_whole(cheap_sqs: Any) -> None:
    # What a poller does after a failure with --retry-delay 0. moto alone (now > visible_at) can leave
    # such a message in flight for an equal clock reading, and the next receive then stops behind it.
    url = _fifo(cheap_sqs, "returned", ContentBasedDeduplication="true")
    for round_ in range(30):
        for body in ("0", "1", "2", "3", "4"):
            cheap_sqs.send_message(QueueUrl=url, MessageBody=f"{round_}-{body}", MessageGroupId="g")
        first = cheap_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)[
            "Messages"
        ]
        done, back = first[:2], first[2:]
        cheap_sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
        cheap_sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(back)
            ],
        )
        again = cheap_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)[
            "Messages"
        ]
        assert [m["Body"] for m in again] == [f"{round_}-{n}" for n in ("2", "3", "4")]
        cheap_sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(again)],
        )


def test_the_request_patches_come_and_go_and_unknown_actions_are_still_refused() -> None:
    import moto.core.utils as core_utils

    before = cheap_requests_in_use()
    try:
        use_cheap_requests()
        use_cheap_requests()
        cached = core_utils.camelcase_to_underscores("ReceiveMessage")
        assert cheap_requests_in_use()
        with mock_aws():
            client = boto3.client("sqs", region_name="us-east-1")
            with pytest.raises(client.exceptions.ClientError):
                client.get_queue_url(QueueName="never-made")
        use_moto_requests()
        own = core_utils.camelcase_to_underscores("ReceiveMessage")
        assert not cheap_requests_in_use()
        assert not hasattr(core_utils.camelcase_to_underscores, "cache_info")
    finally:
        (use_cheap_requests if before else use_moto_requests)()

    assert cached == own == "receive_message"


def _backend_queue(name: str) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[ACCOUNT_ID]["us-east-1"].get_queue(name)


def test_a_message_past_its_queue_s_retention_period_is_not_handed_out(cheap_sqs: Any) -> None:
    url = cheap_sqs.create_queue(QueueName="retained", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"
    ]
    cheap_sqs.send_message(QueueUrl=url, MessageBody="old")
    (old,) = _backend_queue("retained")._messages
    old.sent_timestamp -= 61_000
    expired = _receive(cheap_sqs, url)

    # A longer period set afterwards is read from the queue as it is now.
    cheap_sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "120"})
    old.visible_at = 0
    kept = _receive(cheap_sqs, url)

    assert expired == []
    assert [m["Body"] for m in kept] == ["old"]


def test_receipt_handles_are_still_moto_s_and_new_at_each_receive(cheap_sqs: Any) -> None:
    url = cheap_sqs.create_queue(QueueName="handles")["QueueUrl"]
    cheap_sqs.send_message(QueueUrl=url, MessageBody="one")
    handles = []
    for _ in range(3):
        (message,) = cheap_sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
        handles.append(message["ReceiptHandle"])

    assert all(len(h) == 185 and h.isalpha() and h.islower() for h in handles)
    assert len(set(handles)) == 3
    # The newest handle deletes the message.
    cheap_sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[-1])
    assert _receive(cheap_sqs, url) == []
