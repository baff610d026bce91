"""Section 6: the local queue backend — moto's SQS server as a queue's backlog grows.

A queue with the ExtractQueue's attributes is filled to each backlog (straight into moto's backend, to
save time), then the calls local mode makes per link are timed over HTTP through boto3, as the
pollers and the API make them: SendMessageBatch of 10, and ReceiveMessage of one message with every
attribute followed by DeleteMessageBatch. Each backlog is measured with moto's own clock (what local
mode used before) and with the cheap clock local mode now installs (``watcharr.local.moto_clock``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import boto3

from bench.common import REPO_ROOT, SectionResult, median
from watcharr.local.moto_clock import cheap_clock_in_use, use_cheap_clock, use_moto_clock
from watcharr.local.state import ACCOUNT_ID, REGION
from watcharr.local.template import load_template

TITLE = "6. Queue backend (moto SQS)"
BODY = "x" * 400


def _fill(queue_name: str, count: int) -> None:
    """Put ``count`` messages on the queue through moto's backend (no HTTP), 10 at a time."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][REGION]
    entries = {
        str(i): {"Id": str(i), "MessageBody": BODY, "MessageAttributes": {}, "DelaySeconds": None}
        for i in range(10)
    }
    for _ in range(count // 10):
        backend.send_message_batch(queue_name, entries)


def _time_calls(sqs: Any, url: str, calls: int) -> tuple[float, float]:
    """Median seconds of one SendMessageBatch(10), and of one ReceiveMessage(1) + DeleteMessageBatch."""
    sends: list[float] = []
    receives: list[float] = []
    entries = [{"Id": str(i), "MessageBody": BODY} for i in range(10)]
    for _ in range(calls):
        began = time.perf_counter()
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        sends.append(time.perf_counter() - began)
        began = time.perf_counter()
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )["Messages"]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": "0", "ReceiptHandle": messages[0]["ReceiptHandle"]}]
        )
        receives.append(time.perf_counter() - began)
    return median(sends), median(receives)


def run(backlogs: list[int], calls: int) -> SectionResult:
    """Per-call costs at each backlog, before and after the cheap clock."""
    from moto.server import ThreadedMotoServer

    result = SectionResult(TITLE)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    attributes = load_template(REPO_ROOT / "template.yaml").queue("ExtractQueue")
    cheap_before = cheap_clock_in_use()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        sqs = boto3.client(
            "sqs",
            endpoint_url=f"http://{host}:{port}",
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        for backlog in backlogs:
            name = f"bench-backlog-{backlog}"
            # No dead-letter queue: redrive never happens here, each message is received once.
            queue_attributes = {"VisibilityTimeout": str(attributes.visibility_timeout)}
            url = sqs.create_queue(QueueName=name, Attributes=queue_attributes)["QueueUrl"]
            use_cheap_clock()
            _fill(name, backlog)
            figures = {}
            for label, clock in (("before", use_moto_clock), ("after", use_cheap_clock)):
                clock()
                figures[label] = _time_calls(sqs, url, calls)
            send_before, receive_before = figures["before"]
            send_after, receive_after = figures["after"]
            result.add(f"backlog {backlog:,}: SendMessageBatch(10), moto's clock", send_before * 1000, "ms")
            result.add(f"backlog {backlog:,}: SendMessageBatch(10), cheap clock", send_after * 1000, "ms")
            result.add(
                f"backlog {backlog:,}: receive + delete one, moto's clock", receive_before * 1000, "ms"
            )
            result.add(f"backlog {backlog:,}: receive + delete one, cheap clock", receive_after * 1000, "ms")
            # Per link: a tenth of the API's batch send, one receive + delete by an extractor.
            before = 1 / (send_before / 10 + receive_before)
            after = 1 / (send_after / 10 + receive_after)
            result.add(
                f"backlog {backlog:,}: moto's ceiling, moto's / cheap clock",
                f"{before:.0f} / {after:.0f} links/s",
                note=f"{after / before:.1f}× with the cheap clock",
            )
            sqs.delete_queue(QueueUrl=url)
    finally:
        # The clock is this process's global state: leave it as it was found.
        (use_cheap_clock if cheap_before else use_moto_clock)()
        server.stop()
    result.notes.append(
        "moto's ceiling: links per second one moto server could pass through the extract queue if it did"
        " nothing else (1 / (SendMessageBatch/10 + receive + delete)); the persister's FIFO queue adds"
        " a second receive + delete per link."
    )
    return result
