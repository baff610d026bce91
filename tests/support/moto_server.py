"""moto's SQS as a real server on 127.0.0.1, with the queues template.yaml declares, for the CLI's tests.

The CLI makes its own boto3 client, so moto runs as a server (ThreadedMotoServer) that the CLI reaches
through the local stack's state file, as it would reach the local runner's moto.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from watcharr.local.functions import REPO_ROOT
from watcharr.local.template import load_template
from watcharr.local.workers import create_queues


@dataclass
class Moto:
    """The running server: its endpoint, a client of it, and the template's queues by logical id."""

    endpoint: str
    sqs: Any
    queue_urls: dict[str, str]

    def drain(self, queue: str) -> list[dict[str, Any]]:
        """Every message on the queue (received and deleted), with its FIFO attributes."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_urls[queue], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                self.sqs.delete_message(
                    QueueUrl=self.queue_urls[queue], ReceiptHandle=message["ReceiptHandle"]
                )
            messages.extend(batch)


@contextmanager
def moto_server() -> Iterator[Moto]:
    """moto's server on a free port, with empty queues, stopped (and its socket closed) afterwards."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's state lives in the process: start from empty queues whatever ran before in it.
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    try:
        queues = create_queues(sqs, load_template(REPO_ROOT / "template.yaml"))
        yield Moto(endpoint, sqs, {logical_id: queue.url for logical_id, queue in queues.items()})
    finally:
        server.stop()
        assert server._server is not None
        server._server.server_close()


def write_local_state(data: Path, moto: Moto) -> None:
    """The state file a running local stack writes in ``data``, pointing at ``moto``."""
    state = {
        "pid": 1,
        "apiUrl": "http://127.0.0.1:9",
        "sqsEndpoint": moto.endpoint,
        "queueUrls": moto.queue_urls,
        "databasePath": str(data / "watcharr.db"),
        "tokenFile": str(data / "local-token"),
    }
    (data / "local.json").write_text(json.dumps(state))
