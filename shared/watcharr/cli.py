"""The `watcharr` command: add links and follow their jobs, read the list, manage podcasts and users.

Reads and adds go to the HTTP API (urllib, ``X-API-Token``); user commands travel as messages on the
FIFO results queue to the one writer (invariant 1); ``local run`` starts the local stack. Without
``--api`` the command uses the local stack that ``./data/local.json`` describes.

Exit codes: 0 success, 1 the request failed, 2 usage error, 3 the API or queue cannot be reached,
4 some items failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from watcharr import limits

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_ITEMS_FAILED = 4
EXIT_INTERRUPTED = 130

# API Gateway ends a request after 30 s, so waiting longer for an answer gains nothing.
HTTP_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 1.0
DEFAULT_WAIT_TIMEOUT_SECONDS = 900
# Without a terminal, a line every so often even when nothing moved shows the wait is alive.
PLAIN_PROGRESS_HEARTBEAT_SECONDS = 30.0
# Answers from a gateway in front of the API that mean "try again later" rather than "refused".
GATEWAY_UNAVAILABLE = frozenset({502, 503, 504})
USERNAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{limits.MAX_USERNAME_LENGTH}}}")
LOCAL_STACK_FILE = "local.json"
LOCAL_TOKEN_FILE = "local-token"
LOCAL_DATABASE_FILE = "watcharr.db"
# The region the local runner gives moto; any region works there, but it must be the same one.
LOCAL_REGION = "us-east-1"
LOCAL_STOPPED_HINT = " (is `watcharr local run` still running?)"
LOCAL_SYNC_TIMEOUT_SECONDS = 180.0
# The local runner's own route for "run the scheduled sync now"; it exists only in local mode.
LOCAL_SYNC_PATH = "/_local/sync"
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


@dataclass(frozen=True)
class LocalStack:
    """The endpoints of a running local stack, as the runner writes them to ``<data-dir>/local.json``."""

    api_url: str
    sqs_endpoint: str
    region: str
    extract_queue_url: str
    results_queue_url: str
    database_path: Path
    token_path: Path

    @classmethod
    def load(cls, data_dir: Path) -> LocalStack | None:
        """The local stack described in ``data_dir``, or None when there is no local.json there."""
        path = data_dir / LOCAL_STACK_FILE
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from exc
        try:
            queues = raw["queueUrls"]
            return cls(
                api_url=str(raw["apiUrl"]),
                sqs_endpoint=str(raw["sqsEndpoint"]),
                region=str(raw.get("region") or LOCAL_REGION),
                extract_queue_url=str(queues["ExtractQueue"]),
                results_queue_url=str(queues["ResultsQueue"]),
                database_path=Path(raw.get("databasePath") or data_dir / LOCAL_DATABASE_FILE),
                token_path=Path(raw.get("tokenFile") or data_dir / LOCAL_TOKEN_FILE),
            )
        except (KeyError, TypeError) as exc:
            raise CliError(f"{path} does not describe a local stack (missing {exc})", EXIT_USAGE) from exc


# ---- HTTP API ---------------------------------------------------------------------------------------


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
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
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
                return _json_object(response.read())
        except urllib.error.HTTPError as exc:
            answer = _json_object(exc.read())
            message = answer.get("error") or answer.get("message") or f"HTTP {exc.code} {exc.reason}"
            raise ApiError(exc.code, f"{message} (HTTP {exc.code})", answer) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, reason: object) -> CliError:
        text = str(reason) or type(reason).__name__
        return CliError(f"cannot reach the API at {self.base_url}: {text}{self.hint}", EXIT_UNREACHABLE)


def _query_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw[:200].decode(errors="replace").strip() or None}
    return value if isinstance(value, dict) else {"value": value}


# ---- formatting -------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """Seconds as h:mm:ss (``0:03:25``); empty when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_widths: Sequence[int]) -> str:
    """A plain-text table: columns padded to their widest cell, cells longer than their cap clipped."""
    clipped = [
        [_clip(" ".join(cell.split()), cap) for cell, cap in zip(row, max_widths, strict=True)]
        for row in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in clipped]) for i, h in enumerate(headers)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *clipped]
    ]
    return "\n".join(lines)


