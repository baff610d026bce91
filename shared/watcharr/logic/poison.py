"""Which results messages can never be applied, so that one of them does not block the queue.

ResultsQueue.fifo has one message group: while a message fails, nothing behind it is applied, for
every user. A message that can never succeed (its body is not JSON, names no known type, has invalid
fields, or its rule raises a permanent error) is therefore refused at once (``PoisonMessage``) and
kept in the database's ``dead_letters`` table (``keep_dead_letter``), so that SQS deletes it within
the same receive; ``watcharr dead-letters`` lists and redrives them. The persister cannot send it to
the results DLQ: it runs in the VPC with no route to SQS, and an interface endpoint would cost money
while idle (invariant 6). Only a transient failure (the database locked, EFS unavailable) is raised
again so that SQS delivers the message once more, and after maxReceiveCount the redrive policy moves it
to the results DLQ.
"""

from __future__ import annotations

import json
import sqlite3

from pydantic import ValidationError

from watcharr import limits
from watcharr.adapters.store import WriteStore
from watcharr.domain.text import clean_line
from watcharr.logic.persist import Outcome, apply_result
from watcharr.models.messages import ResultMessage, parse_result, utc_now

# sqlite3.OperationalError: "database is locked", "disk I/O error", "unable to open database file";
# OSError: EFS unavailable or slow (a mount that times out). Everything else recurs on every delivery.
TRANSIENT_FAILURES: tuple[type[Exception], ...] = (sqlite3.OperationalError, OSError)


class PoisonMessage(Exception):
    """A message that can never be applied; its text says why, in plain words."""


def read_result(body: str) -> ResultMessage:
    """The message in ``body``; raises PoisonMessage when it is not a valid results message."""
    try:
        return parse_result(body)
    except ValidationError as exc:
        raise PoisonMessage(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    kind = first["type"]
    if kind == "json_invalid":
        return "the message is not valid JSON"
    if kind in ("union_tag_invalid", "union_tag_not_found", "dict_type", "model_attributes_type"):
        return "the message names no known type"
    fields = ", ".join(
        ".".join(str(part) for part in error["loc"][1:]) or "the message"
        for error in exc.errors(include_url=False)
    )
    kind_name = first["loc"][0] if first["loc"] else "results"
    return f"the {kind_name} message has invalid fields: {fields}"


def apply_or_refuse(store: WriteStore, message: ResultMessage) -> Outcome:
    """Apply ``message``; a transient failure is raised as it is, any other becomes PoisonMessage."""
    try:
        return apply_result(store, message)
    except TRANSIENT_FAILURES:
        raise
    except Exception as exc:
        raise PoisonMessage(
            f"the {message.type} message cannot be applied: {type(exc).__name__}: {exc}"
        ) from exc


def keep_dead_letter(
    store: WriteStore, message_id: str, body: str, reason: str, at: str | None = None
) -> bool:
    """Record a refused message with its body and reason; False when a redelivery finds it kept.

    A failure to write it (the database locked, EFS unavailable) is raised, so the message is retried.
    """
    return store.record_dead_letter(
        message_id, body, clean_line(reason, limits.MAX_REASON_LENGTH), message_type(body), at or utc_now()
    )


def message_type(body: str) -> str | None:
    """The ``type`` a refused body names, when it is a JSON object naming one (for listing)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    named = value.get("type") if isinstance(value, dict) else None
    return clean_line(named, limits.MAX_MESSAGE_TYPE_LENGTH) if isinstance(named, str) else None
