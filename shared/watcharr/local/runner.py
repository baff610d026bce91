"""`make run`: the whole stack on one machine, with no AWS account and no Docker.

One process group on 127.0.0.1:

- moto plays SQS, served over keep-alive HTTP (``watcharr.local.moto_http``); the queues are created
  with the attributes template.yaml declares, and every message they hold is journaled to
  ``<data dir>/accepted.db`` (see ``watcharr.local.journal``).
- Pollers play the template's SQS event sources (see ``watcharr.local.pollers``): threads beside moto
  that invoke the ExtractorFunction and PersisterFunction in their containers (worker processes) with
  Lambda's SQS events.
- A gateway plays the HttpApi (see ``watcharr.local.gateway``): HTTP requests become payload 2.0 events
  for a pool of ApiFunction worker processes. ``POST /_local/sync`` runs the podcast sync at once.
- Timers play the schedule (``watcharr.local.timers``); the QueryFunction runs in-process wherever it is
  called (``watcharr.local.container``).
- SQLite lives in ``<data dir>/watcharr.db``; ``watcharr.local.state`` names every file of the data dir.

On start the runner sends again every message the journal kept from the last run (moto's queues live in
memory), makes sure the user ``local`` exists (``watcharr.local.local_user``), writes
``<data dir>/local.json`` with the endpoints, and prints one ready line. Ctrl-C or SIGTERM stops
everything; running invocations get a few seconds to finish, and what they leave unfinished is still in
the journal at the next start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watcharr.local.container import (
    LOG_FORMAT_VARIABLE,
    LOGGER_NAME,
    configure_logging,
    handler_location,
    quiet_metrics_warning,
    use_in_process_queries,
)
from watcharr.local.function_pool import FunctionPool
from watcharr.local.gateway import Gateway, compile_routes
from watcharr.local.journal import Journal, attach_to_moto, resend
from watcharr.local.local_user import LocalUserError, ensure_local_user
from watcharr.local.options import LocalOptions, options_from
from watcharr.local.pollers import Poller, PollerConfig, pool_handler, source_concurrency
from watcharr.local.state import ACCOUNT_ID, REGION, DataDir, LocalState, StateError
from watcharr.local.template import FunctionSpec, StackSpec, TemplateError, load_template
from watcharr.local.timers import Schedules
from watcharr.local.workers import PollerThread, QueueEndpoint, create_queues

log = logging.getLogger(LOGGER_NAME)

# How long start-up waits for workers to load.
WORKER_READY_TIMEOUT = 60.0
# After their containers stopped, how long pollers get to return or delete what they held.
POLLER_SETTLE_SECONDS = 5.0
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
    "watcharr.local.function_pool",
]


class StartupError(RuntimeError):
    """The stack could not start; the message says why and what to do."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the local stack until Ctrl-C or SIGTERM; 0 after a clean stop, 1 when it could not start."""
    options = options_from(argv)
    configure_logging(options.log_level, options.log_format)
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
    except (StartupError, TemplateError, LocalUserError) as exc:
        print(f"watcharr local: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
    return 0


class LocalStack:
    """The running parts of the local stack; ``start`` brings them up, ``stop`` takes them down."""

    def __init__(self, options: LocalOptions, stop: threading.Event) -> None:
        self.options = options
        self.stop_requested = stop
        self.files = DataDir(options.data_dir.resolve())
        self.spec: StackSpec | None = None
        self.queues: dict[str, QueueEndpoint] = {}
        self.sqs_endpoint = ""
        self._lock_fd: int | None = None
        self._moto: Any = None
        self._journal: Journal | None = None
        self._detach_journal: Callable[[], None] | None = None
        self._ctx: Any = None
        self._pollers: list[PollerThread] = []
        self._source_pools: list[FunctionPool] = []
        self._pools: dict[str, FunctionPool] = {}
        self._gateway: Gateway | None = None
        self._gateway_thread: threading.Thread | None = None
        self._schedules: Schedules | None = None

    # ---- start -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Bring every part up, send again what the journal kept, make sure the local user exists."""
        began = time.monotonic()
        self.files.root.mkdir(parents=True, exist_ok=True)
        self._take_data_dir()
        self.spec = load_template(self.options.template, parameter_overrides=self.options.parameters)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(self._local_overrides())
        self._start_forkserver()
        self._start_moto()
        self._create_queues()
        self._resend_journal()
        os.environ.update(self._main_environment())
        from watcharr.settings import get_settings

        get_settings.cache_clear()
        use_in_process_queries()
        self._schedules = Schedules(self.spec, self.stop_requested)
        self._bind_gateway()
        self._start_pollers()
        self._start_api_pools()
        self._await_pollers()
        self._serve_gateway()
        self._ensure_local_user()
        self._write_state()
        self._schedules.start()
        log.info("ready in %.1f s", time.monotonic() - began)

    def _take_data_dir(self) -> None:
        # Two stacks on one database would be two writers; the lock dies with the process that holds it.
        fd = os.open(self.files.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StartupError(f"another local stack is running on {self.files.root}") from exc
        self._lock_fd = fd

    def _start_forkserver(self) -> None:
        # Workers fork from a server that imported the heavy libraries once. Started now, it imports
        # them on the other core while moto starts here; each worker gets its full environment later.
        from multiprocessing import forkserver

        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD_MODULES)
        forkserver.ensure_running()

    def _start_moto(self) -> None:
        from watcharr.local.moto_clock import use_cheap_clock, use_cheap_requests
        from watcharr.local.moto_http import MotoHttpServer

        # Without it every SQS call scans the queue with a slow clock: a backlog of thousands crawls.
        use_cheap_clock()
        use_cheap_requests()
        # Journaled from the first message on: a send is answered only once its message is on disk.
        self._journal = Journal(self.files.journal_path)
        self._detach_journal = attach_to_moto(self._journal)
        try:
            self._moto = MotoHttpServer("127.0.0.1", self.options.sqs_port)
        except OSError as exc:
            raise StartupError(f"moto cannot listen on port {self.options.sqs_port}: {exc}") from exc
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.sqs_endpoint = f"http://{host}:{port}"
        os.environ.update(self._aws_environment())

    def _sqs(self) -> Any:
        import boto3

        return boto3.client("sqs", endpoint_url=self.sqs_endpoint, region_name=REGION)

    def _create_queues(self) -> None:
        assert self.spec is not None
        self.queues = create_queues(self._sqs(), self.spec)

    def _resend_journal(self) -> None:
        """Put back every message accepted and not deleted before the last stop, before any poller runs."""
        from moto.sqs.models import sqs_backends

        assert self._journal is not None
        sent = resend(self._journal, sqs_backends[ACCOUNT_ID][REGION])
        if sent:
            log.warning("%d message(s) accepted before the last stop sent again from the journal", sent)

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
            "WATCHARR_DATABASE_PATH": str(self.files.database_path),
            # The one setting that lets local mode fetch from 127.0.0.1; the template sets false for AWS.
            "WATCHARR_ALLOW_PRIVATE_NETWORK": "true",
            # moto checks no signature: the functions' SQS requests go unsigned (Settings.sqs_unsigned).
            "WATCHARR_SQS_UNSIGNED": "true",
            # No Lambda service here: an empty name makes query_client_for call the QueryFunction in-process.
            "WATCHARR_QUERY_FUNCTION_NAME": "",
            LOG_FORMAT_VARIABLE: self.options.log_format,
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
        assert self.spec is not None and self._schedules is not None
        try:
            self._gateway = Gateway(
                self.options.port,
                compile_routes(self.spec.http_routes),
                self._pools,
                self._schedules.run_all,
                self.spec.cors,
            )
        except OSError as exc:
            raise StartupError(
                f"cannot listen on 127.0.0.1:{self.options.port} ({exc}); try --port 0"
            ) from exc

    def _start_pollers(self) -> None:
        """One pool of containers per event source, and as many poller threads as it has containers."""
        assert self.spec is not None
        from watcharr.local.moto_queues import MotoQueues

        queues = MotoQueues()
        for source in self.spec.event_sources:
            function = self.spec.function(source.function_logical_id)
            queue = self.spec.queue(source.queue_logical_id)
            config = PollerConfig(
                function_logical_id=function.logical_id,
                queue_url=self.queues[queue.logical_id].url,
                queue_arn=self.queues[queue.logical_id].arn,
                batch_size=source.batch_size,
                report_batch_item_failures=source.report_batch_item_failures,
                retry_delay=self.options.retry_delay,
                timeout_seconds=function.timeout,
                visibility_timeout=self.options.visibility_timeout,
                region=REGION,
                fifo=queue.fifo,
            )
            pool = self._pool(function, source_concurrency(source, queue))
            pool.launch()
            self._source_pools.append(pool)
            handler = pool_handler(pool)
            for index in range(pool.size):
                name = f"{function.logical_id}-poller-{index}"
                self._pollers.append(PollerThread(Poller(queues, handler, config), self.stop_requested, name))

    def _pool(self, function: FunctionSpec, size: int) -> FunctionPool:
        name, attribute = handler_location(function)
        return FunctionPool(
            self._ctx,
            logical_id=function.logical_id,
            function_name=name,
            handler_attribute=attribute,
            environment=self.function_environment(function.logical_id),
            size=size,
            timeout_seconds=function.timeout,
            log_level=self.options.log_level,
        )

    def _start_api_pools(self) -> None:
        assert self.spec is not None
        for logical_id in sorted({route.function_logical_id for route in self.spec.http_routes}):
            pool = self._pool(self.spec.function(logical_id), self.options.api_workers)
            self._pools[logical_id] = pool
            try:
                pool.start(WORKER_READY_TIMEOUT)
            except RuntimeError as exc:
                raise StartupError(f"{exc} (see its output above)") from exc

    def _await_pollers(self) -> None:
        for pool in self._source_pools:
            try:
                pool.await_started(WORKER_READY_TIMEOUT)
            except RuntimeError as exc:
                raise StartupError(f"{exc} (see its output above)") from exc
        for poller in self._pollers:
            poller.start()

    def _serve_gateway(self) -> None:
        assert self._gateway is not None
        self._gateway_thread = threading.Thread(
            target=self._gateway.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
        )
        self._gateway_thread.start()

    def _ensure_local_user(self) -> None:
        from watcharr.adapters.query_client import query_client_for
        from watcharr.adapters.queues import QueuePublisher
        from watcharr.settings import get_settings

        settings = get_settings()
        publisher = QueuePublisher(settings.extract_queue_url, settings.results_queue_url)
        sqs = self._sqs()

        def results_drained() -> bool:
            attributes = sqs.get_queue_attributes(
                QueueUrl=settings.results_queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            return sum(int(value) for value in attributes.values()) == 0

        ensure_local_user(
            self.files.token_path,
            query_client_for(settings),
            publisher,
            results_drained,
            self.stop_requested,
        )

    def _write_state(self) -> None:
        assert self._gateway is not None
        LocalState(
            api_url=self._gateway.url,
            sqs_endpoint=self.sqs_endpoint,
            queue_urls={logical: queue.url for logical, queue in self.queues.items()},
            database_path=self.files.database_path,
            token_path=self.files.token_path,
            region=REGION,
            pid=os.getpid(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        ).write(self.files)

    # ---- running ---------------------------------------------------------------------------------

    def ready_line(self) -> str:
        """The one line printed once the stack is ready: where the API is and where the token is."""
        assert self._gateway is not None
        return f"2watcharr is running at {self._gateway.url} — token in {display_path(self.files.token_path)}"

    def supervise(self) -> None:
        """Until a stop is requested. A container that dies is replaced by its pool at its next
        invocation, as Lambda starts a new one; a poller thread ends only with the stack."""
        self.stop_requested.wait()

    # ---- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop taking requests and messages, let running invocations finish, then stop moto."""
        self.stop_requested.set()
        deadline = time.monotonic() + self.options.shutdown_grace
        if self._gateway is not None:
            if self._gateway_thread is not None:
                self._gateway.shutdown()
            self._gateway.server_close()
        # Idle pollers end within one receive's wait; busy ones finish their batch within the grace
        # period, or their containers are stopped under them and what they held goes back to the queue.
        for poller in self._pollers:
            poller.join(max(0.0, deadline - time.monotonic()))
        for pool in [*self._pools.values(), *self._source_pools]:
            pool.close(max(0.0, deadline - time.monotonic()))
        for poller in self._pollers:
            poller.join(POLLER_SETTLE_SECONDS)
        if self._schedules is not None:
            self._schedules.join(max(0.0, deadline - time.monotonic()))
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._detach_journal is not None:
            self._detach_journal()
            self._detach_journal = None
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        with contextlib.suppress(FileNotFoundError, StateError):
            state = LocalState.load(self.files)
            if state is not None and state.pid == os.getpid():
                self.files.state_path.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
