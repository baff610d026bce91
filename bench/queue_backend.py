"""Section 6: the local queue backend — moto's SQS server as a queue's backlog grows.

A queue with the ExtractQueue's attributes is filled to each backlog (straight into moto's backend, to
save time), then the calls local mode makes per link are timed over HTTP through boto3, as the
pollers and the API make them: SendMessageBatch of 10, and ReceiveMessage of one message with every
attribute followed by DeleteMessageBatch. Each backlog is measured with moto's own clock (what local
mode used before) and with the cheap clock local mode now installs (``watcharr.local.moto_clock``).

Then the path of one SQS call through local mode's own server (``watcharr.local.moto_http``): straight
to moto's SQS responses, as local mode sends them, against moto's Flask app, as moto's server does.
Two servers run side by side in this process on the same backend; rounds alternate between them. Each
round is what one link costs the FIFO queue: SendMessageBatch of one FIFO message, ReceiveMessage and
DeleteMessageBatch. The server's CPU is this process's CPU less the calling thread's.

Last, the pollers' own calls, which go to moto's backend in the runner's process
(``watcharr.local.moto_queues``): a queue holding a backlog drained as the extractors' pollers drain it
(receive one, delete it) and a FIFO queue drained ten at a time, as the persister's poller receives,
with moto's own retention check and receipt handles against the ones local mode installs, alternating.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from typing import Any

import boto3

from bench.common import REPO_ROOT, SectionResult, median
from watcharr.local.moto_clock import (
    cheap_clock_in_use,
    cheap_requests_in_use,
    moto_receives,
    use_cheap_clock,
    use_cheap_requests,
    use_moto_clock,
    use_moto_requests,
)
from watcharr.local.moto_http import MotoHttpServer
from watcharr.local.moto_queues import MotoQueues
from watcharr.local.state import ACCOUNT_ID, REGION
from watcharr.local.template import load_template

TITLE = "6. Queue backend (moto SQS)"
BODY = "x" * 400
# What the extract queue holds while a 200-link add is worked through (section 1's workload).
POLLER_BACKLOG = 200


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


def _client(server: MotoHttpServer) -> Any:
    host, port = server.get_host_and_port()
    return boto3.client(
        "sqs", endpoint_url=f"http://{host}:{port}", region_name=REGION,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def _fifo_round(sqs: Any, url: str, number: int) -> None:
    entry = {"Id": "0", "MessageBody": BODY, "MessageGroupId": "g", "MessageDeduplicationId": f"d{number}"}
    sqs.send_message_batch(QueueUrl=url, Entries=[entry])
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages["Messages"])
        ],
    )


def server_paths(result: SectionResult, rounds: int) -> None:
    """One FIFO link's three calls through each of the server's two SQS paths, alternating."""
    patched_before = cheap_clock_in_use(), cheap_requests_in_use()
    use_cheap_clock()
    use_cheap_requests()
    servers = {direct: MotoHttpServer(direct_sqs=direct) for direct in (True, False)}
    try:
        calls = {}
        for direct, server in servers.items():
            server.start()
            sqs = _client(server)
            url = sqs.create_queue(QueueName=f"bench-path-{direct}.fifo", Attributes={"FifoQueue": "true"})
            calls[direct] = (sqs, url["QueueUrl"])
            for number in range(20):  # untimed: connections, caches
                _fifo_round(sqs, url["QueueUrl"], -1 - number)
        walls: dict[bool, list[float]] = {True: [], False: []}
        server_cpu = {True: 0.0, False: 0.0}
        for number in range(rounds):
            for direct, (sqs, url) in calls.items():
                began, process, thread = time.perf_counter(), time.process_time(), time.thread_time()
                _fifo_round(sqs, url, number)
                walls[direct].append(time.perf_counter() - began)
                server_cpu[direct] += (time.process_time() - process) - (time.thread_time() - thread)
    finally:
        for server in servers.values():
            server.stop()
        if not patched_before[0]:
            use_moto_clock()
        if not patched_before[1]:
            use_moto_requests()
    per_call = {direct: server_cpu[direct] / rounds / 3 * 1000 for direct in servers}
    for direct, label in ((False, "through moto's Flask app"), (True, "straight to moto's SQS")):
        result.add(f"one FIFO link's 3 calls, {label}: wall", median(walls[direct]) * 1000, "ms")
        result.add(f"  server CPU per call, {label}", per_call[direct], "ms")
    result.add(
        "server CPU per call, straight / through Flask",
        per_call[True] / per_call[False],
        note=f"{rounds} rounds each, alternating",
    )


def _drain(queues: MotoQueues, url: str, most: int, fifo: bool, backlog: int, number: int) -> float:
    """Fill the queue to ``backlog`` (untimed), then the CPU seconds per message of draining it."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][REGION]
    name = url.rpartition("/")[2]
    for i in range(backlog):
        extra = {"group_id": "g", "deduplication_id": f"{number}-{i}"} if fifo else {}
        backend.send_message(name, BODY, **extra)
    began, drained = time.thread_time(), 0
    while drained < backlog:
        messages = queues.receive_message(
            QueueUrl=url, MaxNumberOfMessages=most, WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])  # fmt: skip
        if not messages:
            raise RuntimeError(f"{name}: {backlog - drained} messages not received")
        queues.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        drained += len(messages)
    return (time.thread_time() - began) / backlog


def poller_receives(result: SectionResult, rounds: int, backlog: int) -> None:
    """The pollers' in-process receive + delete per message, with and without the receive patches."""
    from moto import mock_aws

    patched_before = cheap_clock_in_use(), cheap_requests_in_use()
    use_cheap_clock()
    use_cheap_requests()
    try:
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            standard = sqs.create_queue(QueueName="bench-poller")["QueueUrl"]
            fifo = sqs.create_queue(QueueName="bench-poller.fifo", Attributes={"FifoQueue": "true"})[
                "QueueUrl"
            ]
            queues = MotoQueues()
            costs: dict[tuple[str, bool], list[float]] = {}
            for number in range(rounds):
                for patched in (False, True):
                    with nullcontext() if patched else moto_receives():
                        for kind, url, most in (("standard", standard, 1), ("FIFO", fifo, 10)):
                            cost = _drain(queues, url, most, kind == "FIFO", backlog, 2 * number + patched)
                            costs.setdefault((kind, patched), []).append(cost)
    finally:
        if not patched_before[0]:
            use_moto_clock()
        if not patched_before[1]:
            use_moto_requests()
    for kind, most in (("standard", 1), ("FIFO", 10)):
        before, after = median(costs[(kind, False)]) * 1000, median(costs[(kind, True)]) * 1000
        label = f"pollers' receive ({most}) + delete, {kind} queue of {backlog:,}, per message"
        result.add(f"{label}: moto's receive", before, "ms")
        result.add(
            f"{label}: local mode's",
            after,
            "ms",
            note=f"{after / before:.2f}× ({rounds} rounds, alternating)",
        )


def run(backlogs: list[int], calls: int, path_rounds: int) -> SectionResult:
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
    server_paths(result, path_rounds)
    poller_receives(result, max(3, path_rounds // 100), POLLER_BACKLOG)
    result.notes.append(
        "moto's ceiling: links per second one moto server could pass through the extract queue if it did"
        " nothing else (1 / (SendMessageBatch/10 + receive + delete)); the persister's FIFO queue adds"
        " a second receive + delete per link."
    )
    return result
