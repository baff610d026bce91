"""Which results messages can never be applied: each is refused with a reason in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watcharr.adapters.store import ReadStore, WriteStore, connect_writer
from watcharr.logic.poison import PoisonMessage, keep_dead_letter, message_type, read_result
from watcharr.logic.queries import answer_query
from watcharr.models.queries import DeadLetter, DeadLettersAnswer, ListDeadLetters

TOKEN_HASH = "ab" * 32


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "the message is not valid JSON"),
        ("\x00\xff", "the message is not valid JSON"),
        ('{"v": 1, "type": "UserCreated"', "the message is not valid JSON"),
        ("[1, 2]", "the message names no known type"),
        ("42", "the message names no known type"),
        ("{}", "the message names no known type"),
        ('{"v": 1, "type": "DropTables"}', "the message names no known type"),
        ('{"v": 2, "type": "UserCreated", "username": "a", "token_hash": "' + TOKEN_HASH + '"}', "fields: v"),
        ('{"v": 1, "type": "UserCreated", "username": "a"}', "fields: token_hash"),
        ('{"v": 1, "type": "UserCreated", "username": "a", "token_hash": "x"}', "fields: token_hash"),
        (
            '{"v": 1, "type": "JobCreated", "job_id": "j", "user_id": "one", "source": "cli", "items": []}',
            "user_id",
        ),
        ('{"v": 1, "type": "ItemFailed", "job_id": "j", "item_id": "i", "reason": "r", "extra": 1}', "extra"),
    ],
)
def test_a_message_that_can_never_be_applied_is_refused_with_a_plain_reason(body: str, reason: str) -> None:
    with pytest.raises(PoisonMessage) as refused:
        read_result(body)

    assert reason in str(refused.value)
    assert "pydantic" not in str(refused.value) and "http" not in str(refused.value)


def test_a_valid_message_is_read() -> None:
    body = json.dumps({"v": 1, "type": "TokenRotated", "username": "alice", "token_hash": TOKEN_HASH})

    assert read_result(body).type == "TokenRotated"


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ('{"v": 1, "type": "DropTables"}', "DropTables"),
        ('{"type": "Evil\\u001b[31m\\u202eName"}', "EvilName"),
        ('{"type": 7}', None),
        ("[1, 2]", None),
        ("{not json", None),
        ("[" * 5000 + "]" * 5000, None),
        ('{"type": ' + "1" * 5000 + "}", None),
    ],
)
def test_the_type_a_refused_body_names_is_kept_only_when_it_is_a_string(body: str, type_: str | None) -> None:
    assert message_type(body) == type_


def test_a_dead_letter_is_kept_once_with_its_body_and_a_clean_reason(tmp_path: Path) -> None:
    store = WriteStore(connect_writer(tmp_path / "watcharr.db"))
    body = '{"v": 1, "type": "NoSuchMessage"}'

    first = keep_dead_letter(store, "m-1", body, "bad\nreason\x1b[2J", at="2026-01-01T00:00:00.000Z")
    again = keep_dead_letter(store, "m-1", body, "bad\nreason\x1b[2J", at="2026-01-01T00:05:00.000Z")

    assert (first, again) == (True, False)
    answer = answer_query(ReadStore(store.conn), ListDeadLetters())
    assert answer == DeadLettersAnswer(
        dead_letters=[
            DeadLetter(
                message_id="m-1",
                body=body,
                reason="bad reason",
                type="NoSuchMessage",
                received_at="2026-01-01T00:00:00.000Z",
            )
        ],
        total=1,
    )


def test_dead_letters_are_listed_newest_first_and_one_can_be_asked_for(tmp_path: Path) -> None:
    store = WriteStore(connect_writer(tmp_path / "watcharr.db"))
    for n in range(3):
        keep_dead_letter(store, f"m-{n}", "{}", "r", at=f"2026-01-0{n + 1}T00:00:00.000Z")
    reader = ReadStore(store.conn)

    page = answer_query(reader, ListDeadLetters(limit=2))
    one = answer_query(reader, ListDeadLetters(message_id="m-0"))
    missing = answer_query(reader, ListDeadLetters(message_id="m-9"))

    assert ([d.message_id for d in page.dead_letters], page.total) == (["m-2", "m-1"], 3)
    assert [d.message_id for d in one.dead_letters] == ["m-0"]
    assert (missing.dead_letters, missing.total) == ([], 0)
    assert answer_query(None, ListDeadLetters()) == DeadLettersAnswer(dead_letters=[], total=0)
