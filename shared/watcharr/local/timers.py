"""The template's schedules: a timer per schedule, invoking its function in the runner's process."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from watcharr.local.container import LOGGER_NAME, handler_location, load_handler
from watcharr.local.context import LocalContext
from watcharr.local.state import ACCOUNT_ID, REGION
from watcharr.local.template import StackSpec

log = logging.getLogger(LOGGER_NAME)


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


class Schedules:
    """The scheduled functions of the template, on timers and on request (``POST /_local/sync``)."""

    def __init__(self, spec: StackSpec, stop: threading.Event) -> None:
        self.spec = spec
        self.stop_requested = stop
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """One timer thread per schedule, at the template's rate."""
        for schedule in self.spec.schedules:
            thread = threading.Thread(
                target=self._timer,
                args=(schedule.function_logical_id, schedule.rate_seconds),
                name=f"schedule-{schedule.function_logical_id}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds each) for the timers to end after a stop request."""
        for thread in self._threads:
            thread.join(timeout)

    def _timer(self, logical_id: str, every: int) -> None:
        while not self.stop_requested.wait(every):
            try:
                self.invoke(logical_id)
            except Exception:
                log.exception("scheduled %s failed", logical_id)

    def invoke(self, logical_id: str) -> Any:
        """Invoke a scheduled function in this process with the event EventBridge Scheduler sends it.

        One invocation at a time, as one container would take the timer's and the admin route's calls.
        """
        function = self.spec.function(logical_id)
        name, attribute = handler_location(function)
        with self._lock:
            handler = load_handler(name, attribute)
            event = scheduler_event(f"watcharr-{logical_id}")
            context = LocalContext(function_name=logical_id, timeout_ms=function.timeout * 1000)
            return handler(event, context)

    def run_all(self) -> dict[str, Any]:
        """Run every scheduled function now; answers by function."""
        return {s.function_logical_id: self.invoke(s.function_logical_id) for s in self.spec.schedules}
