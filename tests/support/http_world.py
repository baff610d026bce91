"""The in-process stack over HTTP: the local gateway in front of the real ApiFunction, a persister polling.

``LambdaWorld`` runs the handlers in-process against moto; this puts local mode's own gateway
(watcharr.local.gateway, the template's routes and CORS) in front of the ApiFunction on 127.0.0.1, so
that a client speaking HTTP (the CLI) reaches the handler as it would through `make run`, while a
thread plays the persister's event source so that ``?wait`` sees its change applied.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.lambda_env import LambdaWorld
from watcharr.local.context import LocalContext
from watcharr.local.gateway import Gateway, compile_routes
from watcharr.local.template import StackSpec


class InProcessApi:
    """What the gateway asks of a function pool, answered by the ApiFunction's handler in this process.

    One request at a time, as one Lambda container takes them (the resolver keeps per-request state).
    """

    def __init__(self, world: LambdaWorld) -> None:
        self.world = world
        self.timeout_seconds = world.stack.function("ApiFunction").timeout
        self.lock = threading.Lock()

    def invoke(self, event: dict[str, Any], timeout: float | None = None) -> Any:
        with self.lock:
            return self.world.function("api").handler(event, LocalContext("ApiFunction"))


@contextmanager
def persister_polling(world: LambdaWorld, after_messages: int = 0) -> Iterator[None]:
    """The persister's event source: the FIFO queue drained through the persister while the block runs.

    With ``after_messages`` it starts only once that many messages are queued, so that the API's own
    checks of a change run before anything queued earlier is applied.
    """
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set() and world.queue_depth("ResultsQueue") < after_messages:
            time.sleep(0.01)
        while not stop.is_set():
            if not world.run_persister():
                time.sleep(0.01)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@contextmanager
def gateway_for(world: LambdaWorld, stack: StackSpec | None = None) -> Iterator[Gateway]:
    """The local gateway on a free port, with the routes and CORS of ``stack`` (the world's by default)."""
    spec = stack or world.stack
    gateway = Gateway(
        0, compile_routes(spec.http_routes), {"ApiFunction": InProcessApi(world)}, lambda: {}, spec.cors
    )
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.shutdown()
        gateway.server_close()
        thread.join(timeout=10)
