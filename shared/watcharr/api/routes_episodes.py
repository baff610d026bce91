"""The caller's list of episodes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from watcharr import limits
from watcharr.adapters.query_client import query_client_for
from watcharr.api.answers import answer, documented
from watcharr.api.guard import caller
from watcharr.models.api import EpisodesAnswer
from watcharr.models.queries import ListEpisodes
from watcharr.settings import get_settings

router = Router()


@router.get("/api/episodes", responses=documented({200: ("The list, newest first", EpisodesAnswer)}))
def list_episodes(
    type: Literal["video", "podcast"] | None = None,
    watched: bool | None = None,
    tag: Annotated[str | None, Query(max_length=limits.MAX_TAG_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response[Any]:
    """The caller's list, newest first."""
    query = ListEpisodes(
        user_id=caller(router).id, type=type, watched=watched, tag=tag, limit=limit, offset=offset
    )
    found = query_client_for(get_settings())(query)
    return answer(200, EpisodesAnswer(success=True, episodes=found["episodes"], limit=limit, offset=offset))