def render_progress(done: int, total: int, totals: Mapping[str, int], width: int) -> str:
    """One line of progress: a bar, ``done/total`` and the counts of finished states, within ``width``."""
    counts = ", ".join(
        f"{totals[state]} {state}" for state in ("added", "restored", "failed") if totals.get(state)
    )
    label = f" {done}/{total}" + (f"  {counts}" if counts else "")
    bar_width = max(min(30, width - len(label) - 2), 5)
    filled = bar_width * done // total if total else 0
    return _clip("[" + "#" * filled + "." * (bar_width - filled) + "]" + label, max(width, 1))


class Progress:
    """Shows a job's progress on stderr: a redrawn bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.clock = clock
        self.last: tuple[int, int] | None = None
        self.last_line_at = 0.0
        self.drawn = False

    def update(self, job: Mapping[str, Any]) -> None:
        """Show the job's latest state (from GET /api/jobs/{id})."""
        done, total, totals = int(job.get("done", 0)), int(job.get("total", 0)), job.get("totals") or {}
        if self.tty:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self.stream.write("\r" + render_progress(done, total, totals, width).ljust(width))
            self.drawn = True
        elif self._line_due((done, total)):
            counts = ", ".join(f"{totals[s]} {s}" for s in ("added", "restored", "failed") if totals.get(s))
            suffix = f" ({counts})" if counts else ""
            self.stream.write(f"job {job.get('jobId', '')}: {done}/{total} finished{suffix}\n")
            self.last, self.last_line_at = (done, total), self.clock()
        self.stream.flush()

    def _line_due(self, position: tuple[int, int]) -> bool:
        return position != self.last or self.clock() - self.last_line_at >= PLAIN_PROGRESS_HEARTBEAT_SECONDS

    def finish(self) -> None:
        """End the redrawn line so that what follows starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


# ---- the commands -----------------------------------------------------------------------------------


@dataclass
class Session:
    """What one invocation works with: its arguments, its streams and where the stack is."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    stdin: TextIO

    @property
    def data_dir(self) -> Path:
        return Path(self.args.data_dir or "data")

    @property
    def as_json(self) -> bool:
        return bool(self.args.json)

    def local_stack(self) -> LocalStack | None:
        return LocalStack.load(self.data_dir)

    def api(self) -> ApiClient:
        """The API client from --api/--token, the environment, or the local stack."""
        local = self.local_stack()
        url = self.args.api or os.environ.get("WATCHARR_API_URL") or (local.api_url if local else None)
        if not url:
            raise CliError(
                "no API URL: pass --api URL or set WATCHARR_API_URL (the stack's ApiUrl output), "
                + _local_stack_hint(self.data_dir),
                EXIT_USAGE,
            )
        is_local = local is not None and url.rstrip("/") == local.api_url.rstrip("/")
        token = self.args.token or os.environ.get("WATCHARR_TOKEN")
        if not token and local is not None and is_local:
            token = _read_local_token(local.token_path)
        if not token:
            raise CliError("no API token: set WATCHARR_TOKEN (or pass --token)", EXIT_USAGE)
        return ApiClient(url, token, hint=LOCAL_STOPPED_HINT if is_local else "")

    def emit_json(self, value: Any) -> None:
        self.out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def say(self, line: str = "") -> None:
        self.out.write(line + "\n")

    def note(self, line: str) -> None:
        self.err.write(line + "\n")


def _local_stack_hint(data_dir: Path) -> str:
    return f"or start the local stack with `watcharr local run` (it writes {data_dir / LOCAL_STACK_FILE})"


