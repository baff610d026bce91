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

# A writer applies a command in tens of milliseconds (local mode: 15-60 ms on two shared cores, most
# of it fsyncs), so the first 200 ms are looked at every 5 ms: a growing pause there answered up to
# one pause late (after 40.6 ms for a command applied at 24 ms). Later looks back off so a long wait
# costs the QueryFunction a few calls a second at most.
FIRST_POLL_SECONDS = 0.005
STEADY_POLL_UNTIL_SECONDS = 0.2
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
    began = time.monotonic()
    deadline = began + seconds
    pause = FIRST_POLL_SECONDS
    while True:
        found = ask(query, GetCommand(user_id=user_id, command_id=command_id))
        if found.command is not None:
            return found.command
        now = time.monotonic()
        if now >= deadline:
            return None
        time.sleep(min(pause, deadline - now))
        if now - began >= STEADY_POLL_UNTIL_SECONDS:
            pause = min(pause * POLL_GROWTH, LAST_POLL_SECONDS)
