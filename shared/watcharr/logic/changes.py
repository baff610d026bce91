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
from watcharr.models.queries import CommandAnswer, GetCommand, ask

# A writer applies a command in a few milliseconds on a quiet machine (local mode: about 1 ms after
# the send is answered) and in tens under load, so the first 20 ms are looked at every 0.25 ms (a
# 5 ms pause there answered 2.5 ms late on average, most of a waited PATCH's wait; a 1 ms pause still
# 0.4 ms late, and each look costs the API about 0.1 ms), the rest of the first 200 ms every 5 ms (a
# growing pause there answered up to one pause late: after 40.6 ms for a command applied at 24 ms).
# Later looks back off so a long wait costs the QueryFunction a few calls a second at most. On AWS
# each look is a lambda:Invoke of several milliseconds, which spaces the first looks anyway.
FIRST_POLL_SECONDS = 0.00025
QUICK_POLL_UNTIL_SECONDS = 0.02
STEADY_POLL_SECONDS = 0.005
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
    query: Callable[[Any], dict[str, Any]],
    user_id: int,
    command_id: str,
    seconds: float,
    *,
    with_episode: bool = False,
) -> CommandAnswer | None:
    """The command's outcome once the writer has recorded it (with its episode as it is then, when
    asked), or None when ``seconds`` pass first."""
    began = time.monotonic()
    deadline = began + seconds
    asked = GetCommand(user_id=user_id, command_id=command_id, with_episode=with_episode)
    pause = FIRST_POLL_SECONDS
    while True:
        found = ask(query, asked)
        if found.command is not None:
            return found
        now = time.monotonic()
        if now >= deadline:
            return None
        time.sleep(min(pause, deadline - now))
        waited = now - began
        if waited >= STEADY_POLL_UNTIL_SECONDS:
            pause = min(pause * POLL_GROWTH, LAST_POLL_SECONDS)
        elif waited >= QUICK_POLL_UNTIL_SECONDS:
            pause = STEADY_POLL_SECONDS