def _read_local_token(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CliError(f"cannot read the local token {path}: {exc}", EXIT_USAGE) from exc


def _collect_urls(given: Sequence[str], stdin: TextIO) -> list[str]:
    """The links given, ``-`` replaced by the lines of stdin (blank lines and # comments skipped)."""
    urls: list[str] = []
    for value in given:
        if value == "-":
            urls.extend(line.strip() for line in stdin if line.strip() and not line.lstrip().startswith("#"))
        else:
            urls.append(value)
    return urls


def cmd_add(session: Session) -> int:
    """Add links as one job; with --wait follow it to the end and summarise."""
    args = session.args
    urls = _collect_urls(args.urls, session.stdin)
    if not urls:
        raise CliError("no links to add (give URLs, or - to read them from stdin)", EXIT_USAGE)
    if len(urls) > limits.MAX_URLS_PER_BATCH:
        raise CliError(
            f"{len(urls)} links: at most {limits.MAX_URLS_PER_BATCH} per call; split the list", EXIT_USAGE
        )
    tag = {"tag": args.tag} if args.tag is not None else {}
    api = session.api()
    if len(urls) == 1:
        try:
            answer = api.call("POST", "/api/shortcuts/add-episode", {"url": urls[0], **tag})
        except ApiError as exc:
            if exc.status == 422:
                raise CliError(f"{urls[0]}: {exc}") from None
            raise
        results = [{"url": urls[0], "status": "QUEUED"}]
    else:
        try:
            answer = api.call("POST", "/api/shortcuts/add-videos", [{"url": u, **tag} for u in urls])
        except ApiError as exc:
            if exc.status == 422 and session.as_json:
                session.emit_json(exc.body)
            elif exc.status == 422:
                _print_refused(session, exc.body.get("results") or [])
            raise
        results = answer.get("results") or []
    job_id = str(answer["jobId"])
    refused = [r for r in results if r.get("status") != "QUEUED"]
    submitted = {"success": True, "jobId": job_id, "results": results}
    if not session.as_json:
        session.say(
            f"job {job_id}: {len(results) - len(refused)} link(s) queued"
            + (f", {len(refused)} refused" if refused else "")
        )
        _print_refused(session, refused)
    if not args.wait:
        if session.as_json:
            session.emit_json(submitted)
        return EXIT_ITEMS_FAILED if refused else EXIT_OK
    try:
        job, finished = follow_job(api, job_id, Progress(session.err), args.timeout)
    except KeyboardInterrupt:
        raise CliError(
            f"interrupted; the job goes on: watcharr jobs show {job_id}", EXIT_INTERRUPTED
        ) from None
    if session.as_json:
        session.emit_json({**submitted, "job": job})
    else:
        _print_job(session, job)
    if not finished:
        session.note(f"still running after {args.timeout} s; follow it with: watcharr jobs show {job_id}")
        return EXIT_ITEMS_FAILED
    failed = int((job.get("totals") or {}).get("failed", 0))
    return EXIT_ITEMS_FAILED if refused or failed else EXIT_OK


def _print_refused(session: Session, results: Sequence[Mapping[str, Any]]) -> None:
    for result in results:
        if result.get("status") != "QUEUED":
            session.say(f"  NOK  {result.get('url')}: {result.get('reason') or 'refused'}")


def follow_job(
    api: ApiClient, job_id: str, progress: Progress, timeout: float
) -> tuple[dict[str, Any], bool]:
    """Poll a job until every item is terminal or ``timeout`` seconds pass; returns (job, finished)."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {
        "jobId": job_id,
        "status": "running",
        "total": 0,
        "done": 0,
        "totals": {},
        "items": [],
    }
    try:
        while True:
            try:
                job = api.call("GET", f"/api/jobs/{job_id}")
            except ApiError as exc:
                # The job appears once the writer applied it, a moment after the API accepted it.
                if exc.status != 404:
                    raise
            else:
                progress.update(job)
                if job.get("status") == "done":
                    return job, True
            if time.monotonic() >= deadline:
                return job, False
            time.sleep(POLL_SECONDS)
    finally:
        progress.finish()


def _print_job(session: Session, job: Mapping[str, Any]) -> None:
    """Each item with its state (and reason when it failed), then the totals."""
    for item in job.get("items") or []:
        state = str(item.get("state"))
        what = item.get("title") or item.get("url")
        line = f"  {state:<9} {what}"
        if state == "failed":
            line += f": {item.get('reason') or 'no reason given'}"
        elif item.get("title") and state in {"added", "restored"}:
            line += f"  <{item.get('url')}>"
        session.say(line)
    totals = job.get("totals") or {}
    parts = [f"{totals.get(s, 0)} {s}" for s in ("added", "restored", "failed")]
    if totals.get("expanded"):
        parts.append(f"{totals['expanded']} playlist(s) expanded")
    if totals.get("queued"):
        parts.append(f"{totals['queued']} still queued")
    session.say(f"job {job.get('jobId')}: {job.get('total', 0)} item(s): " + ", ".join(parts))
    if job.get("leftOut"):
        session.say(f"  {job['leftOut']} playlist entr(ies) left out: over the playlist limit")


def cmd_jobs_show(session: Session) -> int:
    """Show one job: its status, totals and every item."""
    job_id = urllib.parse.quote(session.args.job_id, safe="")
    job = session.api().call("GET", f"/api/jobs/{job_id}")
    if session.as_json:
        session.emit_json(job)
        return EXIT_OK
    session.say(
        f"job {job.get('jobId')}: {job.get('status')} ({job.get('done', 0)}/{job.get('total', 0)} finished)"
    )
    _print_job(session, job)
    return EXIT_OK


def cmd_episodes_list(session: Session) -> int:
    """List the caller's episodes, newest first, as a table."""
    args = session.args
    query = {
        "type": args.type,
        "watched": args.watched,
        "tag": args.tag,
        "limit": args.limit,
        "offset": args.offset,
    }
    answer = session.api().call("GET", "/api/episodes", query=query)
    episodes = answer.get("episodes") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not episodes:
        session.say("no episodes")
        return EXIT_OK
    rows = [
        [
            str(e.get("title") or e.get("url") or ""),
            str(e.get("type") or ""),
            str((e.get("channel") or {}).get("name") or ""),
            format_duration(e.get("duration")),
            ", ".join(tag["name"] for tag in e.get("tags") or []),
        ]
        for e in episodes
    ]
    session.say(format_table(["TITLE", "TYPE", "CHANNEL", "DURATION", "TAGS"], rows, [60, 7, 30, 9, 40]))
    return EXIT_OK


def _backfill(value: str) -> int | str:
    if value == "all":
        return value
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of episodes, or 'all'") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def cmd_podcasts_add(session: Session) -> int:
    """Subscribe to a feed; its newest episodes are added as the feed is read."""
    args = session.args
    body: dict[str, Any] = {"feedUrl": args.feed_url}
    if args.tag is not None:
        body["tag"] = args.tag
    if args.backfill is not None:
        body["backfill"] = args.backfill
    answer = session.api().call("POST", "/api/podcasts", body)
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"subscribed: {answer.get('subscriptionId')} ({args.feed_url})")
    return EXIT_OK


