"""Everything checked before routing: the event's shape, the token, and the body, decoded once.

Routes only ever see an event whose headers, query values and body are text, whose body is UTF-8
JSON labelled ``application/json``, and whose caller is known (``caller()``). The few routes that take
a file instead (``FILE_ROUTES``: an OPML file, a Takeout zip) get its bytes, never decoded as JSON,
through ``file_body()``, once its content type and its own size cap are checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from watcharr import limits
from watcharr.adapters.query_client import QueryFailed
from watcharr.api.answers import UNAVAILABLE, error, plain_error
from watcharr.domain.opml import OPML_MAX_BYTES
from watcharr.logic.auth import NotAuthenticated, User
from watcharr.observability import logger
from watcharr.web.routes import is_page_path

OPENAPI_PATH = "/api/openapi.json"
DOCS_PATH = "/api/docs"
PUBLIC_PATHS = frozenset({OPENAPI_PATH, DOCS_PATH})
API_PREFIX = "/api/"
USER_KEY = "user"
FILE_KEY = "file"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


@dataclass(frozen=True)
class FileBody:
    """What a route that takes a file accepts: its content types (lower case) and its size cap."""

    what: str
    content_types: frozenset[str]
    max_bytes: int
    too_large_hint: str = ""


OPML_FILE = FileBody(
    "an OPML file", frozenset({"text/x-opml", "application/xml", "text/xml"}), OPML_MAX_BYTES
)
TAKEOUT_FILE = FileBody(
    "a Takeout .zip",
    frozenset({"application/zip", "application/x-zip-compressed"}),
    limits.MAX_TAKEOUT_UPLOAD_BYTES,
    "; a bigger Takeout goes through `watcharr import takeout FILE` on your machine",
)
# The only routes whose body is not JSON, by (method, path); every other body is decoded as JSON.
FILE_ROUTES: dict[tuple[str, str], FileBody] = {
    ("POST", "/api/podcasts/import"): OPML_FILE,
    ("POST", "/api/import/takeout"): TAKEOUT_FILE,
}


def document_file_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with each ``FILE_ROUTES`` route's request body: the file, as bytes.

    powertools documents request bodies only for a route that declares a model, and these routes read
    raw bytes from the guard instead.
    """
    for (method, path), body in FILE_ROUTES.items():
        operation = document["paths"][path][method.lower()]
        operation["requestBody"] = {
            "required": True,
            "description": f"{body.what}, at most {body.max_bytes:,} bytes",
            "content": {
                content_type: {"schema": {"type": "string", "format": "binary"}}
                for content_type in sorted(body.content_types)
            },
        }
    return document


class Refused(Exception):
    """A request answered before routing; ``status`` and ``reason`` are what the caller sees."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Admitted:
    event: dict[str, Any]
    user: User | None
    file: bytes | None = None

    def context(self) -> dict[str, Any]:
        """What the routes read from the resolver's context: the caller and, for a file route, the file."""
        return {USER_KEY: self.user, FILE_KEY: self.file}


def admit(event: Any, user_for: Callable[[str | None], User]) -> Admitted | dict[str, Any]:
    """The event to route and its caller, or the refusal to send back instead (an HTTP API answer)."""
    try:
        if _method_and_path(event)[0] == "OPTIONS":
            # A CORS preflight carries no token; the HttpApi's CorsConfiguration answers it on AWS,
            # and one that reaches the function anyway is answered empty rather than refused.
            return {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False}
        return _admit(event, user_for)
    except Refused as exc:
        return plain_error(exc.status, exc.reason)


def reject_unknown_query(
    app: BaseRouter, next_middleware: Callable[[BaseRouter], Response[Any]]
) -> Response[Any]:
    """Every route's middleware: a query parameter the route does not take is a 422, not silence.

    The route the resolver matched is in its context under ``_route`` (powertools sets it before the
    middlewares run); its query parameters are those of the route's function, by their public names.
    """
    route = app.context.get("_route")
    known = {param.alias for param in route.dependant.query_params} if route is not None else set()
    unknown = sorted(set(app.current_event.query_string_parameters or {}) - known)
    if unknown:
        names = ", ".join(unknown)
        takes = ", ".join(sorted(known)) or "none"
        return error(422, f"unknown query parameter {names} (this route takes: {takes})")
    return next_middleware(app)


def caller(router: BaseRouter) -> User:
    """The user whose token the guard accepted for this request."""
    return router.context[USER_KEY]


def file_body(router: BaseRouter) -> bytes:
    """The file a ``FILE_ROUTES`` route was sent, of an accepted content type and within its cap."""
    return router.context.get(FILE_KEY) or b""


