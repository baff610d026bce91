"""A user's change to the list as a command for the one writer: named, sent, and followed to its outcome.

The API never writes: it sends the command on the FIFO queue (the persister's rules are in
``watcharr.logic.commands``) and, when asked to wait, polls the QueryFunction for the command's row
until the persister has recorded it applied or failed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from watcharr.adapters.queues import QueuePublisher
from watcharr.models.messages import Command
from watcharr.models.queries import CommandView, GetCommand, ask

# The first look comes soon (a local persister applies a command in tens of milliseconds); later
# looks back off so a long wait costs the QueryFunction a few calls a second at most.
FIRST_POLL_SECONDS = 0.005
LAST_POLL_SECONDS = 0.5
POLL_GROWTH = 1.5


def new_command_id() -> str:
    """A command's id: 32 lowercase hex characters, also its FIFO deduplication key."""
    return uuid.uuid4().hex


def send_command(publisher: QueuePublisher, command: Command) -> None:
    """Queue the command for the writer, in the one FIFO group behind everything accepted before it."""
    publisher.send_results([command])


def wait_for_command(
    query: Callable[[Any], dict[str, Any]], user_id: int, command_id: str, seconds: float
) -> CommandView | None:
    """The command's outcome once the writer has recorded it, or None when ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    pause = FIRST_POLL_SECONDS
    while True:
        found = ask(query, GetCommand(user_id=user_id, command_id=command_id))
        if found.command is not None:
            return found.command
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(pause, remaining))
        pause = min(pause * POLL_GROWTH, LAST_POLL_SECONDS)
