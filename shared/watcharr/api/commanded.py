"""Answering a write: 202 with the command's id at once, or its outcome when the caller waits for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from watcharr import limits
from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, documented
from watcharr.logic.changes import send_command, wait_for_command
from watcharr.models.api import CommandAccepted, CommandRefusedAnswer
from watcharr.models.messages import Command
from watcharr.models.queries import CommandAnswer
from watcharr.settings import get_settings

Wait = Annotated[
    int,
    Query(
        ge=0,
        le=limits.MAX_WAIT_SECONDS,
        description="Seconds to wait for the change to be applied (0: answer 202 at once)",
    ),
]


def write_responses(changed: tuple[str, type[BaseModel]]) -> dict[int, OpenAPIResponse]:
    """The answers every write can give: queued, applied within `wait`, or failed with its reason."""
    return documented(
        {
            200: changed,
            202: ("Queued; `GET /api/commands/{commandId}` shows what became of it", CommandAccepted),
            404: ("No such episode or tag, or the command found it gone", CommandRefusedAnswer),
            409: ("The command was refused (a tag name taken, say); `error` says why", CommandRefusedAnswer),
        }
    )


def run_command(
    command: Command, wait: int, changed: Callable[[CommandAnswer], BaseModel], *, with_episode: bool = False
) -> Response[Any]:
    """Send ``command``; with ``wait``, answer with ``changed(found)`` once it applied (``found`` has
    the command and, ``with_episode``, its episode as it is then), or with its failure."""
    settings = get_settings()
    send_command(publisher_for(settings), command)
    found = (
        wait_for_command(
            query_client_for(settings), command.user_id, command.command_id, wait, with_episode=with_episode
        )
        if wait
        else None
    )
    if found is None or found.command is None:
        return answer(202, CommandAccepted(commandId=command.command_id))
    if found.command.state == "failed":
        reason = found.command.reason or "the change could not be applied"
        status = 404 if reason.startswith("no such") else 409
        return answer(status, CommandRefusedAnswer(error=reason, commandId=command.command_id))
    return answer(200, changed(found))
