"""A job: its totals by state and each item's outcome."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from watcharr.adapters.query_client import query_client_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.guard import caller
from watcharr.models.api import JobAnswer
from watcharr.models.queries import GetJob
from watcharr.settings import get_settings

router = Router()


@router.get("/api/jobs/<job_id>", responses=documented({200: ("The job", JobAnswer)}))
def get_job(job_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")]) -> Response[Any]:
    """A job's totals by state and each item's url, state, title and reason."""
    found = query_client_for(get_settings())(GetJob(user_id=caller(router).id, job_id=job_id))
    if not found.get("found"):
        return error(404, "no such job (a job that was just accepted may need a moment to appear)")
    return answer(200, JobAnswer.model_validate({"success": True, **found["job"]}))
