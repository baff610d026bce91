"""Jobs: the caller's recent ones, one job's totals and items, and a retry of its failed items."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.commanded import Wait
from watcharr.api.guard import caller
from watcharr.logic.changes import new_command_id, wait_for_command
from watcharr.logic.ingest import plan_retry, submit_retry
from watcharr.models.api import CommandRefusedAnswer, JobAnswer, JobsAnswer, RetryAnswer
from watcharr.models.queries import GetJob, ListJobs, ask
from watcharr.settings import get_settings

router = Router()

JobId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")]
NO_SUCH_JOB = "no such job (a job that was just accepted may need a moment to appear)"


@router.get("/api/jobs", responses=documented({200: ("Your jobs, newest first", JobsAnswer)}))
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response[Any]:
    """The caller's recent jobs, newest first, with their item totals by state."""
    found = ask(
        query_client_for(get_settings()), ListJobs(user_id=caller(router).id, limit=limit, offset=offset)
    )
    listed = JobsAnswer.model_validate({"success": True, **found.wire(), "limit": limit, "offset": offset})
    return answer(200, listed)


@router.get("/api/jobs/<job_id>", responses=documented({200: ("The job", JobAnswer)}))
def get_job(job_id: JobId) -> Response[Any]:
    """A job's totals by state and each item's url, state, title and reason."""
    found = ask(query_client_for(get_settings()), GetJob(user_id=caller(router).id, job_id=job_id))
    if found.job is None:
        return error(404, NO_SUCH_JOB)
    return answer(200, JobAnswer.model_validate({"success": True, **found.job.wire()}))


@router.post(
    "/api/jobs/<job_id>/retry",
    responses=documented(
        {
            200: ("The failed items are queued again (within `wait`)", RetryAnswer),
            202: ("The retry is queued", RetryAnswer),
            409: ("No item of the job failed, or the retry was refused", CommandRefusedAnswer),
        }
    ),
)
def retry_job(job_id: JobId, wait: Wait = 0) -> Response[Any]:
    """Queue the job's failed items again: each is extracted anew and ends added, restored or failed."""
    user = caller(router)
    settings = get_settings()
    found = ask(query_client_for(settings), GetJob(user_id=user.id, job_id=job_id))
    if found.job is None:
        return error(404, NO_SUCH_JOB)
    plan = plan_retry(user.id, found.job, new_command_id())
    if plan is None:
        return error(409, "no item of this job failed; there is nothing to retry")
    submit_retry(publisher_for(settings), plan)
    retried = RetryAnswer(commandId=plan.retried.command_id, jobId=job_id, retried=plan.retried.item_ids)
    found = (
        wait_for_command(query_client_for(settings), user.id, plan.retried.command_id, wait) if wait else None
    )
    outcome = found.command if found is not None else None
    if outcome is not None and outcome.state == "failed":
        refused = CommandRefusedAnswer(error=outcome.reason or "not retried", commandId=outcome.id)
        return answer(409, refused)
    return answer(202 if outcome is None else 200, retried)
