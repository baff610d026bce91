"""ApiFunction: the HTTPS API. Checks the token, validates and normalises links, fans them out as one job.

It never opens the database: reads and the token lookup go through the QueryFunction.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from watcharr import limits
from watcharr.adapters.query_client import QueryFailed, query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.domain.urls import UnsupportedLink
from watcharr.logic.auth import Authenticator, NotAuthenticated, User
from watcharr.logic.ingest import LinkRequest, plan_job, submit_job, wait_for_item
from watcharr.logic.podcasts import feed_link, plan_subscription
from watcharr.models.api import (
    AddEpisodeAnswer,
    AddEpisodeBody,
    AddVideoEntry,
    AddVideosAnswer,
    EpisodesAnswer,
    EpisodeSummary,
    ErrorAnswer,
    JobAnswer,
    PodcastsAnswer,
    SubscribeBody,
    SubscriptionAnswer,
)
from watcharr.models.messages import SubscriptionRemoved
from watcharr.models.queries import GetJob, ListEpisodes, ListSubscriptions
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings
from watcharr.web.routes import is_page_path
from watcharr.web.routes import router as web_router

OPENAPI_PATH = "/api/openapi.json"
DOCS_PATH = "/api/docs"
PUBLIC_PATHS = frozenset({OPENAPI_PATH, DOCS_PATH})
API_TITLE = "2watcharr serverless API"
API_VERSION = "1.0.0"
UNAVAILABLE = "the list is not reachable right now; try again shortly"

app = APIGatewayHttpResolver(enable_validation=True)
API_TOKEN = {"apiToken": APIKey(name="X-API-Token", in_=APIKeyIn.header, description="64 hex characters")}


def documented(answers: dict[int, tuple[str, type[BaseModel]]]) -> dict[int, OpenAPIResponse]:
    """The route's own answers plus the error answers every route can give, all in the OpenAPI document."""
    errors = {
        401: "Missing or wrong X-API-Token",
        404: "No such resource",
        413: "Request body too large",
        422: "The request is not valid; `error` says why",
        503: "The list is not reachable right now",
    }
    responses: dict[int, OpenAPIResponse] = {
        status: {"description": text, "content": {content_types.APPLICATION_JSON: {"model": ErrorAnswer}}}
        for status, text in errors.items()
    }
    for status, (text, model) in answers.items():
        responses[status] = {
            "description": text,
            "content": {content_types.APPLICATION_JSON: {"model": model}},
        }
    return responses


@lru_cache(maxsize=1)
def authenticator() -> Authenticator:
    return Authenticator(query_client_for(get_settings()))


def error(status: int, message: str, **extra: Any) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"success": False, "error": message, **extra}),
    )


