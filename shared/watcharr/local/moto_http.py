"""moto's SQS over HTTP/1.1 with keep-alive: the endpoint the functions' boto3 clients talk to.

moto's own ``ThreadedMotoServer`` runs its WSGI app under werkzeug's development server, which closes
the connection after every response (``Connection: close``), starts a thread per request and then
waits up to 10 ms for the client to hang up. Each SQS call then pays a TCP connection on both sides,
and a thread. botocore keeps its connections open when the server lets it, so this server does: one
thread per connection, as many requests on it as the client sends, each answered with its length.
The application is moto's own (``DomainDispatcherApplication``), so every request is answered as
moto's server would answer it; only the HTTP around it differs.

SQS calls (botocore's JSON protocol, told by their ``X-Amz-Target: AmazonSQS.<Action>`` header) skip
the per-request Flask app and go to moto's ``SQSResponse.dispatch`` with moto's own normalised
request, the same call its Flask view makes, without picking a backend by host, building a Flask
request context and response, and running the CORS hook each time: a third of the server's CPU per
call. Everything else (other services, SQS's query protocol, ``/moto-api``) goes through the app.
"""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from watcharr.local.container import LOGGER_NAME

log = logging.getLogger(LOGGER_NAME)

# A connection idle this long is closed (botocore opens a new one when it needs it).
IDLE_CONNECTION_SECONDS = 120
# The largest request body taken: SQS's own limit for a batch is 1 MiB, so this is ample.
MAX_BODY_BYTES = 16 * 1024 * 1024


class _MotoRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _MotoHttpServer

    def setup(self) -> None:
        super().setup()
        self.server.connections_served += 1
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.settimeout(IDLE_CONNECTION_SECONDS)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _answer(self) -> None:
        body = self._body()
        if body is None:
            return
        reply: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            reply["status"], reply["headers"] = status, headers
            return lambda _data: None  # the legacy write() callable; moto never uses it

        environ = self._environ(body)
        app = self.server.app
        if self.server.direct_sqs and environ.get("HTTP_X_AMZ_TARGET", "").startswith(_SQS_TARGET):
            app = _answer_sqs
        chunks = app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        head = [f"HTTP/1.1 {reply['status']}"]
        head += [f"{name}: {value}" for name, value in reply["headers"] if name.lower() != "content-length"]
        head.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)

    # http.server dispatches on do_<METHOD>; SQS only ever POSTs, the rest serve moto's other endpoints.
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked_body()
        try:
            size = int(length or 0)
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_BODY_BYTES:
            self.send_error(400, "bad Content-Length")
            return None
        return self.rfile.read(size)

    def _chunked_body(self) -> bytes | None:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self.send_error(400, "bad chunk")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(data)
            data += self.rfile.read(size)
            self.rfile.readline(1024)
            if len(data) > MAX_BODY_BYTES:
                self.send_error(413, "request body too large")
                return None

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": self.path,
            "REQUEST_URI": self.path,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                header = f"HTTP_{key}"
                environ[header] = f"{environ[header]},{value}" if header in environ else value
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("moto: " + format, *args)


_SQS_TARGET = "AmazonSQS."


def _answer_sqs(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """One SQS JSON-protocol call answered by moto's SQS responses, as its Flask view answers it."""
    from botocore.exceptions import ClientError
    from moto.moto_api import recorder
    from moto.sqs.responses import SQSResponse

    request = _server_request_class()(environ)
    # moto's request recorder sees every call, as in its Flask view (bench.profile counts with it).
    recorder._record_request(request)
    try:
        status, headers, content = SQSResponse.dispatch(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        status, headers, content = 400, {}, exc.response["Error"]["Message"]
    payload = content.encode() if isinstance(content, str) else bytes(content)
    shown = [(str(name), str(value)) for name, value in headers.items()]
    if not any(name.lower() == "content-type" for name, _ in shown):
        shown.append(("Content-Type", _FLASK_DEFAULT_CONTENT_TYPE))
    start_response(f"{int(status)} {HTTPStatus(int(status)).phrase}", shown)
    return [payload]


# What a Flask response without a Content-Type of its own carries, as moto's server answers.
_FLASK_DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"


@cache
def _server_request_class() -> type:
    from moto.core.request import Request

    class ServerRequest(Request):
        # As moto's server builds its requests (its answers then carry the server's own Date header).
        from_wsgi_server = True

    return ServerRequest


class _MotoHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: Any, direct_sqs: bool) -> None:
        super().__init__(address, _MotoRequestHandler)
        self.app = app
        self.direct_sqs = direct_sqs
        self.connections_served = 0


class MotoHttpServer:
    """moto's SQS (and every other moto service) on ``host:port``, in threads of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, direct_sqs: bool = True) -> None:
        """``direct_sqs=False`` sends SQS calls through moto's Flask app too (tests compare the two)."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        app = DomainDispatcherApplication(create_backend_app)
        self._server = _MotoHttpServer((host, port), app, direct_sqs)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.5}, name="moto", daemon=True
        )
        self._thread.start()

    @property
    def connections_served(self) -> int:
        """How many connections it has accepted (a client that keeps its connection opens one)."""
        return self._server.connections_served

    def get_host_and_port(self) -> tuple[str, int]:
        """Where it listens."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """Stop listening; open connections end with the process (their threads are daemons)."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
