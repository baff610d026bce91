"""Adding links: one link (or share-sheet text) with add-episode, a batch with add-videos."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from watcharr import limits
from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, describe, documented, error
from watcharr.api.guard import caller
from watcharr.logic.ingest import LinkRequest, added_answer, plan_job, submit_job
from watcharr.models.api import (
    MAX_SHARE_TEXT_LENGTH,
    AddEpisodeAnswer,
    AddEpisodeBody,
    AddVideoEntry,
    AddVideosAnswer,
    ErrorAnswer,
    RefusedBatchAnswer,
)
from watcharr.observability import logger, metrics
from watcharr.settings import get_settings

router = Router()


@router.post(
    "/api/shortcuts/add-episode",
    responses=documented(
        {
            200: ("Done within `wait` seconds", AddEpisodeAnswer),
            202: ("Queued", AddEpisodeAnswer),
            422: ("Not a supported link", ErrorAnswer),
        }
    ),
)
def add_episode(
    body: AddEpisodeBody,
    wait: Annotated[
        int, Query(ge=0, le=limits.MAX_WAIT_SECONDS, description="Seconds to wait for the result")
    ] = 0,
) -> Response[Any]:
    """Add one link (or the link inside share-sheet text) to the caller's list."""
    user = caller(router)
    plan = plan_job(user.id, [LinkRequest(body.url, body.tag)], source="shortcut")
    if not plan.accepted:
        return error(422, plan.results[0].reason or "not a supported link")
    logger.set_correlation_id(plan.job_id)
    submit_job(publisher_for(get_settings()), plan)
    metrics.add_metric(name="UrlsAccepted", unit=MetricUnit.Count, value=1)
    result = added_answer(query_client_for(get_settings()), user.id, plan, wait)
    return answer(202 if result.status == "queued" else 200, result, exclude_none=True)


@router.post(
    "/api/shortcuts/add-videos",
    responses=documented(
        {202: ("Queued as one job", AddVideosAnswer), 422: ("No supported link", RefusedBatchAnswer)}
    ),
)
def add_videos(
    body: Annotated[
        list[Any],
        Body(
            min_length=1,
            max_length=limits.MAX_URLS_PER_BATCH,
            description='Links as {"url": "…", "tag": "…"} objects or bare strings, in any mix',
        ),
    ],
) -> Response[Any]:
    """Add a batch of links as one job; each unsupported or malformed entry is reported NOK with its reason."""
    user = caller(router)
    plan = plan_job(user.id, [link_request(entry) for entry in body], source="batch")
    if not plan.accepted:
        refused = RefusedBatchAnswer(error="none of the links is supported", results=plan.results)
        return answer(422, refused, exclude_none=True)
    logger.set_correlation_id(plan.job_id)
    submit_job(publisher_for(get_settings()), plan)
    metrics.add_metric(name="UrlsAccepted", unit=MetricUnit.Count, value=plan.accepted)
    return answer(
        202, AddVideosAnswer(success=True, jobId=plan.job_id, results=plan.results), exclude_none=True
    )


def link_request(entry: Any) -> LinkRequest:
    """One entry of a batch as a link to add, or as the reason it is refused (that entry's NOK)."""
    if isinstance(entry, str):
        if len(entry) > MAX_SHARE_TEXT_LENGTH:
            return LinkRequest(
                entry[:100], refused=f"a link must be at most {MAX_SHARE_TEXT_LENGTH} characters"
            )
        return LinkRequest(entry)
    if not isinstance(entry, dict):
        shown = json.dumps(entry)[:100]
        return LinkRequest(shown, refused='each link must be text or an object like {"url": "…"}')
    try:
        valid = AddVideoEntry.model_validate(entry)
    except ValidationError as exc:
        url = entry.get("url")
        shown = url[:MAX_SHARE_TEXT_LENGTH] if isinstance(url, str) else json.dumps(entry)[:100]
        return LinkRequest(shown, refused=describe(exc.errors()))
    return LinkRequest(valid.url, valid.tag)