def cmd_podcasts_list(session: Session) -> int:
    """List the caller's subscriptions with their last sync."""
    answer = session.api().call("GET", "/api/podcasts")
    podcasts = answer.get("podcasts") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not podcasts:
        session.say("no podcasts")
        return EXIT_OK
    rows = []
    for p in podcasts:
        status = str(p.get("lastStatus") or "never synced")
        if p.get("lastError"):
            status += f": {p['lastError']}"
        rows.append(
            [
                str(p.get("id") or ""),
                str(p.get("title") or p.get("feedUrl") or ""),
                str(p.get("episodeCount") if p.get("episodeCount") is not None else ""),
                str(p.get("lastSyncAt") or ""),
                status,
                str(p.get("tag") or ""),
            ]
        )
    session.say(
        format_table(["ID", "TITLE", "EPISODES", "LAST SYNC", "STATUS", "TAG"], rows, [40, 50, 8, 24, 50, 20])
    )
    return EXIT_OK


def cmd_podcasts_remove(session: Session) -> int:
    """Unsubscribe; episodes already added stay on the list."""
    podcast_id = urllib.parse.quote(session.args.podcast_id, safe="")
    answer = session.api().call("DELETE", f"/api/podcasts/{podcast_id}")
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"removed {session.args.podcast_id}")
    return EXIT_OK


