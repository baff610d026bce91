"""ApiFunction: the HTTPS API. Checks the token, validates and normalises links, fans them out as one job.

It never opens the database: reads and the token lookup go through the QueryFunction. The guard
(watcharr.api.guard) answers malformed events, missing tokens and unreadable bodies before routing;
the routes live in one router per resource (watcharr.api.routes_*).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from watcharr.adapters.query_client import QueryFailed, query_client_for
from watcharr.adapters.queues import prepare_publisher
from watcharr.api import (
    answers,
    routes_channels,
    routes_commands,
    routes_episodes,
    routes_jobs,
    routes_links,
    routes_moving,
    routes_podcasts,
    routes_tags,
)
from watcharr.api.guard import (
    DOCS_PATH,
    OPENAPI_PATH,
    Admitted,
    admit,
    document_file_bodies,
    reject_unknown_query,
)
from watcharr.logic.auth import Authenticator
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings
from watcharr.web import routes as web_routes

API_TITLE = "2watcharr serverless API"
API_VERSION = "1.0.0"
API_TOKEN = {"apiToken": APIKey(name="X-API-Token", in_=APIKeyIn.header, description="64 hex characters")}

# The SQS client is built while the container starts, not in the first request that sends.
prepare_publisher()

app = APIGatewayHttpResolver(enable_validation=True)
app.use(middlewares=[reject_unknown_query])
for resource in (
    routes_links,
    routes_jobs,
    routes_episodes,
    routes_tags,
    routes_commands,
    routes_podcasts,
    routes_channels,
    routes_moving,
    web_routes,
):
    app.include_router(resource.router)


@lru_cache(maxsize=1)
def authenticator() -> Authenticator:
    return Authenticator(query_client_for(get_settings()))


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response[Any]:
    return answers.validation_error(exc.errors())


@app.exception_handler(QueryFailed)
def query_unavailable(exc: QueryFailed) -> Response[Any]:
    logger.exception("query function failed")
    return answers.error(503, answers.UNAVAILABLE)


@app.not_found
def no_route(exc: NotFoundError) -> Response[Any]:
    return answers.error(404, f"no route {app.current_event.http_method} {app.current_event.path}")


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, openapi_json())


def openapi_json() -> str:
    """The OpenAPI document powertools derives from the routes and models, with the file uploads."""
    document = document_file_bodies(json.loads(app.get_openapi_json_schema(**OPENAPI_INFO)))
    return json.dumps(document, indent=2, ensure_ascii=False)


OPENAPI_INFO: dict[str, Any] = {
    "title": API_TITLE,
    "version": API_VERSION,
    "description": "Add videos and podcast episodes to your watch-later list; compatible with 2watcharr Shortcuts.",
    "security_schemes": API_TOKEN,
    "security": [{"apiToken": []}],
}
app.enable_swagger(path=DOCS_PATH, **OPENAPI_INFO)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    admitted = admit(event, authenticator().user_for)
    if not isinstance(admitted, Admitted):
        return admitted
    app.append_context(**admitted.context())
    return app.resolve(admitted.event, context)
