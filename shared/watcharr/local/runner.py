"""`make run`: the whole stack on one machine, with no AWS account and no Docker.

One process group on 127.0.0.1:

- moto's server plays SQS; the queues are created with the attributes template.yaml declares.
- Pollers play the template's SQS event sources (see ``watcharr.local.pollers``): worker processes that
  invoke the ExtractorFunction and PersisterFunction handlers with Lambda's SQS events.
- A gateway plays the HttpApi (see ``watcharr.local.gateway``): HTTP requests become payload 2.0 events
  for a pool of ApiFunction worker processes. ``POST /_local/sync`` runs the podcast sync at once.
- A timer plays the schedule, invoking the PodcastSyncFunction handler in this process at the
  template's rate; the QueryFunction runs in-process wherever it is called (no function name is set).
- SQLite lives in ``<data dir>/watcharr.db``.

On start the runner makes sure the user ``local`` exists (its token is in ``<data dir>/local-token``,
created on first start), re-queues every job item still ``queued`` (moto's queues live in memory, so
their messages did not survive the last stop), writes ``<data dir>/local.json`` with the endpoints, and
prints one ready line. Ctrl-C or SIGTERM stops everything; running invocations get a few seconds to
finish, and what they leave unfinished is re-queued on the next start.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watcharr.local.functions import REPO_ROOT
from watcharr.local.gateway import FunctionPool, Gateway, compile_routes
from watcharr.local.pollers import (
    LOGGER_NAME,
    PollerConfig,
    configure_logging,
    handler_location,
    load_handler,
    quiet_metrics_warning,
    run_poller,
    source_concurrency,
)
from watcharr.local.template import StackSpec, TemplateError, load_template

log = logging.getLogger(LOGGER_NAME)

DEFAULT_PORT = 3000
DEFAULT_API_WORKERS = 4
DEFAULT_RETRY_DELAY = 2
DEFAULT_SHUTDOWN_GRACE = 5.0
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
LOCAL_USERNAME = "local"
TOKEN_FILE = "local-token"
STATE_FILE = "local.json"
LOCK_FILE = "local.lock"
DATABASE_FILE = "watcharr.db"
# How long start-up waits for the persister to create the local user, and for workers to load.
USER_READY_TIMEOUT = 60.0
WORKER_READY_TIMEOUT = 60.0
RESTART_BACKOFF_SECONDS = 5.0
# The forkserver imports these once, so each worker forks with them loaded instead of importing them.
PRELOAD_MODULES = [
    "boto3",
    "botocore.client",
    "pydantic",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.batch",
    "yt_dlp",
    "feedparser",
    "watcharr.observability",
    "watcharr.models.messages",
    "watcharr.adapters.queues",
    "watcharr.adapters.store",
    "watcharr.local.pollers",
    "watcharr.local.gateway",
]


class StartupError(RuntimeError):
    """The stack could not start; the message says why and what to do."""


@dataclass(frozen=True)
class LocalOptions:
    """How to run the local stack (the command line's options)."""

    port: int = DEFAULT_PORT
    sqs_port: int = 0
    data_dir: Path = Path("data")
    template: Path = REPO_ROOT / "template.yaml"
    parameters: dict[str, str] = field(default_factory=dict)
    api_workers: int = DEFAULT_API_WORKERS
    retry_delay: int = DEFAULT_RETRY_DELAY
    visibility_timeout: int | None = None
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    log_level: str = "WARNING"


def build_parser() -> argparse.ArgumentParser:
    """The options of `watcharr local run` (and `python -m watcharr.local`)."""
    parser = argparse.ArgumentParser(
        prog="watcharr local run",
        description="Run the whole stack on 127.0.0.1: moto SQS, pollers, the HTTP API, the schedule.",
        epilog=(
            "Local-only routes besides /api: POST /_local/sync runs the podcast sync now; "
            "GET /_local/health answers while the stack runs."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP API port (0 picks a free one)")
    parser.add_argument("--sqs-port", type=int, default=0, help="moto SQS port (default: a free one)")
    parser.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="database, token and state (./data)"
    )
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml", help="the SAM template")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter, e.g. ExtractionConcurrency=2 or 'SyncRate=rate(5 minutes)'",
    )
    parser.add_argument("--api-workers", type=int, default=DEFAULT_API_WORKERS, help="ApiFunction containers")
    parser.add_argument(
        "--retry-delay",
        type=int,
        default=DEFAULT_RETRY_DELAY,
        help="seconds before a failed SQS record is delivered again (AWS waits the visibility timeout)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="visibility timeout of received messages (default: the queue's, from the template)",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=float,
        default=DEFAULT_SHUTDOWN_GRACE,
        help="seconds running invocations get to finish",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the handlers and the runner (INFO also prints the handlers' metrics)",
    )
    return parser


def options_from(argv: Sequence[str] | None) -> LocalOptions:
    """Parse the command line into LocalOptions."""
    parser = build_parser()
    args = parser.parse_args(argv)
    parameters: dict[str, str] = {}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--parameter takes NAME=VALUE, not {item!r}")
        parameters[name] = value
    if args.api_workers < 1:
        parser.error("--api-workers must be at least 1")
    return LocalOptions(
        port=args.port,
        sqs_port=args.sqs_port,
        data_dir=args.data_dir,
        template=args.template,
        parameters=parameters,
        api_workers=args.api_workers,
        retry_delay=max(0, args.retry_delay),
        visibility_timeout=args.visibility_timeout,
        shutdown_grace=max(0.0, args.shutdown_grace),
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local stack until Ctrl-C or SIGTERM; 0 after a clean stop, 1 when it could not start."""
    options = options_from(argv)
    configure_logging(options.log_level)
    quiet_metrics_warning()
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = LocalStack(options, stop)
    try:
        stack.start()
        if not stop.is_set():
            print(stack.ready_line(), flush=True)
        stack.supervise()
    except (StartupError, TemplateError) as exc:
        print(f"watcharr local: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
    return 0


@dataclass(frozen=True)
class QueueEndpoint:
    """Where a queue of the template lives in moto."""

    url: str
    arn: str


def create_queues(sqs: Any, spec: StackSpec) -> dict[str, QueueEndpoint]:
    """Create the template's queues with the attributes it declares; their endpoints by logical id."""
    queues: dict[str, QueueEndpoint] = {}
    # The template reader lists dead-letter queues first, so each ARN is known when it is named.
    for queue in spec.queues:
        dlq_arn = queues[queue.dlq_logical_id].arn if queue.dlq_logical_id else None
        url = sqs.create_queue(QueueName=queue.name, Attributes=queue.sqs_attributes(dlq_arn))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        queues[queue.logical_id] = QueueEndpoint(url, attributes["QueueArn"])
    return queues


class LocalStack:
    """The running parts of the local stack; ``start`` brings them up, ``stop`` takes them down."""

    def __init__(self, options: LocalOptions, stop: threading.Event) -> None:
        self.options = options
        self.stop_requested = stop
        self.data_dir = options.data_dir.resolve()
        self.token_path = self.data_dir / TOKEN_FILE
        self.state_path = self.data_dir / STATE_FILE
        self.database_path = self.data_dir / DATABASE_FILE
        self.spec: StackSpec | None = None
        self.queues: dict[str, QueueEndpoint] = {}
        self.sqs_endpoint = ""
        self._lock_fd: int | None = None
        self._moto: Any = None
        self._ctx: Any = None
        self._pollers: list[_PollerWorker] = []
        self._pools: dict[str, FunctionPool] = {}
        self._gateway: Gateway | None = None
        self._gateway_thread: threading.Thread | None = None
        self._timers: list[threading.Thread] = []
        self._scheduled_lock = threading.Lock()

    # ---- start -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Bring every part up, create the local user, re-queue what was left behind."""
        began = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_data_dir()
        self.spec = load_template(self.options.template, parameter_overrides=self.options.parameters)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(self._local_overrides())
        self._start_forkserver()
        self._start_moto()
        self._create_queues()
        os.environ.update(self._main_environment())
        from watcharr.settings import get_settings

        get_settings.cache_clear()
        self._bind_gateway()
        self._start_pollers()
        self._start_api_pools()
        self._await_pollers()
        self._serve_gateway()
        self._ensure_local_user()
        self._reconcile()
        self._write_state()
        self._start_timers()
        log.info("ready in %.1f s", time.monotonic() - began)

    def _take_data_dir(self) -> None:
        # Two stacks on one database would be two writers; the lock dies with the process that holds it.
        fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StartupError(f"another local stack is running on {self.data_dir}") from exc
        self._lock_fd = fd

    def _start_forkserver(self) -> None:
        # Workers fork from a server that imported the heavy libraries once. Started now, it imports
        # them on the other core while moto starts here; each worker gets its full environment later.
        from multiprocessing import forkserver

        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD_MODULES)
        forkserver.ensure_running()

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from watcharr.local.moto_clock import use_cheap_clock

        # Without it every SQS call scans the queue with a slow clock: a backlog of thousands crawls.
        use_cheap_clock()
        # werkzeug logs every request at INFO.
        logging.getLogger("werkzeug").setLevel(
            logging.DEBUG if self.options.log_level == "DEBUG" else logging.WARNING
        )
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.options.sqs_port, verbose=False)
        try:
            self._moto.start()
        except OSError as exc:
            self._moto = None
            raise StartupError(f"moto cannot listen on port {self.options.sqs_port}: {exc}") from exc
        host, port = self._moto.get_host_and_port()
        self.sqs_endpoint = f"http://{host}:{port}"
        os.environ.update(self._aws_environment())

    def _create_queues(self) -> None:
        import boto3

        assert self.spec is not None
        sqs = boto3.client("sqs", endpoint_url=self.sqs_endpoint, region_name=REGION)
        self.queues = create_queues(sqs, self.spec)

    def _aws_environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_SQS": self.sqs_endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def _local_overrides(self) -> dict[str, str]:
        """What local mode sets over the template's values, in every process."""
        verbose = self.options.log_level in ("DEBUG", "INFO")
        return {
            "WATCHARR_DATABASE_PATH": str(self.database_path),
            # The one setting that lets local mode fetch from 127.0.0.1; the template sets false for AWS.
            "WATCHARR_ALLOW_PRIVATE_NETWORK": "true",
            # No Lambda service here: an empty name makes query_client_for call the QueryFunction in-process.
            "WATCHARR_QUERY_FUNCTION_NAME": "",
            "POWERTOOLS_LOG_LEVEL": self.options.log_level,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "false" if verbose else "true",
        }

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment of one function: local AWS settings, the template's variables, local overrides."""
        assert self.spec is not None
        urls = {logical: queue.url for logical, queue in self.queues.items()}
        names = {function.logical_id: "" for function in self.spec.functions}
        template_env = self.spec.function(logical_id).resolved_environment(urls, names)
        return {**self._aws_environment(), **template_env, **self._local_overrides()}

    def _main_environment(self) -> dict[str, str]:
        # This process runs the scheduled functions and the QueryFunction in-process.
        assert self.spec is not None
        env = {**self._aws_environment(), **self._local_overrides()}
        for schedule in self.spec.schedules:
            env.update(self.function_environment(schedule.function_logical_id))
        return env

    def _bind_gateway(self) -> None:
        assert self.spec is not None
        try:
            self._gateway = Gateway(
                self.options.port, compile_routes(self.spec.http_routes), self._pools, self.run_scheduled
            )
        except OSError as exc:
            raise StartupError(
                f"cannot listen on 127.0.0.1:{self.options.port} ({exc}); try --port 0"
            ) from exc

    def _start_pollers(self) -> None:
        assert self.spec is not None
        for source in self.spec.event_sources:
            function = self.spec.function(source.function_logical_id)
            queue = self.spec.queue(source.queue_logical_id)
            name, attribute = handler_location(function)
            config = PollerConfig(
                function_logical_id=function.logical_id,
                function_name=name,
                handler_attribute=attribute,
                queue_url=self.queues[queue.logical_id].url,
                queue_arn=self.queues[queue.logical_id].arn,
                batch_size=source.batch_size,
                report_batch_item_failures=source.report_batch_item_failures,
                retry_delay=self.options.retry_delay,
                timeout_seconds=function.timeout,
                environment=self.function_environment(function.logical_id),
                visibility_timeout=self.options.visibility_timeout,
                region=REGION,
                log_level=self.options.log_level,
            )
            for index in range(source_concurrency(source, queue)):
                worker = _PollerWorker(self._ctx, config, f"{function.logical_id}-{index}")
                worker.start()
                self._pollers.append(worker)

    def _start_api_pools(self) -> None:
        assert self.spec is not None
        for logical_id in sorted({route.function_logical_id for route in self.spec.http_routes}):
            function = self.spec.function(logical_id)
            name, attribute = handler_location(function)
            pool = FunctionPool(
                self._ctx,
                logical_id=logical_id,
                function_name=name,
                handler_attribute=attribute,
                environment=self.function_environment(logical_id),
                size=self.options.api_workers,
                timeout_seconds=function.timeout,
                log_level=self.options.log_level,
            )
            self._pools[logical_id] = pool
            try:
                pool.start(WORKER_READY_TIMEOUT)
            except RuntimeError as exc:
                raise StartupError(f"{exc} (see its output above)") from exc

    def _await_pollers(self) -> None:
        for worker in self._pollers:
            if not worker.await_ready(WORKER_READY_TIMEOUT):
                raise StartupError(f"{worker.name} did not load its handler (see its output above)")

    def _serve_gateway(self) -> None:
        assert self._gateway is not None
        self._gateway_thread = threading.Thread(
            target=self._gateway.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
        )
        self._gateway_thread.start()

    def _query(self) -> Callable[[Any], dict[str, Any]]:
        from watcharr.adapters.query_client import query_client_for
        from watcharr.settings import get_settings

        return query_client_for(get_settings())

    def _publisher(self) -> Any:
        from watcharr.adapters.queues import QueuePublisher
        from watcharr.settings import get_settings

        settings = get_settings()
        return QueuePublisher(settings.extract_queue_url, settings.results_queue_url)

    def _ensure_local_user(self) -> str:
        """The local user's token; the user is created (or its token set) through the FIFO queue if needed."""
        from watcharr.adapters.query_client import QueryFailed
        from watcharr.domain.tokens import hash_token
        from watcharr.models.messages import TokenRotated, UserCreated
        from watcharr.models.queries import Authenticate, UserByName

        token = read_or_create_token(self.token_path)
        token_hash = hash_token(token)
        query = self._query()

        def known() -> bool:
            try:
                return bool(query(Authenticate(token_hash=token_hash)).get("found"))
            except QueryFailed:
                return False  # the persister is creating the database right now

        if known():
            return token
        try:
            exists = bool(query(UserByName(username=LOCAL_USERNAME)).get("found"))
        except QueryFailed as exc:
            raise StartupError(f"cannot read {self.database_path}: {exc}") from exc
        # A user kept from before while its token file was deleted: give it the new token.
        message = (
            TokenRotated(username=LOCAL_USERNAME, token_hash=token_hash)
            if exists
            else UserCreated(username=LOCAL_USERNAME, token_hash=token_hash)
        )
        self._publisher().send_results([message])
        deadline = time.monotonic() + USER_READY_TIMEOUT
        while not known():
            if self.stop_requested.is_set():
                return token
            if time.monotonic() > deadline:
                raise StartupError(
                    f"the persister did not create the user {LOCAL_USERNAME!r}"
                    f" within {USER_READY_TIMEOUT:.0f} s"
                )
            time.sleep(0.05)
        return token

    def _reconcile(self) -> None:
        """Queue again every item still `queued`: its message, if any, vanished with the last moto."""
        from watcharr.logic.schedule import plan_reconcile, send

        work = plan_reconcile(self._query(), stale_after=0)
        send(self._publisher(), work)
        given_up = len(work.results) - len(work.requests)
        if work.results:
            log.warning(
                "unfinished job items from the last run: %d queued again, %d failed after too many tries",
                len(work.requests),
                given_up,
            )

    def _write_state(self) -> None:
        assert self._gateway is not None
        state = {
            "pid": os.getpid(),
            "apiUrl": self._gateway.url,
            "sqsEndpoint": self.sqs_endpoint,
            "region": REGION,
            "queueUrls": {logical: queue.url for logical, queue in self.queues.items()},
            "databasePath": str(self.database_path),
            "tokenFile": str(self.token_path),
            "startedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        temporary.replace(self.state_path)

    def _start_timers(self) -> None:
        assert self.spec is not None
        for schedule in self.spec.schedules:
            thread = threading.Thread(
                target=self._timer,
                args=(schedule.function_logical_id, schedule.rate_seconds),
                name=f"schedule-{schedule.function_logical_id}",
                daemon=True,
            )
            thread.start()
            self._timers.append(thread)

    def _timer(self, logical_id: str, every: int) -> None:
        while not self.stop_requested.wait(every):
            try:
                self.invoke_scheduled(logical_id)
            except Exception:
                log.exception("scheduled %s failed", logical_id)

    # ---- running ---------------------------------------------------------------------------------

    def ready_line(self) -> str:
        """The one line printed once the stack is ready: where the API is and where the token is."""
        assert self._gateway is not None
        return f"2watcharr is running at {self._gateway.url} — token in {display_path(self.token_path)}"

    def invoke_scheduled(self, logical_id: str) -> Any:
        """Invoke a scheduled function in this process with the event EventBridge Scheduler sends it.

        One invocation at a time, as one container would take the timer's and the admin route's calls.
        """
        assert self.spec is not None
        name, attribute = handler_location(self.spec.function(logical_id))
        from watcharr.local.context import LocalContext

        with self._scheduled_lock:
            handler = load_handler(name, attribute)
            event = scheduler_event(f"watcharr-{logical_id}")
            context = LocalContext(
                function_name=logical_id, timeout_ms=self.spec.function(logical_id).timeout * 1000
            )
            return handler(event, context)

    def run_scheduled(self) -> dict[str, Any]:
        """Run every scheduled function now (the admin route ``POST /_local/sync``); answers by function."""
        assert self.spec is not None
        return {
            s.function_logical_id: self.invoke_scheduled(s.function_logical_id) for s in self.spec.schedules
        }

    def supervise(self) -> None:
        """Until a stop is requested: replace a poller worker that died, as Lambda starts a new container."""
        while not self.stop_requested.wait(0.5):
            for worker in self._pollers:
                # A worker that dies as soon as it starts is not restarted in a tight loop.
                if not worker.is_alive() and worker.running_for() > RESTART_BACKOFF_SECONDS:
                    log.warning("%s exited with %s; starting a new one", worker.name, worker.exitcode)
                    worker.start()

    # ---- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop taking requests and messages, let running invocations finish, then stop moto."""
        self.stop_requested.set()
        deadline = time.monotonic() + self.options.shutdown_grace
        if self._gateway is not None:
            if self._gateway_thread is not None:
                self._gateway.shutdown()
            self._gateway.server_close()
        for worker in self._pollers:
            worker.request_stop()
        for pool in self._pools.values():
            pool.close(max(0.0, deadline - time.monotonic()))
        for worker in self._pollers:
            worker.stop(max(0.0, deadline - time.monotonic()))
        for timer in self._timers:
            timer.join(max(0.0, deadline - time.monotonic()))
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        with contextlib.suppress(FileNotFoundError):
            if self.state_path.exists() and json.loads(self.state_path.read_text()).get("pid") == os.getpid():
                self.state_path.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class _PollerWorker:
    """One poller process; ``start`` again after it died starts a fresh process."""

    def __init__(self, ctx: Any, config: PollerConfig, name: str) -> None:
        self._ctx = ctx
        self.config = config
        self.name = name
        self._process: Any = None
        self._ready: Any = None
        self._started_at = 0.0

    def start(self) -> None:
        self._started_at = time.monotonic()
        self._ready = self._ctx.Event()
        self._process = self._ctx.Process(
            target=run_poller, args=(self.config, self._ready), name=self.name, daemon=True
        )
        self._process.start()

    def await_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.wait(0.1):
                return True
            if not self._process.is_alive():
                return False
        return False

    def is_alive(self) -> bool:
        return bool(self._process.is_alive())

    def running_for(self) -> float:
        """Seconds since the last start."""
        return time.monotonic() - self._started_at

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode  # type: ignore[no-any-return]

    def request_stop(self) -> None:
        """SIGTERM: an idle worker exits at once, a busy one after its batch."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()

    def stop(self, grace: float) -> None:
        """Wait for the worker to finish its batch; past ``grace`` its records return after their timeout."""
        self._process.join(grace)
        if self._process.is_alive():
            log.warning("%s still busy after the grace period; killing it", self.name)
            self._process.kill()
            self._process.join(5)


def read_or_create_token(path: Path) -> str:
    """The token kept in ``path``; a new one (file mode 0600) when there is none yet."""
    from watcharr.domain.tokens import is_well_formed, new_token

    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if not is_well_formed(token):
            raise StartupError(f"{path} does not hold a token; delete it to get a new one")
        return token
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token


def scheduler_event(schedule_name: str, now: datetime | None = None) -> dict[str, Any]:
    """The default notification EventBridge Scheduler sends a target when the schedule sets no input."""
    now = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule_name}"],
        "detail": "{}",
    }


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