# ---- commands that go to AWS (or the local stack's moto) -------------------------------------------


@dataclass(frozen=True)
class QueueTarget:
    """The FIFO results queue a user command goes to, and how to reach it."""

    results_queue_url: str
    extract_queue_url: str
    endpoint_url: str | None
    region: str | None
    local: LocalStack | None


def _region_in(text: str) -> str | None:
    """The AWS region named in a queue URL or function ARN, when it names one."""
    match = re.search(r"(?:sqs\.|:lambda:)([a-z]{2}(?:-gov)?-[a-z]+-\d)[.:]", text)
    return match.group(1) if match else None


def _queue_target(session: Session) -> QueueTarget:
    url = session.args.queue_url or os.environ.get("WATCHARR_RESULTS_QUEUE_URL")
    if url:
        return QueueTarget(url, "", None, _region_in(url), None)
    local = session.local_stack()
    if local is not None:
        return QueueTarget(
            local.results_queue_url, local.extract_queue_url, local.sqs_endpoint, local.region, local
        )
    raise CliError(
        "no results queue: pass --queue-url or set WATCHARR_RESULTS_QUEUE_URL "
        "(the stack's ResultsQueue.fifo URL), " + _local_stack_hint(session.data_dir),
        EXIT_USAGE,
    )


def _aws_client(
    service: str, *, endpoint_url: str | None, region: str | None, read_timeout: float, attempts: int
) -> Any:
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


def _aws_call(what: str, where: str, call: Callable[[], Any]) -> Any:
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


def _username(value: str) -> str:
    if USERNAME.fullmatch(value) is None:
        raise argparse.ArgumentTypeError(
            f"1 to {limits.MAX_USERNAME_LENGTH} characters among letters, digits, '_', '.' and '-'"
        )
    return value


def _local_user_exists(local: LocalStack, username: str) -> bool:
    """Whether the local database has the user, read through a read-only connection."""
    import sqlite3

    from watcharr.adapters.store import ReadStore, connect_reader

    try:
        conn = connect_reader(local.database_path)
        if conn is None:
            return False
        try:
            return ReadStore(conn).user_by_name(username) is not None
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CliError(f"cannot read the local database {local.database_path}: {exc}") from None


def _send_token_message(session: Session, *, create: bool) -> int:
    """Create a user or give it a new token: the hash goes through the queue, the token to stdout once."""
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.domain.tokens import hash_token, new_token
    from watcharr.models.messages import TokenRotated, UserCreated

    username = session.args.name
    target = _queue_target(session)
    if target.local is not None:
        exists = _local_user_exists(target.local, username)
        if create and exists:
            raise CliError(
                f"user {username!r} already exists; give it a new token with `watcharr users rotate-token`"
            )
        if not create and not exists:
            raise CliError(f"no user {username!r}; create it with `watcharr users create`")
    else:
        session.note(
            f"note: could not check that user {username!r} {'is free' if create else 'exists'} on the "
            "deployed stack; if not, the writer ignores this and the token below will not work"
        )
    token = new_token()
    message = (UserCreated if create else TokenRotated)(username=username, token_hash=hash_token(token))
    client = _aws_client(
        "sqs", endpoint_url=target.endpoint_url, region=target.region, read_timeout=20, attempts=3
    )
    publisher = QueuePublisher(target.extract_queue_url, target.results_queue_url, client)
    _aws_call(
        "sending to the results queue", target.results_queue_url, lambda: publisher.send_results([message])
    )
    if session.as_json:
        session.emit_json({"username": username, "token": token})
    else:
        session.say(token)
    session.note(
        f"{'created user' if create else 'new token for'} {username!r}: the token above cannot be shown "
        "again; the writer applies the change within seconds"
    )
    return EXIT_OK


def cmd_users_create(session: Session) -> int:
    """Create a user and print its token once."""
    return _send_token_message(session, create=True)


def cmd_users_rotate_token(session: Session) -> int:
    """Give an existing user a new token (the old one stops working) and print it once."""
    return _send_token_message(session, create=False)


