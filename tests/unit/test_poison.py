"""Which results messages can never be applied: each is refused with a reason in plain words."""

from __future__ import annotations

import json

import pytest

from watcharr.logic.poison import PoisonMessage, read_result

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
