"""`watcharr dead-letters list|redrive` on a real database file and moto's SQS server on 127.0.0.1.

The CLI makes its own boto3 client, so moto runs as a real server (ThreadedMotoServer) that the CLI
reaches through the local stack's state file, as it would reach the local runner's moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import moto_server, write_local_state
from watcharr import cli
from watcharr.adapters.queues import RESULTS_MESSAGE_GROUP
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.logic.poison import keep_dead_letter
from watcharr.models.messages import parse_result

TOKEN_HASH = "ab" * 32
# A message an older persister refused (say, before it knew the type) and the fixed one applies.
REFUSED = json.dumps({"v": 1, "type": "UserCreated", "username": "bob", "token_hash": TOKEN_HASH})


@dataclass
class Stack:
    sqs: Any
    results_url: str
    data_dir: Path

    def store(self) -> WriteStore:
        return WriteStore(connect_writer(self.data_dir / "watcharr.db"))

    def drain_results(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.results_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.results_url, ReceiptHandle=message["ReceiptHandle"])
        return messages


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    monkeypatch.chdir(tmp_path)
    for name in ("WATCHARR_RESULTS_QUEUE_URL", "WATCHARR_QUERY_FUNCTION_NAME", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    with moto_server() as moto:
        data = tmp_path / "data"
        data.mkdir()
        write_local_state(data, moto)
        yield Stack(moto.sqs, moto.queue_urls["ResultsQueue"], data)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_shows_each_refused_message_with_its_reason(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    store = stack.store()
    keep_dead_letter(
        store, "m-old", "{not json", "the message is not valid JSON", at="2026-01-01T00:00:00.000Z"
    )
    keep_dead_letter(
        store, "m-new", REFUSED, "the message names no known type", at="2026-01-02T00:00:00.000Z"
    )

    code, out, _ = run(capsys, "dead-letters", "list")
    json_code, json_out, _ = run(capsys, "--json", "dead-letters", "list", "--limit", "1")

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "RECEIVED", "TYPE", "REASON", "BODY"]
    assert lines[1].startswith("m-new") and "UserCreated" in lines[1] and "names no known type" in lines[1]
    assert lines[2].startswith("m-old") and "not valid JSON" in lines[2]
    assert json_code == 0
    answer = json.loads(json_out)
    assert answer["total"] == 2
    assert [(d["message_id"], d["body"]) for d in answer["dead_letters"]] == [("m-new", REFUSED)]


def test_list_with_no_database_yet_says_so(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "dead-letters", "list")[:2] == (0, "no dead letters\n")


def test_redrive_sends_the_stored_body_to_the_results_queue_once(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a message the persister refused, whose cause the operator has fixed since
    store = stack.store()
    keep_dead_letter(store, "m-1", REFUSED, "the message names no known type")

    # When it is redriven (twice by mistake, within SQS's 5-minute deduplication window)
    first = run(capsys, "dead-letters", "redrive", "m-1")
    again = run(capsys, "dead-letters", "redrive", "m-1")

    # Then its body is on the FIFO queue once, in the one message group, and the persister applies it
    assert (first[0], again[0]) == (0, 0)
    (message,) = stack.drain_results()
    assert message["Body"] == REFUSED
    assert message["Attributes"]["MessageGroupId"] == RESULTS_MESSAGE_GROUP
    assert apply_result(store, parse_result(message["Body"])) == "applied"
    assert store.conn.execute("SELECT username FROM users").fetchall() == [{"username": "bob"}]


def test_redrive_of_an_unknown_id_is_refused(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.store()

    code, _, err = run(capsys, "dead-letters", "redrive", "m-9")

    assert code == 1
    assert "no dead letter 'm-9'" in err
    assert stack.drain_results() == []
