"""What became of a change the API accepted: applied, or failed with its reason."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from watcharr.adapters.query_client import query_client_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.guard import caller
from watcharr.models.api import CommandView
from watcharr.models.queries import GetCommand, ask
from watcharr.settings import get_settings

router = Router()


@router.get("/api/commands/<command_id>", responses=documented({200: ("The command's outcome", CommandView)}))
def get_command(command_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]) -> Response[Any]:
    """A command's type and state (applied or failed, with the reason), once the writer has applied it."""
    found = ask(
        query_client_for(get_settings()), GetCommand(user_id=caller(router).id, command_id=command_id)
    )
    if found.command is None:
        # The writer records a command when it applies it: "not yet" and "never" look alike here.
        return error(404, "no such command (a command just accepted may need a moment)")
    return answer(200, CommandView.model_validate({"success": True, **found.command.wire()}))
