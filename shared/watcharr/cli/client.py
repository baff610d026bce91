"""How the CLI reaches the API (JSON over HTTP) and AWS (boto3), and how failures become exit codes."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_ITEMS_FAILED = 4
EXIT_INTERRUPTED = 130

# API Gateway ends a request after 30 s, so waiting longer for an answer gains nothing.
HTTP_TIMEOUT_SECONDS = 30.0
# Answers from a gateway in front of the API that mean "try again later" rather than "refused".
GATEWAY_UNAVAILABLE = frozenset({502, 503, 504})
USER_AGENT = "watcharr-cli/0.1"


class CliError(Exception):
    """An expected failure: its message is printed on stderr and the command exits with its code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class ApiError(CliError):
    """The API answered with an error status; ``body`` is its JSON answer when it sent one."""

    def __init__(self, status: int, message: str, body: dict[str, Any]) -> None:
        code = EXIT_UNREACHABLE if status in GATEWAY_UNAVAILABLE else EXIT_FAILED
        super().__init__(message, code)
        self.status = status
        self.body = body


# ---- where things are ---------------------------------------------------------------------------------


class ApiClient:
    """JSON over HTTP to the watcharr API with the stdlib, every call bounded by a timeout."""

    def __init__(
        self, base_url: str, token: str | None, timeout: float = HTTP_TIMEOUT_SECONDS, hint: str = ""
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        # Appended to "cannot reach" messages, e.g. to say the local stack may have stopped.
        self.hint = hint

    def call(
        self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one request; returns the JSON answer of a 2xx, raises ApiError or CliError otherwise."""
        url = self.base_url + path
        params = {k: query_value(v) for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token is not None:
            headers["X-API-Token"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
        except ValueError as exc:
            raise CliError(f"not a usable API URL {self.base_url!r}: {exc}", EXIT_USAGE) from exc
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json_object(response.read())
        except urllib.error.HTTPError as exc:
            answer = json_object(exc.read())
            message = answer.get("error") or answer.get("message") or f"HTTP {exc.code} {exc.reason}"
            raise ApiError(exc.code, f"{message} (HTTP {exc.code})", answer) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, reason: object) -> CliError:
        text = str(reason) or type(reason).__name__
        return CliError(f"cannot reach the API at {self.base_url}: {text}{self.hint}", EXIT_UNREACHABLE)


def query_value(value: Any) -> str:
    """A query-string value as the API reads it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def json_object(raw: bytes) -> dict[str, Any]:
    """An answer body as a JSON object; text that is not JSON becomes ``{"error": text}``."""
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw[:200].decode(errors="replace").strip() or None}
    return value if isinstance(value, dict) else {"value": value}


# ---- formatting -------------------------------------------------------------------------------------


def region_in(text: str) -> str | None:
    """The AWS region named in a queue URL or function ARN, when it names one."""
    match = re.search(r"(?:sqs\.|:lambda:)([a-z]{2}(?:-gov)?-[a-z]+-\d)[.:]", text)
    return match.group(1) if match else None


def aws_client(
    service: str, *, endpoint_url: str | None, region: str | None, read_timeout: float, attempts: int
) -> Any:
    """A boto3 client of its own, bounded by timeouts; dummy credentials for a local endpoint."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5, read_timeout=read_timeout, retries={"mode": "standard", "max_attempts": attempts}
    )
    # A session of its own: credentials are looked up afresh, never reused from another client.
    session = boto3.session.Session()
    if endpoint_url is not None:
        # moto accepts any credentials; dummy ones keep the caller's real ones away from the local stack.
        return session.client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )
    return session.client(service, region_name=region, config=config)


def aws_call(what: str, where: str, call: Callable[[], Any]) -> Any:
    """Run one AWS call, turning botocore's failures into messages and exit codes."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    from watcharr.adapters.queues import QueueSendError

    try:
        return call()
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise CliError(f"{what} needs AWS credentials: {exc}") from None
    except NoRegionError:
        raise CliError(f"{what}: no AWS region; set AWS_REGION", EXIT_USAGE) from None
    except (BotoConnectionError, HTTPClientError) as exc:
        raise CliError(f"cannot reach {where}: {exc}", EXIT_UNREACHABLE) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CliError(f"{what} failed at {where}: {error.get('Code')}: {error.get('Message')}") from None
    except (BotoCoreError, QueueSendError) as exc:
        raise CliError(f"{what} failed at {where}: {exc}") from None
