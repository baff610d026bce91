"""The HttpApi of template.yaml, played on 127.0.0.1: HTTP requests in, payload 2.0 events to the handler.

Each request becomes the event API Gateway's HTTP API gives a Lambda proxy integration (payload format
2.0), and the handler's answer becomes the HTTP response, the way API Gateway reads it. The handler runs
in a pool of worker processes ("containers"), each taking one request at a time: Lambda runs one
request per container, and the powertools resolver keeps per-request state on a module-level object.

Routes are picked as API Gateway picks them: the most specific first, the ``$default`` route (when the
template has one) last. With the HttpApi's CorsConfiguration (watcharr.local.cors) the gateway answers
preflights itself and puts the CORS headers on answers to an allowed origin.

Outside the template's routes the gateway answers two local-only admin routes (nothing like them exists
on AWS; they are reachable from 127.0.0.1 only and need no token):

- ``POST /_local/sync`` runs the scheduled function (the PodcastSyncFunction) now, as the timer does,
  and answers ``{"success": true, "PodcastSyncFunction": <the handler's summary>}``.
- ``GET /_local/health`` answers ``{"status": "ok"}``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from watcharr.local.container import LOGGER_NAME, activity, terminal_safe
from watcharr.local.cors import PREFLIGHT_STATUS, CorsSpec, is_preflight, with_cors
from watcharr.local.function_pool import FunctionPool, InvocationError, InvocationTimeout
from watcharr.local.state import ACCOUNT_ID
from watcharr.local.template import DEFAULT_ROUTE, HttpRouteSpec

log = logging.getLogger(LOGGER_NAME)

# API Gateway's own bound on a request body.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# The integration timeout of an HTTP API: past it the client gets 504, whatever the function does.
INTEGRATION_TIMEOUT_SECONDS = 30
SYNC_PATH = "/_local/sync"
HEALTH_PATH = "/_local/health"

_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]*\+(json|xml))|multipart/form-data)$"
)


@dataclass(frozen=True)
class Route:
    """One HttpApi route: its route key and a pattern that also yields the path parameters."""

    route_key: str
    method: str
    pattern: re.Pattern[str]
    function_logical_id: str
    specificity: tuple[int, int]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route takes the request, else None."""
        if self.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def compile_routes(specs: Iterable[HttpRouteSpec]) -> list[Route]:
    """The template's routes, most specific first, as API Gateway picks them."""
    routes = []
    for spec in specs:
        if spec.path == DEFAULT_ROUTE:
            # Any method, any path, and only when no other route takes the request.
            routes.append(
                Route(DEFAULT_ROUTE, "ANY", re.compile(".*", re.DOTALL), spec.function_logical_id, (1_000, 0))
            )
            continue
        pattern = ""
        greedy = 0
        for part in re.split(r"(\{[^}]+\})", spec.path):
            if part.startswith("{") and part.endswith("+}"):
                pattern += f"(?P<{part[1:-2]}>.+)"
                greedy += 1
            elif part.startswith("{"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        literal = len(re.sub(r"\{[^}]+\}", "", spec.path))
        routes.append(
            Route(
                route_key=f"{spec.method} {spec.path}",
                method=spec.method,
                pattern=re.compile(pattern),
                function_logical_id=spec.function_logical_id,
                specificity=(greedy, -literal),
            )
        )
    return sorted(routes, key=lambda r: (r.specificity, r.method == "ANY"))


def find_route(routes: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The first route that takes ``method path``, with its path parameters."""
    for route in routes:
        params = route.match(method, path)
        if params is not None:
            return route, params
    return None


def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    """Whether API Gateway passes a body as text (else base64): textual types, not compressed."""
    if content_encoding and content_encoding.lower() not in ("identity", ""):
        return False
    if not content_type:
        return True
    return _TEXT_TYPES.match(content_type.split(";", 1)[0].strip().lower()) is not None


def http_api_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route: Route,
    path_parameters: Mapping[str, str],
    now: float | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway's HTTP API gives the function for one request.

    Header names are lowercased and repeated headers joined with commas; cookies move from the Cookie
    header to ``cookies``; a body that is not text arrives base64-encoded.
    """
    now = time.time() if now is None else now
    split = urlsplit(target)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": joined,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    request_id = request_id or str(uuid.uuid4())
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        "domainName": joined.get("host", "127.0.0.1"),
        "domainPrefix": joined.get("host", "127.0.0.1").split(".", 1)[0],
        "http": {
            "method": method,
            "path": split.path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        text = is_text(joined.get("content-type"), joined.get("content-encoding"))
        if text:
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                text = False
        if not text:
            event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_answer(result: Any) -> HttpAnswer:
    """The HTTP response API Gateway makes of a payload 2.0 answer.

    An answer without ``statusCode`` is taken as a JSON body with status 200, as the HTTP API does.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpAnswer(200, [("Content-Type", "application/json")], body.encode())
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return HttpAnswer(int(result["statusCode"]), headers, body)


def gateway_error(status: int, message: str) -> HttpAnswer:
    """An answer API Gateway makes itself (no route, function error, timeout)."""
    return HttpAnswer(
        status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode()
    )


# ---- Containers ----------------------------------------------------------------------------------


class Gateway(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that plays the HttpApi in front of the function pools."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        routes: list[Route],
        pools: Mapping[str, FunctionPool],
        run_sync: Callable[[], dict[str, Any]],
        cors: CorsSpec | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _GatewayHandler)
        self.routes = routes
        self.pools = pools
        self.run_sync = run_sync
        self.cors = cors

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, method: str, target: str, headers: Message, body: bytes, source_ip: str) -> HttpAnswer:
        """The response to one request."""
        path = urlsplit(target).path
        if path == SYNC_PATH and method == "POST":
            return self._local_sync()
        if path == HEALTH_PATH and method == "GET":
            return HttpAnswer(200, [("Content-Type", "application/json")], b'{"status": "ok"}')
        if self.cors is None:
            return self._routed(method, target, headers, body, source_ip)
        origin = headers.get("Origin")
        if is_preflight(method, {k.lower(): v for k, v in headers.items()}):
            return HttpAnswer(PREFLIGHT_STATUS, self.cors.preflight_headers(origin), b"")
        answer = self._routed(method, target, headers, body, source_ip)
        return HttpAnswer(answer.status, with_cors(answer.headers, self.cors, origin), answer.body)

    def _routed(self, method: str, target: str, headers: Message, body: bytes, source_ip: str) -> HttpAnswer:
        path = urlsplit(target).path
        found = find_route(self.routes, method, path)
        if found is None:
            return gateway_error(404, "Not Found")
        route, params = found
        event = http_api_event(
            method=method,
            target=target,
            headers=headers.items(),
            body=body,
            source_ip=source_ip,
            route=route,
            path_parameters=params,
        )
        pool = self.pools[route.function_logical_id]
        try:
            answer = http_answer(pool.invoke(event, min(pool.timeout_seconds, INTEGRATION_TIMEOUT_SECONDS)))
        except InvocationTimeout as exc:
            log.warning("%s", exc)
            return gateway_error(504, "Service Unavailable")
        except InvocationError as exc:
            log.warning("%s %s failed: %s", method, path, exc)
            return gateway_error(500, "Internal Server Error")
        except Exception:
            log.exception("the function's answer could not be read")
            return gateway_error(500, "Internal Server Error")
        answer.headers.append(("apigw-requestid", event["requestContext"]["requestId"]))
        return answer

    def _local_sync(self) -> HttpAnswer:
        try:
            summary = self.run_sync()
        except Exception as exc:
            log.exception("local sync failed")
            body = {"success": False, "error": f"{type(exc).__name__}: {exc}"}
            return HttpAnswer(500, [("Content-Type", "application/json")], json.dumps(body).encode())
        body = {"success": True, **summary}
        return HttpAnswer(200, [("Content-Type", "application/json")], json.dumps(body).encode())


class _GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection gives its thread back after this long.
    timeout = 60

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        began = time.monotonic()
        body = self._read_body()
        if body is None:
            answer = gateway_error(413, "Request Entity Too Large")
            self.close_connection = True
        else:
            answer = self.server.answer(self.command, self.path, self.headers, body, self.client_address[0])
        self.send_response(answer.status)
        names = {name.lower() for name, _ in answer.headers}
        for name, value in answer.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if "content-type" not in names and answer.body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        activity.info(
            "%s %s %d %.0f ms",
            terminal_safe(self.command),
            terminal_safe(urlsplit(self.path).path),
            answer.status,
            (time.monotonic() - began) * 1000,
        )

    def _read_body(self) -> bytes | None:
        """The request body, or None past API Gateway's limit (the rest is not read)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > MAX_REQUEST_BYTES:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            return None
        return self.rfile.read(length) if length else b""