def cmd_sync_now(session: Session) -> int:
    """Sync every podcast subscription now, as the schedule does."""
    function_name = session.args.function_name or os.environ.get("WATCHARR_SYNC_FUNCTION_NAME")
    if function_name:
        # The same shape as the local admin route's answer: each scheduled function's summary by name.
        answer = {"success": True, function_name: _invoke_sync_function(function_name)}
    else:
        local = session.local_stack()
        if local is None:
            raise CliError(
                "nothing to sync: pass --function-name or set WATCHARR_SYNC_FUNCTION_NAME for a deployed "
                "stack, " + _local_stack_hint(session.data_dir),
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


def _invoke_sync_function(function_name: str) -> dict[str, Any]:
    # The function can run for two minutes; one attempt, since a second would sync twice.
    client = _aws_client(
        "lambda", endpoint_url=None, region=_region_in(function_name), read_timeout=180, attempts=1
    )
    response = _aws_call(
        "invoking the sync function",
        function_name,
        lambda: client.invoke(FunctionName=function_name, Payload=b"{}"),
    )
    payload = _json_object(response["Payload"].read())
    if response.get("FunctionError"):
        raise CliError(f"the sync function failed: {payload.get('errorMessage') or payload}")
    return payload


def cmd_local_run(args: Sequence[str]) -> int:
    """Start the local stack (moto SQS, the API on 127.0.0.1, pollers, the schedule) until Ctrl-C."""
    from watcharr.local.runner import main as run_local

    return run_local(list(args))


# ---- the command line -------------------------------------------------------------------------------

EXIT_CODES_HELP = """\
exit codes:
  0  success
  1  the request failed (the API's or AWS's reason is printed)
  2  usage error (bad arguments, no API URL or token configured)
  3  the API or the queue cannot be reached (connection refused, timeout, 502/503/504)
  4  some items failed or were refused (add), or were not finished within --timeout (add --wait)

Without --api, the command uses the local stack that `watcharr local run` describes in
<data-dir>/local.json, with the `local` user's token from <data-dir>/local-token. For a deployed
stack set WATCHARR_API_URL and WATCHARR_TOKEN (prefer the variable: --token shows in `ps`).
"""


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return number

    return parse


def _add_global_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    # Given again after the command, each option must not reset what was given before it.
    default: Any = argparse.SUPPRESS if in_command else None
    parser.add_argument("--api", metavar="URL", default=default, help="API base URL (env WATCHARR_API_URL)")
    parser.add_argument("--token", metavar="TOKEN", default=default, help="API token (env WATCHARR_TOKEN)")
    parser.add_argument(
        "--data-dir", metavar="DIR", default=default, help="the local stack's data directory (./data)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if in_command else False,
        help="print JSON for scripts instead of text (errors stay on stderr)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then one command (and sub-command) per action."""
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, in_command=True)
    parser = argparse.ArgumentParser(
        prog="watcharr",
        description="Your watch-later list from the command line: add links, follow jobs, "
        "manage podcasts and users.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, in_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def group(name: str, help_text: str) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        return sub.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = commands.add_parser(
        "add",
        parents=[common],
        help="add links to your list as one job",
        description="Add links (videos, playlists, podcast episodes) to your list as one job.",
    )
    add.add_argument(
        "urls", nargs="+", metavar="URL", help="a link, or - to read links from stdin (one a line)"
    )
    add.add_argument("--tag", help="tag every added episode")
    add.add_argument("--wait", action="store_true", help="follow the job until every item is finished")
    add.add_argument(
        "--timeout",
        type=_bounded_int(1, 86_400),
        default=DEFAULT_WAIT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"with --wait, give up waiting after this long (default {DEFAULT_WAIT_TIMEOUT_SECONDS})",
    )
    add.set_defaults(func=cmd_add)

    jobs = group("jobs", "follow what happened to added links")
    show = jobs.add_parser("show", parents=[common], help="a job's status and every item with its state")
    show.add_argument("job_id", metavar="ID")
    show.set_defaults(func=cmd_jobs_show)

    episodes = group("episodes", "read your list")
    listing = episodes.add_parser("list", parents=[common], help="your episodes, newest first")
    listing.add_argument("--type", choices=["video", "podcast"])
    watched = listing.add_mutually_exclusive_group()
    watched.add_argument("--watched", dest="watched", action="store_const", const=True, default=None)
    watched.add_argument("--unwatched", dest="watched", action="store_const", const=False)
    listing.add_argument("--tag")
    listing.add_argument("--limit", type=_bounded_int(1, 500), default=50)
    listing.add_argument("--offset", type=_bounded_int(0, 1_000_000), default=0)
    listing.set_defaults(func=cmd_episodes_list)

    podcasts = group("podcasts", "subscribe to podcast feeds")
    subscribe = podcasts.add_parser(
        "add", parents=[common], help="subscribe to a feed (RSS/Atom or Apple Podcasts link)"
    )
    subscribe.add_argument("feed_url", metavar="FEED_URL")
    subscribe.add_argument("--tag", help="tag every episode of this feed")
    subscribe.add_argument(
        "--backfill",
        type=_backfill,
        metavar="N|all",
        help="how many of the newest episodes to add now (API default: 1)",
    )
    subscribe.set_defaults(func=cmd_podcasts_add)
    podcasts.add_parser("list", parents=[common], help="your subscriptions and their last sync").set_defaults(
        func=cmd_podcasts_list
    )
    remove = podcasts.add_parser("remove", parents=[common], help="unsubscribe (added episodes stay)")
    remove.add_argument("podcast_id", metavar="ID")
    remove.set_defaults(func=cmd_podcasts_remove)

    sync = group("sync", "sync podcast feeds outside the schedule")
    now = sync.add_parser(
        "now",
        parents=[common],
        help="sync every subscription now",
        description="Sync every subscription now. Local stack: asks the local runner. "
        "Deployed stack: invokes "
        "the PodcastSyncFunction with boto3, which needs AWS credentials allowed lambda:InvokeFunction.",
    )
    now.add_argument(
        "--function-name",
        metavar="NAME",
        help="the deployed PodcastSyncFunction (env WATCHARR_SYNC_FUNCTION_NAME)",
    )
    now.set_defaults(func=cmd_sync_now)

    users = group("users", "create users and rotate their tokens")
    queue_help = (
        "the deployed ResultsQueue.fifo URL (env WATCHARR_RESULTS_QUEUE_URL); needs AWS credentials allowed "
        "sqs:SendMessage. Without it, the local stack's queue"
    )
    for action, help_text, func in (
        ("create", "create a user and print its API token once", cmd_users_create),
        ("rotate-token", "give a user a new API token (the old one stops working)", cmd_users_rotate_token),
    ):
        command = users.add_parser(action, parents=[common], help=help_text, description=help_text)
        command.add_argument("name", metavar="NAME", type=_username)
        command.add_argument("--queue-url", metavar="URL", help=queue_help)
        command.set_defaults(func=func)

    local = group("local", "the local stack: no AWS account, no Docker")
    run = local.add_parser("run", help="start the local stack until Ctrl-C (options go to the runner)")
    run.add_argument("runner_args", nargs=argparse.REMAINDER, metavar="ARGS")
    run.set_defaults(func=lambda session: cmd_local_run(session.args.runner_args))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to sys.exit)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The runner parses its own options, which argparse would take for ours.
    if arguments[:2] == ["local", "run"]:
        return _run_guarded(lambda: cmd_local_run(arguments[2:]))
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    session = Session(args=args, out=sys.stdout, err=sys.stderr, stdin=sys.stdin)
    return _run_guarded(lambda: args.func(session))


def _run_guarded(command: Callable[[], int]) -> int:
    try:
        return command()
    except CliError as exc:
        sys.stderr.write(f"watcharr: {exc}\n")
        return exc.code
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("watcharr.local"):
            raise
        sys.stderr.write(f"watcharr: local mode is not available in this install ({exc})\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("watcharr: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`watcharr episodes list | head`): stop writing, quietly.
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        return