def json_answer(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def current_user() -> User:
    return app.context["user"]


def refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """Checked before routing and validation, so nothing about a route is answered without a token."""
    if event.get("rawPath") in PUBLIC_PATHS or is_page_path(event.get("rawPath")):
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if len((event.get("body") or "").encode()) > limits.MAX_BODY_BYTES:
        return plain_error(413, f"request body is larger than {limits.MAX_BODY_BYTES // 1024} KiB")
    try:
        user = authenticator().user_for(headers.get("x-api-token"))
    except NotAuthenticated as exc:
        return plain_error(401, str(exc))
    except QueryFailed:
        logger.exception("token lookup failed")
        return plain_error(503, UNAVAILABLE)
    app.append_context(user=user)
    return None


def plain_error(status: int, message: str) -> dict[str, Any]:
    """An error in the HTTP API's response format, for answers given before the resolver runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps({"success": False, "error": message}),
        "isBase64Encoded": False,
    }


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response[Any]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return error(422, "; ".join(problems[:10]) or "invalid request")


@app.exception_handler(QueryFailed)
def query_unavailable(exc: QueryFailed) -> Response[Any]:
    logger.exception("query function failed")
    return error(503, UNAVAILABLE)


@app.not_found
def no_route(exc: NotFoundError) -> Response[Any]:
    return error(404, f"no route {app.current_event.http_method} {app.current_event.path}")


@app.post(
    "/api/shortcuts/add-episode",
    responses={
        200: {
            "description": "Done within `wait` seconds",
            "content": {"application/json": {"model": AddEpisodeAnswer}},
        },
        202: {"description": "Queued", "content": {"application/json": {"model": AddEpisodeAnswer}}},
        422: {"description": "Not a supported link", "content": {"application/json": {"model": ErrorAnswer}}},
    },
)
def add_episode(
    body: AddEpisodeBody,
    wait: Annotated[
        int, Query(ge=0, le=limits.MAX_WAIT_SECONDS, description="Seconds to wait for the result")
    ] = 0,
) -> Response[Any]:
    """Add one link (or the link inside share-sheet text) to the caller's list."""
    user = current_user()
    plan = plan_job(user.id, [LinkRequest(body.url, body.tag)], source="shortcut")
    if not plan.accepted:
        return error(422, plan.results[0].reason or "not a supported link")
    logger.set_correlation_id(plan.job_id)
    submit_job(publisher_for(get_settings()), plan)
    metrics.add_metric(name="UrlsAccepted", unit=MetricUnit.Count, value=1)
    queued = AddEpisodeAnswer(success=True, jobId=plan.job_id, status="queued")
    item_id = plan.requests[0].item_id
    assert item_id is not None
    item = (
        wait_for_item(query_client_for(get_settings()), user.id, plan.job_id, item_id, wait) if wait else None
    )
    if item is None:
        return Response(202, content_types.APPLICATION_JSON, queued.model_dump_json(exclude_none=True))
    done = AddEpisodeAnswer(
        success=item["state"] != "failed",
        jobId=plan.job_id,
        status=item["state"],
        episode=EpisodeSummary(
            id=item["episodeId"], title=item["title"], type=item["type"], channel=item["channel"]
        )
        if item["state"] != "failed"
        else None,
        error=item["reason"],
    )
    return Response(200, content_types.APPLICATION_JSON, done.model_dump_json(exclude_none=True))


@app.post(
    "/api/shortcuts/add-videos",
    responses={
        202: {
            "description": "Queued as one job",
            "content": {"application/json": {"model": AddVideosAnswer}},
        },
        422: {"description": "No supported link", "content": {"application/json": {"model": ErrorAnswer}}},
    },
)
def add_videos(
    body: Annotated[list[AddVideoEntry], Body(min_length=1, max_length=limits.MAX_URLS_PER_BATCH)],
) -> Response[Any]:
    """Add a batch of links as one job; each unsupported link is reported NOK with its reason."""
    user = current_user()
    plan = plan_job(user.id, [LinkRequest(entry.url, entry.tag) for entry in body], source="batch")
    if not plan.accepted:
        return error(
            422,
            "none of the links is supported",
            results=[r.model_dump(exclude_none=True) for r in plan.results],
        )
    logger.set_correlation_id(plan.job_id)
    submit_job(publisher_for(get_settings()), plan)
    metrics.add_metric(name="UrlsAccepted", unit=MetricUnit.Count, value=plan.accepted)
    answer = AddVideosAnswer(success=True, jobId=plan.job_id, results=plan.results)
    return Response(202, content_types.APPLICATION_JSON, answer.model_dump_json(exclude_none=True))


@app.get("/api/jobs/<job_id>", responses=documented({200: ("The job", JobAnswer)}))
def get_job(job_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{32}$")]) -> Response[Any]:
    """A job's totals by state and each item's url, state, title and reason."""
    answer = query_client_for(get_settings())(GetJob(user_id=current_user().id, job_id=job_id))
    if not answer.get("found"):
        return error(404, "no such job (a job that was just accepted may need a moment to appear)")
    return json_answer(200, {"success": True, **answer["job"]})


@app.get("/api/episodes", responses=documented({200: ("The list, newest first", EpisodesAnswer)}))
def list_episodes(
    type: Annotated[str | None, Query(pattern="^(video|podcast)$")] = None,
    watched: bool | None = None,
    tag: Annotated[str | None, Query(max_length=limits.MAX_TAG_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response[Any]:
    """The caller's list, newest first."""
    query = ListEpisodes(
        user_id=current_user().id, type=type, watched=watched, tag=tag, limit=limit, offset=offset
    )
    answer = query_client_for(get_settings())(query)
    return json_answer(
        200, {"success": True, "episodes": answer["episodes"], "limit": limit, "offset": offset}
    )


@app.post("/api/podcasts", responses=documented({202: ("Subscribed; first sync queued", SubscriptionAnswer)}))
def subscribe(body: SubscribeBody) -> Response[Any]:
    """Subscribe to a feed (or Apple Podcasts show) and add its newest `backfill` episodes."""
    user = current_user()
    try:
        feed_url = feed_link(body.feedUrl)
    except UnsupportedLink as exc:
        return error(422, exc.reason)
    mine = query_client_for(get_settings())(ListSubscriptions(user_id=user.id))["subscriptions"]
    backfill = None if body.backfill == "all" else body.backfill
    plan = plan_subscription(user.id, feed_url, body.tag, backfill, mine)
    publisher_for(get_settings()).send_results([plan.added])
    publisher_for(get_settings()).send_extract_requests([plan.first_sync])
    return json_answer(202, {"success": True, "subscriptionId": plan.subscription_id, "feedUrl": feed_url})


@app.get("/api/podcasts", responses=documented({200: ("Your subscriptions", PodcastsAnswer)}))
def list_podcasts() -> Response[Any]:
    """The caller's subscriptions with last sync time, last status and episode count."""
    answer = query_client_for(get_settings())(ListSubscriptions(user_id=current_user().id))
    return json_answer(200, {"success": True, "podcasts": answer["subscriptions"]})


@app.delete(
    "/api/podcasts/<subscription_id>", responses=documented({200: ("Unsubscribed", SubscriptionAnswer)})
)
def unsubscribe(subscription_id: Annotated[str, Path(pattern=r"^[0-9a-f]{20}$")]) -> Response[Any]:
    """Stop syncing a feed; the episodes already on the list stay."""
    user = current_user()
    mine = query_client_for(get_settings())(ListSubscriptions(user_id=user.id))["subscriptions"]
    if not any(sub["id"] == subscription_id for sub in mine):
        return error(404, "no such subscription")
    publisher_for(get_settings()).send_results(
        [SubscriptionRemoved(subscription_id=subscription_id, user_id=user.id)]
    )
    return json_answer(200, {"success": True, "subscriptionId": subscription_id})


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, openapi_json())


def openapi_json() -> str:
    """The OpenAPI document powertools derives from the routes and models above."""
    return app.get_openapi_json_schema(**OPENAPI_INFO)


OPENAPI_INFO: dict[str, Any] = {
    "title": API_TITLE,
    "version": API_VERSION,
    "description": "Add videos and podcast episodes to your watch-later list; compatible with 2watcharr Shortcuts.",
    "security_schemes": API_TOKEN,
    "security": [{"apiToken": []}],
}
app.enable_swagger(path=DOCS_PATH, **OPENAPI_INFO)
app.include_router(web_router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refusal(event) or app.resolve(as_json(event), context)


def as_json(event: dict[str, Any]) -> dict[str, Any]:
    """Bodies are JSON whatever the client labelled them: `curl -d` says form-urlencoded, some
    Shortcuts say nothing at all."""
    headers = event.get("headers") or {}
    declared = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if event.get("body") and "json" not in declared.lower():
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        event = {**event, "headers": {**headers, "content-type": content_types.APPLICATION_JSON}}
    return event
