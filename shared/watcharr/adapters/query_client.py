"""Calling the QueryFunction: lambda:Invoke on AWS, the same handler in-process locally."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import boto3

from watcharr.models.queries import Query
from watcharr.settings import Settings


class QueryFailed(RuntimeError):
    """The query function could not answer (it raised, or could not be invoked)."""


class QueryClient(Protocol):
    def __call__(self, query: Query) -> dict[str, Any]: ...


class LambdaQueryClient:
    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self.function_name = function_name
        self.client = client if client is not None else boto3.client("lambda")

    def __call__(self, query: Query) -> dict[str, Any]:
        response = self.client.invoke(
            FunctionName=self.function_name, Payload=query.model_dump_json().encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise QueryFailed(f"query {query.op} failed: {payload.get('errorMessage', 'unknown error')}")
        return payload


class InProcessQueryClient:
    """Calls the QueryFunction's handler directly, one call at a time as one Lambda container would."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        from watcharr.local.context import LocalContext

        self.handler = handler
        self.lock = threading.Lock()
        self.context = LocalContext(function_name="QueryFunction")

    def __call__(self, query: Query) -> dict[str, Any]:
        with self.lock:
            try:
                # A JSON round trip, as lambda:Invoke would make, keeps local mode honest about payloads.
                return json.loads(json.dumps(self.handler(json.loads(query.model_dump_json()), self.context)))
            except Exception as exc:
                raise QueryFailed(f"query {query.op} failed: {exc}") from exc


@lru_cache(maxsize=1)
def query_client_for(settings: Settings) -> QueryClient:
    """The client this process uses: by name on AWS, the loaded handler when no name is configured."""
    if settings.query_function_name:
        return LambdaQueryClient(settings.query_function_name)
    from watcharr.local.functions import load_function

    return InProcessQueryClient(load_function("query").handler)
