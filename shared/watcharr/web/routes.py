"""Routes of the web page, included in the ApiFunction's resolver: ``/`` and ``/app/<name>``.

They answer without a token (the page is the same for everyone; everything personal comes from the
API with the token the page holds), so the API's pre-routing guard lets exactly these paths through.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from watcharr.web.assets import INDEX, SECURITY_HEADERS, answer_for

PAGE_PATH = "/"
ASSET_PREFIX = "/app/"

router = Router()


def is_page_path(path: str | None) -> bool:
    """Whether a request path is one of the page's (answered without a token)."""
    return path == PAGE_PATH or (path or "").startswith(ASSET_PREFIX)


def _static(name: str) -> Response[Any]:
    answer = answer_for(name, router.current_event.headers.get("if-none-match"))
    if answer is None:
        return Response(
            status_code=404,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps({"success": False, "error": f"no such file: {name}"}),
            headers=SECURITY_HEADERS,
        )
    return Response(status_code=answer.status, body=answer.body, headers=answer.headers)


@router.get(PAGE_PATH, include_in_schema=False)
def page() -> Response[Any]:
    """The page itself."""
    return _static(INDEX)


@router.get(ASSET_PREFIX + "<name>", include_in_schema=False)
def asset(name: str) -> Response[Any]:
    """One of the page's scripts or style sheets."""
    return _static(name)
