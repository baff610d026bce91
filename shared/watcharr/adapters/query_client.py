"""Calling the QueryFunction: lambda:Invoke on AWS, the same handler in-process locally."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from watcharr.models.queries import Query
from watcharr.settings import Settings


class QueryFailed(RuntimeError):
    """The query function could not answer (it raised, or could not be invoked)."""


class QueryClient(Protocol):
    """Answers one query with the QueryFunction's JSON answer; raises QueryFailed when it cannot."""

    def __call__(self, query: Query) -> dict[str, Any]: ...


class LambdaQueryClient:
    """lambda:Invoke of the QueryFunction by name, as the deployed functions call it."""

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self.function_name = function_name
        if client is None:
            import boto3  # only where a function name is configured: the CLI and local mode never need it

            client = boto3.client("lambda")
        self.client = client

    def __call__(self, query: Query) -> dict[str, Any]:
        response = self.client.invoke(
            FunctionName=self.function_name, Payload=query.model_dump_json().encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise QueryFailed(f"query {query.op} failed: {payload.get('errorMessage', 'unknown error')}")
        return payload


# How to reach the QueryFunction when no function name is configured. Local mode installs its
# in-process client here (``watcharr.local.container``), so this module never imports local mode.
_in_process_factory: Callable[[], QueryClient] | None = None


def use_in_process_query_client(factory: Callable[[], QueryClient] | None) -> None:
    """Install how this process reaches the QueryFunction without a function name (None removes it)."""
    global _in_process_factory
    _in_process_factory = factory
    query_client_for.cache_clear()


@lru_cache(maxsize=1)
def query_client_for(settings: Settings) -> QueryClient:
    """The client this process uses: by name on AWS, the installed in-process one when no name is set."""
    if settings.query_function_name:
        return LambdaQueryClient(settings.query_function_name)
    if _in_process_factory is None:
        raise QueryFailed("no QueryFunction name is configured (WATCHARR_QUERY_FUNCTION_NAME)")
    return _in_process_factory()
