"""Running a handler as Lambda would: one process is one container with the function's environment.

Used by the pollers (SQS event sources) and the gateway's API workers. The QueryFunction has no
Lambda service to be invoked through locally: each container calls its handler in-process instead,
installed into ``watcharr.adapters.query_client`` here so that the adapters never import local mode.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from watcharr.local.context import LocalContext
from watcharr.local.template import FunctionSpec, TemplateError

# Set in every function's environment by the runner: "text" or "json" (`--log-format`).
LOG_FORMAT_VARIABLE = "WATCHARR_LOG_FORMAT"
# Not under "watcharr": powertools' Logger owns that name and would print these lines as its JSON.
LOGGER_NAME = "watcharr-local"
log = logging.getLogger(LOGGER_NAME)
# One readable line per request and per finished item, in the text log format.
activity = logging.getLogger(f"{LOGGER_NAME}.activity")

Handler = Callable[[dict[str, Any], Any], Any]


def handler_location(function: FunctionSpec) -> tuple[str, str]:
    """(directory name under functions/, handler attribute) for ``load_function``."""
    from watcharr.local.functions import FUNCTIONS_DIR

    module, _, attribute = function.handler.rpartition(".")
    if module != "app" or not attribute or function.code_dir.parent != FUNCTIONS_DIR:
        raise TemplateError(
            f"{function.logical_id}: local mode loads functions/<name>/app.<handler>,"
            f" not {function.code_dir}/{function.handler}"
        )
    return function.code_dir.name, attribute


def load_handler(function_name: str, attribute: str) -> Handler:
    """The handler of functions/<function_name>/app.py, loaded once per process as a container does."""
    from watcharr.local.functions import load_function

    handler: Handler = getattr(load_function(function_name), attribute)
    return handler


def enter_container(environment: Mapping[str, str], log_level: str) -> None:
    """Prepare a fresh worker process: the function's environment, quiet signals, fresh settings.

    SIGINT is ignored because Ctrl-C reaches the whole process group and the runner decides how workers
    stop. The settings cache is cleared because the process may have been forked from one that read the
    settings under another function's environment.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_metrics_warning()
    os.environ.update(environment)
    configure_logging(log_level, os.environ.get(LOG_FORMAT_VARIABLE, "text"))
    from watcharr.settings import get_settings

    get_settings.cache_clear()
    use_in_process_queries()


def configure_logging(level: str, log_format: str) -> None:
    """The runner's own messages at ``level`` on stderr; other libraries keep Python's default (warnings).

    With the text format the handlers log readable lines, and the activity log (one line per request
    and per finished item) is on whatever ``level`` says; with json only the handlers' JSON remains.
    """
    from watcharr.observability import use_log_format

    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(processName)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
    if not activity.handlers:
        plain = logging.StreamHandler()
        plain.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        activity.addHandler(plain)
    activity.setLevel(logging.INFO if log_format == "text" else logging.CRITICAL + 1)
    activity.propagate = False
    use_log_format(log_format)


def terminal_safe(text: str) -> str:
    """``text`` with control and non-ASCII characters escaped, for a line of the activity log."""
    return ascii(text)[1:-1]


def quiet_metrics_warning() -> None:
    """Silence powertools' warning for an invocation that adds no metric: noise on every local call."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")


class InProcessQueryClient:
    """Calls the QueryFunction's handler directly, one call at a time as one Lambda container would."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.lock = threading.Lock()
        self.context = LocalContext(function_name="QueryFunction")

    def __call__(self, query: Any) -> dict[str, Any]:
        """The handler's answer to ``query``, after the JSON round trip lambda:Invoke would make."""
        from watcharr.adapters.query_client import QueryFailed

        with self.lock:
            try:
                # A JSON round trip, as lambda:Invoke would make, keeps local mode honest about payloads.
                answer = self.handler(json.loads(query.model_dump_json()), self.context)
                return json.loads(json.dumps(answer))  # type: ignore[no-any-return]
            except Exception as exc:
                raise QueryFailed(f"query {query.op} failed: {exc}") from exc


def in_process_query_client() -> InProcessQueryClient:
    """A client of the QueryFunction loaded into this process."""
    from watcharr.local.functions import load_function

    return InProcessQueryClient(load_function("query").handler)


def use_in_process_queries() -> None:
    """Make ``query_client_for`` call the QueryFunction in this process when no function name is set."""
    from watcharr.adapters.query_client import use_in_process_query_client

    use_in_process_query_client(in_process_query_client)
