"""A function's containers: worker processes that each answer one event at a time, as Lambda's do.

The gateway invokes the ApiFunction's pool; each SQS event source's poller threads invoke theirs.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from watcharr.local.container import LOGGER_NAME, enter_container, load_handler
from watcharr.local.context import LocalContext

log = logging.getLogger(LOGGER_NAME)
# How often a request waiting for a free container looks whether the pool is stopping.
CLOSING_CHECK_SECONDS = 0.5


class InvocationError(RuntimeError):
    """The function raised, crashed or ran out of time; API Gateway answers 500 for it."""


class InvocationTimeout(InvocationError):
    """No answer within the integration timeout."""


# ---- Events and answers ------------------------------------------------------------------------


def run_container(
    conn: Connection,
    function_name: str,
    attribute: str,
    logical_id: str,
    timeout_seconds: int,
    environment: dict[str, str],
    log_level: str,
) -> None:
    """Worker process entry: load the handler once, then answer one event at a time until told to stop.

    SIGTERM is ignored: the pool stops its containers through the pipe once their request is answered,
    and a container whose runner died sees the pipe close.
    """
    enter_container(environment, log_level)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    handler = load_handler(function_name, attribute)
    conn.send(("ready", None))
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):
            return  # the runner is gone
        if event is None:
            return
        context = LocalContext(function_name=logical_id, timeout_ms=timeout_seconds * 1000)
        try:
            answer: tuple[str, Any] = ("ok", handler(event, context))
        except Exception as exc:
            log.exception("%s raised", logical_id)
            answer = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(answer)


class _Container:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn


class FunctionPool:
    """``size`` worker processes of one function; each runs one invocation at a time.

    A request waits for a free container. A container that dies or outlives the timeout is replaced by
    a fresh one (a cold start), and that request fails, as a crashed or timed-out Lambda would.
    """

    def __init__(
        self,
        mp_context: Any,
        *,
        logical_id: str,
        function_name: str,
        handler_attribute: str,
        environment: dict[str, str],
        size: int,
        timeout_seconds: int,
        log_level: str,
    ) -> None:
        self._ctx = mp_context
        self._args = (function_name, handler_attribute, logical_id, timeout_seconds, environment, log_level)
        self.logical_id = logical_id
        self.size = size
        self.timeout_seconds = timeout_seconds
        self._idle: queue.Queue[_Container] = queue.Queue()
        self._all: list[_Container] = []
        self._starting: list[_Container] = []
        self._lock = threading.Lock()
        self._closing = False

    def start(self, ready_timeout: float = 60) -> None:
        """Start every container and wait until each has loaded its handler."""
        self.launch()
        self.await_started(ready_timeout)

    def launch(self) -> None:
        """Start every container without waiting (several pools then load side by side)."""
        self._starting = [self._spawn() for _ in range(self.size)]

    def await_started(self, ready_timeout: float = 60) -> None:
        """Wait until each container ``launch`` started has loaded its handler; then take requests."""
        for container in self._starting:
            self._await_ready(container, ready_timeout)
            self._idle.put(container)
        self._starting = []

    def _spawn(self) -> _Container:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=run_container, args=(child, *self._args), name=f"{self.logical_id}-container", daemon=True
        )
        process.start()
        child.close()
        container = _Container(process, parent)
        with self._lock:
            self._all.append(container)
        return container

    def _await_ready(self, container: _Container, timeout: float) -> None:
        if not container.conn.poll(timeout):
            raise RuntimeError(f"{self.logical_id} container did not start within {timeout:.0f} s")
        try:
            container.conn.recv()
        except EOFError as exc:
            raise RuntimeError(f"{self.logical_id} container died while loading its handler") from exc

    def _replace(self, container: _Container) -> _Container | None:
        container.process.kill()
        container.process.join(5)
        container.conn.close()
        with self._lock:
            self._all.remove(container)
        if self._closing:
            return None
        fresh = self._spawn()
        self._await_ready(fresh, 60)
        return fresh

    def invoke(self, event: dict[str, Any], timeout: float | None = None) -> Any:
        """Run the handler on ``event`` in a free container and return its answer."""
        timeout = self.timeout_seconds if timeout is None else timeout
        deadline = time.monotonic() + timeout
        container = self._take(deadline, timeout)
        if not container.process.is_alive():
            container = self._revive(container)
        healthy = True
        try:
            container.conn.send(event)
            if not container.conn.poll(max(0.0, deadline - time.monotonic())):
                healthy = False
                raise InvocationTimeout(f"{self.logical_id} timed out after {timeout:.0f} s")
            status, answer = container.conn.recv()
        except (EOFError, OSError) as exc:
            healthy = False
            raise InvocationError(f"{self.logical_id} container died") from exc
        finally:
            self._release(container, healthy)
        if status == "error":
            raise InvocationError(answer)
        return answer

    def pids(self) -> list[int]:
        """The process ids of the pool's containers now (for tests and the profiler)."""
        with self._lock:
            return [container.process.pid for container in self._all]

    def _take(self, deadline: float, timeout: float) -> _Container:
        # A free container; a pool that is stopping answers at once instead of at the deadline.
        while not self._closing:
            try:
                return self._idle.get(
                    timeout=max(0.0, min(CLOSING_CHECK_SECONDS, deadline - time.monotonic()))
                )
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise InvocationTimeout(
                        f"no free {self.logical_id} container within {timeout:.0f} s"
                    ) from None
        raise InvocationError(f"{self.logical_id} is stopping")

    def _revive(self, container: _Container) -> _Container:
        # An idle container that died (killed from outside): a cold start takes its place.
        try:
            replacement = self._replace(container)
        except RuntimeError as exc:
            raise InvocationError(f"{self.logical_id}: a new container did not start") from exc
        if replacement is None:
            raise InvocationError(f"{self.logical_id} is stopping")
        return replacement

    def _release(self, container: _Container, healthy: bool) -> None:
        if not healthy:
            try:
                fresh = self._replace(container)
            except RuntimeError:
                log.exception("%s: a replacement container did not start; the pool shrinks", self.logical_id)
                return
            if fresh is not None:
                self._idle.put(fresh)
        elif self._closing:
            self._retire(container)
        else:
            self._idle.put(container)

    def _retire(self, container: _Container) -> None:
        with contextlib.suppress(OSError):
            container.conn.send(None)

    def close(self, grace: float) -> None:
        """Stop taking requests, let running invocations finish within ``grace`` seconds, then kill."""
        self._closing = True
        while True:
            try:
                self._retire(self._idle.get_nowait())
            except queue.Empty:
                break
        deadline = time.monotonic() + grace
        with self._lock:
            containers = list(self._all)
        for container in containers:
            container.process.join(max(0.0, deadline - time.monotonic()))
            if container.process.is_alive():
                container.process.kill()
                container.process.join(5)
            container.conn.close()


# ---- The HTTP server ---------------------------------------------------------------------------------
