"""What local mode reads from template.yaml (``local.template``): queues, functions, event sources,
schedules and HttpApi routes, as frozen records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from watcharr.local.cors import CorsSpec
from watcharr.local.intrinsics import TemplateError


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue as the template declares it, named for the local stack."""

    logical_id: str
    name: str
    fifo: bool
    content_based_dedup: bool
    visibility_timeout: int
    dlq_logical_id: str | None
    max_receive_count: int | None
    message_retention_period: int | None = None
    deduplication_scope: str | None = None
    fifo_throughput_limit: str | None = None

    def sqs_attributes(self, dlq_arn: str | None = None) -> dict[str, str]:
        """The attributes for SQS CreateQueue; pass the dead-letter queue's ARN when it has one."""
        attributes = {"VisibilityTimeout": str(self.visibility_timeout)}
        if self.fifo:
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(self.content_based_dedup).lower()
        if self.message_retention_period is not None:
            attributes["MessageRetentionPeriod"] = str(self.message_retention_period)
        if self.deduplication_scope is not None:
            attributes["DeduplicationScope"] = self.deduplication_scope
        if self.fifo_throughput_limit is not None:
            attributes["FifoThroughputLimit"] = self.fifo_throughput_limit
        if self.dlq_logical_id is not None:
            if dlq_arn is None:
                raise TemplateError(f"{self.logical_id} has a dead-letter queue: its ARN is needed")
            redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": self.max_receive_count}
            attributes["RedrivePolicy"] = json.dumps(redrive)
        return attributes


@dataclass(frozen=True)
class EventSourceSpec:
    """An SQS event source mapping: which function polls which queue, and how."""

    function_logical_id: str
    queue_logical_id: str
    batch_size: int
    maximum_concurrency: int | None
    report_batch_item_failures: bool
    reserved_concurrency: int | None


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: where its code is and the environment the template gives it.

    ``environment`` holds the literal values (Globals merged in); ``queue_urls`` and ``function_names``
    map the remaining variables to the logical id of the queue whose URL, or the function whose name,
    the template puts there.
    """

    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    reserved_concurrency: int | None
    environment: dict[str, str]
    queue_urls: dict[str, str]
    function_names: dict[str, str]

    def resolved_environment(
        self, queue_urls: Mapping[str, str], function_names: Mapping[str, str]
    ) -> dict[str, str]:
        """The full environment, given each queue's URL and each function's name by logical id."""
        resolved = dict(self.environment)
        resolved.update({var: queue_urls[queue_id] for var, queue_id in self.queue_urls.items()})
        resolved.update({var: function_names[fn_id] for var, fn_id in self.function_names.items()})
        return resolved


@dataclass(frozen=True)
class ScheduleSpec:
    """A scheduled invocation of a function, as a rate."""

    function_logical_id: str
    expression: str
    rate_seconds: int


@dataclass(frozen=True)
class HttpRouteSpec:
    """An HttpApi route and the function behind it; ``path`` is ``$default`` for the catch-all route."""

    function_logical_id: str
    method: str
    path: str


@dataclass(frozen=True)
class StackSpec:
    """Everything local mode needs from the template. ``queues`` lists dead-letter queues first."""

    parameters: dict[str, str | int | float]
    queues: tuple[QueueSpec, ...]
    functions: tuple[FunctionSpec, ...]
    event_sources: tuple[EventSourceSpec, ...]
    schedules: tuple[ScheduleSpec, ...]
    http_routes: tuple[HttpRouteSpec, ...]
    cors: CorsSpec | None = None

    def queue(self, logical_id: str) -> QueueSpec:
        """The queue with this logical id."""
        return _by_logical_id(self.queues, logical_id)

    def function(self, logical_id: str) -> FunctionSpec:
        """The function with this logical id."""
        return _by_logical_id(self.functions, logical_id)


class _HasLogicalId(Protocol):
    @property
    def logical_id(self) -> str: ...


_Spec = TypeVar("_Spec", bound=_HasLogicalId)


def _by_logical_id(items: tuple[_Spec, ...], logical_id: str) -> _Spec:
    for item in items:
        if item.logical_id == logical_id:
            return item
    raise KeyError(logical_id)
