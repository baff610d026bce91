"""JSON answers of the API: successes as models, errors as ``{"success": false, "error": "…"}``.

``documented()`` lists a route's answers and every error any route can give in the OpenAPI document;
``validation_error()`` turns pydantic's findings into sentences a person can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from watcharr.models.api import ErrorAnswer

UNAVAILABLE = "the list is not reachable right now; try again shortly"

ERRORS: dict[int, str] = {
    400: "The body cannot be read (not UTF-8, not JSON, nested too deeply) or the request is malformed",
    401: "Missing or wrong X-API-Token",
    404: "No such resource",
    413: "Request body too large",
    415: "A compressed body, a character set other than UTF-8, or a file of a type the route does not take",
    422: "The request is not valid; `error` says why",
    503: "The list is not reachable right now",
}


def documented(answers: dict[int, tuple[str, type[BaseModel]]]) -> dict[int, OpenAPIResponse]:
    """The route's own answers plus the error answers every route can give, all in the OpenAPI document.

    A route's own entry for an error status (a 422 with per-link results, say) replaces the common one.
    """
    responses: dict[int, OpenAPIResponse] = {
        status: {"description": text, "content": {content_types.APPLICATION_JSON: {"model": ErrorAnswer}}}
        for status, text in ERRORS.items()
    }
    for status, (text, model) in answers.items():
        responses[status] = {
            "description": text,
            "content": {content_types.APPLICATION_JSON: {"model": model}},
        }
    return responses


def answer(status: int, model: BaseModel, *, exclude_none: bool = False) -> Response[Any]:
    """A success (or a documented failure) given as one of the models in ``watcharr.models.api``."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=model.model_dump_json(exclude_none=exclude_none),
    )


def error(status: int, message: str) -> Response[Any]:
    """An error answer from inside the resolver."""
    return answer(status, ErrorAnswer(error=message))


def plain_error(status: int, message: str) -> dict[str, Any]:
    """An error in the HTTP API's response format, for answers given before the resolver runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": ErrorAnswer(error=message).model_dump_json(),
        "isBase64Encoded": False,
    }


def validation_error(errors: Sequence[Any]) -> Response[Any]:
    """422 with one sentence per problem; a malformed id in the path is a 404 (no such thing exists)."""
    problems = list(errors)
    for err in problems:
        loc = tuple(err.get("loc", ()))
        if len(loc) == 2 and loc[0] == "path" and str(loc[1]).endswith("_id"):
            return error(404, f"no such {str(loc[1]).removesuffix('_id').replace('_', ' ')}")
    return error(422, describe(problems))


def describe(errors: Sequence[Any]) -> str:
    """pydantic's findings as at most ten sentences, each said once."""
    sentences = list(dict.fromkeys(_sentence(err) for err in errors))
    return "; ".join(sentences[:10]) or "the request is not valid"


def _sentence(err: dict[str, Any]) -> str:
    """One pydantic error as a sentence: which field, and what it must be."""
    loc = [part for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
    entry = next((part for part in loc if isinstance(part, int)), None)
    names = [str(part) for part in loc if not isinstance(part, int)]
    field = names[-1] if names else None
    prefix = f"link {entry + 1}: " if entry is not None else ""
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    what = field or ("each link" if entry is not None else "the body")
    if kind == "missing":
        text = f"{field} is required" if field else "a body is required"
    elif kind == "extra_forbidden":
        text = f"{field} is not a field this API knows"
    elif kind == "value_error":
        text = str(err.get("msg", "")).removeprefix("Value error, ")
    elif kind in ("string_type", "string_unicode"):
        text = f"{what} must be text"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        text = f"{what} must be a whole number"
    elif kind in ("bool_type", "bool_parsing"):
        text = f"{what} must be true or false"
    elif kind == "string_too_short":
        text = f"{what} must not be empty"
    elif kind == "string_too_long":
        text = f"{what} must be at most {ctx.get('max_length')} characters"
    elif kind == "too_short":
        text = f"send at least {ctx.get('min_length')} link(s)"
    elif kind == "too_long":
        text = f"send at most {ctx.get('max_length')} links at a time"
    elif kind in ("greater_than_equal", "greater_than"):
        text = f"{what} must be at least {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        text = f"{what} must be at most {ctx.get('le', ctx.get('lt'))}"
    elif kind == "literal_error":
        text = f"{what} must be {ctx.get('expected')}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        text = f"{what} must be a JSON object" + (
            ' like {"url": "…"}' if entry is not None or not field else ""
        )
    elif kind == "string_pattern_mismatch":
        text = (
            f"{what} must be a colour like #ff8800"
            if field == "color"
            else f"{what} is not in a form this API reads"
        )
    elif kind == "list_type":
        text = 'the body must be a JSON list of objects like {"url": "…"}'
    else:
        text = f"{what}: {err.get('msg', 'not valid')}"
    return prefix + text
