"""`watcharr sync now`: run the podcast sync outside the schedule."""

from __future__ import annotations

import os
from typing import Any

from watcharr.cli.client import (
    EXIT_OK,
    EXIT_USAGE,
    ApiClient,
    CliError,
    aws_call,
    aws_client,
    json_object,
    region_in,
)
from watcharr.cli.session import LOCAL_STOPPED_HINT, Session, local_stack_hint

LOCAL_SYNC_TIMEOUT_SECONDS = 180.0
# The local runner's own route for "run the scheduled sync now"; it exists only in local mode.
LOCAL_SYNC_PATH = "/_local/sync"


def cmd_sync_now(session: Session) -> int:
    """Sync every podcast subscription now, as the schedule does."""
    function_name = session.args.function_name or os.environ.get("WATCHARR_SYNC_FUNCTION_NAME")
    if function_name:
        # The same shape as the local admin route's answer: each scheduled function's summary by name.
        answer = {"success": True, function_name: invoke_sync_function(function_name)}
    else:
        local = session.local_stack()
        if local is None:
            raise CliError(
                "nothing to sync: pass --function-name or set WATCHARR_SYNC_FUNCTION_NAME for a deployed "
                "stack, " + local_stack_hint(session.data_dir),
                EXIT_USAGE,
            )
        # The sync runs while the request waits: give it as long as the function's own timeout.
        answer = ApiClient(local.api_url, None, LOCAL_SYNC_TIMEOUT_SECONDS, LOCAL_STOPPED_HINT).call(
            "POST", LOCAL_SYNC_PATH
        )
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    for name, summary in answer.items():
        if isinstance(summary, dict):
            session.say(
                f"{name}: {summary.get('feedsQueued', 0)} feed(s) queued, "
                f"{summary.get('itemsRequeued', 0)} stale item(s) queued again"
            )
    return EXIT_OK


def invoke_sync_function(function_name: str) -> dict[str, Any]:
    """Invoke the deployed PodcastSyncFunction once and return its summary."""
    # The function can run for two minutes; one attempt, since a second would sync twice.
    client = aws_client(
        "lambda", endpoint_url=None, region=region_in(function_name), read_timeout=180, attempts=1
    )
    response = aws_call(
        "invoking the sync function",
        function_name,
        lambda: client.invoke(FunctionName=function_name, Payload=b"{}"),
    )
    payload = json_object(response["Payload"].read())
    if response.get("FunctionError"):
        raise CliError(f"the sync function failed: {payload.get('errorMessage') or payload}")
    return payload