def _admit(event: dict[str, Any], user_for: Callable[[str | None], User]) -> Admitted:
    method, path = _method_and_path(event)
    headers = _text_headers(event.get("headers"))
    query = _text_query(event.get("queryStringParameters"))
    if path in PUBLIC_PATHS or is_page_path(path):
        return Admitted(_prepared(event, headers, query, None), None)
    if not path.startswith(API_PREFIX):
        raise Refused(404, f"no route {method} {path}; the API lives under {API_PREFIX}")
    file_route = FILE_ROUTES.get((method, path))
    raw = (
        _raw_body(event, file_route.max_bytes, file_route.too_large_hint)
        if file_route
        else _raw_body(event, limits.MAX_BODY_BYTES)
    )
    try:
        user = user_for(headers.get("x-api-token"))
    except NotAuthenticated as exc:
        raise Refused(401, str(exc)) from exc
    except QueryFailed as exc:
        logger.exception("token lookup failed")
        raise Refused(503, UNAVAILABLE) from exc
    if file_route is not None:
        return Admitted(_prepared(event, headers, query, None), user, _file(raw, headers, file_route))
    body = decode_body(raw, headers) if raw else None
    return Admitted(_prepared(event, headers, query, body), user)


def _method_and_path(event: Any) -> tuple[str, str]:
    """What the resolver routes on; a harness or another integration may leave either out."""
    if not isinstance(event, dict):
        raise Refused(400, "not an HTTP API request")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = http.get("method") if isinstance(http, dict) else None
    path = event.get("rawPath")
    if not (isinstance(method, str) and method and isinstance(path, str) and path):
        raise Refused(400, "not an HTTP API request: the method or the path is missing")
    return method, path


def _text_headers(headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise Refused(400, "the request headers cannot be read")
    text: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise Refused(400, f"the {name} header must be text")
        text[name.lower()] = value
    return text


def _text_query(params: Any) -> dict[str, str] | None:
    if params is None:
        return None
    if not isinstance(params, dict):
        raise Refused(400, "the query string cannot be read")
    for name, value in params.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise Refused(400, f"the query parameter {name} must have a text value")
    return params


def _raw_body(event: dict[str, Any], max_bytes: int, hint: str = "") -> bytes:
    """The body's bytes, size-checked (at most ``max_bytes``) before anything else is done with them."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise Refused(400, "the body must be JSON text")
    too_large = Refused(413, f"request body is larger than {max_bytes // 1024} KiB{hint}")
    if event.get("isBase64Encoded") is True:
        # base64 grows a body by 4/3; anything longer than this cannot decode to an acceptable body.
        if len(body) > (max_bytes + 2) // 3 * 4:
            raise too_large
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Refused(400, "the body is marked base64-encoded but is not valid base64") from exc
    else:
        # A lone surrogate in a harness's str body is kept as the bytes it stands for, and refused
        # below as invalid UTF-8.
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise too_large
    return raw


def _file(raw: bytes, headers: dict[str, str], accepted: FileBody) -> bytes:
    """A file route's body: present, uncompressed, and labelled with one of the route's content types."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise Refused(415, f"compressed bodies are not accepted (Content-Encoding: {encoding})")
    label = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if label not in accepted.content_types:
        kinds = ", ".join(sorted(accepted.content_types))
        raise Refused(
            415,
            f"this route takes {accepted.what} (Content-Type {kinds}), not {label or 'an unlabelled body'}",
        )
    if not raw:
        raise Refused(400, f"the body is empty; send {accepted.what}")
    return raw


def decode_body(raw: bytes, headers: dict[str, str]) -> Any:
    """The one place a JSON body is read: UTF-8 JSON whatever the client labelled it, or a 4xx saying why.

    Any content type is read as JSON (``curl -d`` says form-urlencoded, some Shortcuts say nothing),
    but a compressed body or another character set is refused: decompressing would need a cap of its
    own, and no client of this API sends either.
    """
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise Refused(
            415, f"compressed bodies are not accepted (Content-Encoding: {encoding}); send plain JSON"
        )
    charset = _charset(headers.get("content-type", ""))
    if charset is not None and charset not in UTF8_NAMES:
        raise Refused(415, f"the body must be UTF-8 JSON, not {charset}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the body is not valid UTF-8 (byte {exc.start + 1} cannot be read)") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(
            400, f"the body is not valid JSON: {exc.msg.lower()} at character {exc.pos + 1}"
        ) from exc
    except RecursionError as exc:
        raise Refused(400, f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep") from exc
    except ValueError as exc:
        # Python refuses to convert integers of more than 4,300 digits (CVE-2020-10735).
        raise Refused(422, "a number in the body has too many digits") from exc
    if _depth(value) > limits.MAX_JSON_DEPTH:
        raise Refused(400, f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep")
    return value


def _charset(content_type: str) -> str | None:
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip().lower() if isinstance(charset, str) else None


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > limits.MAX_JSON_DEPTH:
            break
        pending.extend((child, level + 1) for child in children)
    return deepest


def _prepared(
    event: dict[str, Any], headers: dict[str, str], query: dict[str, str] | None, body: Any
) -> dict[str, Any]:
    """The event the resolver sees: lower-case text headers and a JSON body, or none.

    It is labelled JSON even without a body, so the resolver never refuses a label in its own shape.
    """
    prepared = {
        **event,
        "headers": {**headers, "content-type": content_types.APPLICATION_JSON},
        "isBase64Encoded": False,
    }
    if query is not None:
        prepared["queryStringParameters"] = query
    prepared.pop("body", None)
    if body is not None:
        prepared["body"] = json.dumps(body)
    return prepared
