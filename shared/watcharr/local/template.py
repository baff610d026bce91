"""Reads template.yaml for local mode, so queues and pollers behave as the stack declares.

Local mode creates its queues in moto and plays the event source mappings and the schedule itself. Every
attribute it needs (FIFO, visibility timeout, redrive, batch size, concurrency, environment wiring, the
sync rate) is read here from the template, never copied into code, so the two cannot drift apart.

Only what local mode needs is understood: parameters with their defaults, mappings, conditions, the SAM
Globals of functions, SQS queues, SQS, HttpApi (``$default`` included) and schedule events, and the
HttpApi's CorsConfiguration. Anything else that a needed value
depends on raises ``TemplateError`` instead of being guessed. The records it returns are in
``local.stack_spec``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from watcharr.local.cors import read_cors
from watcharr.local.intrinsics import Resolver, TemplateError, is_literal
from watcharr.local.stack_spec import (
    EventSourceSpec,
    FunctionSpec,
    HttpRouteSpec,
    QueueSpec,
    ScheduleSpec,
    StackSpec,
)

DEFAULT_STACK_NAME = "watcharr"
# The HttpApi route that takes every request no other route matches.
DEFAULT_ROUTE = "$default"
# What SQS and Lambda use when the template says nothing.
_SQS_DEFAULT_VISIBILITY_TIMEOUT = 30
_SQS_EVENT_DEFAULT_BATCH_SIZE = 10
_LAMBDA_DEFAULT_TIMEOUT = 3
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# SAM names the expression differently in its two schedule event types.
_SCHEDULE_PROPERTY = {"Schedule": "Schedule", "ScheduleV2": "ScheduleExpression"}


# ---- YAML with CloudFormation's short-form tags -------------------------------------------------------


def parse_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template written in YAML, short-form intrinsic tags included.

    SAM's own parser (aws-sam-translator, pinned in requirements-dev.txt) turns ``!Ref x`` into
    ``{"Ref": "x"}`` and ``!GetAtt A.B`` into ``{"Fn::GetAtt": ["A", "B"]}``, as ``sam build`` reads it.
    """
    from samtranslator.yaml_helper import yaml_parse

    try:
        document = yaml_parse(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError("not a CloudFormation template: no Resources mapping")
    return document


def parse_rate(expression: str) -> int:
    """Seconds between runs of ``rate(N minute|minutes|hour|hours|day|days)``; cron is not supported."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise TemplateError(f"local mode understands rate(N unit) schedules only, not {expression!r}")
    count, unit = int(match[1]), match[2].removesuffix("s")
    if count < 1:
        raise TemplateError(f"a schedule rate must be at least 1 {unit}: {expression!r}")
    return count * _UNIT_SECONDS[unit]


def load_template(
    path: Path,
    stack_name: str = DEFAULT_STACK_NAME,
    parameter_overrides: Mapping[str, str] | None = None,
) -> StackSpec:
    """Read the SAM template at ``path`` as a stack named ``stack_name`` with default parameters.

    ``parameter_overrides`` replaces defaults, as ``sam deploy --parameter-overrides`` would.
    """
    template = parse_template(path.read_text(encoding="utf-8"))
    resolver = Resolver(template, stack_name, parameter_overrides or {})
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resolver.is_created(resource)
    }
    queues = _read_queues(resources, resolver)
    functions, event_sources, schedules, routes = _read_functions(
        resources, template, resolver, path.parent, {q.logical_id for q in queues}
    )
    return StackSpec(
        parameters=dict(resolver.parameters),
        queues=queues,
        functions=functions,
        event_sources=event_sources,
        schedules=schedules,
        http_routes=routes,
        cors=read_cors(resources, resolver.resolve),
    )


# ---- Queues ---------------------------------------------------------------------------------------------


def _read_queues(resources: dict[str, Any], resolver: Resolver) -> tuple[QueueSpec, ...]:
    queues: list[QueueSpec] = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::SQS::Queue":
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        fifo = _as_bool(props.get("FifoQueue", False))
        name = props.get("QueueName")
        if name is None:
            name = f"{logical_id}.fifo" if fifo else logical_id
        redrive = props.get("RedrivePolicy")
        dlq_id, max_receive = None, None
        if redrive is not None:
            dlq_id = _logical_id_of_arn(redrive.get("deadLetterTargetArn"), f"{logical_id} RedrivePolicy")
            max_receive = int(redrive["maxReceiveCount"])
        queues.append(
            QueueSpec(
                logical_id=logical_id,
                name=str(_literal(name, f"{logical_id} QueueName")),
                fifo=fifo,
                content_based_dedup=_as_bool(props.get("ContentBasedDeduplication", False)),
                visibility_timeout=int(props.get("VisibilityTimeout", _SQS_DEFAULT_VISIBILITY_TIMEOUT)),
                dlq_logical_id=dlq_id,
                max_receive_count=max_receive,
                message_retention_period=_optional_int(props.get("MessageRetentionPeriod")),
                deduplication_scope=props.get("DeduplicationScope"),
                fifo_throughput_limit=props.get("FifoThroughputLimit"),
            )
        )
    return _dead_letter_queues_first(queues)


def _dead_letter_queues_first(queues: list[QueueSpec]) -> tuple[QueueSpec, ...]:
    # A queue's dead-letter queue must exist before the queue can name it in its redrive policy.
    by_id = {queue.logical_id: queue for queue in queues}
    ordered: dict[str, QueueSpec] = {}

    def place(queue: QueueSpec, seen: tuple[str, ...]) -> None:
        if queue.logical_id in seen:
            raise TemplateError(f"dead-letter queues form a cycle: {' -> '.join((*seen, queue.logical_id))}")
        if queue.dlq_logical_id is not None:
            if queue.dlq_logical_id not in by_id:
                raise TemplateError(
                    f"{queue.logical_id} sends to {queue.dlq_logical_id}, which is not a queue"
                )
            place(by_id[queue.dlq_logical_id], (*seen, queue.logical_id))
        ordered.setdefault(queue.logical_id, queue)

    for queue in queues:
        place(queue, ())
    return tuple(ordered.values())


# ---- Functions and their events ---------------------------------------------------------------------------


def _read_functions(
    resources: dict[str, Any],
    template: dict[str, Any],
    resolver: Resolver,
    base_dir: Path,
    queue_ids: set[str],
) -> tuple[
    tuple[FunctionSpec, ...], tuple[EventSourceSpec, ...], tuple[ScheduleSpec, ...], tuple[HttpRouteSpec, ...]
]:
    globals_ = resolver.resolve(((template.get("Globals") or {}).get("Function")) or {})
    function_ids = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    functions: list[FunctionSpec] = []
    event_sources: list[EventSourceSpec] = []
    schedules: list[ScheduleSpec] = []
    routes: list[HttpRouteSpec] = []
    for logical_id in sorted(function_ids):
        props = resolver.resolve(resources[logical_id].get("Properties") or {})
        reserved = _optional_int(props.get("ReservedConcurrentExecutions"))
        functions.append(_function_spec(logical_id, props, globals_, base_dir, queue_ids, function_ids))
        for event_name, event in (props.get("Events") or {}).items():
            where = f"{logical_id} event {event_name}"
            event_type, event_props = event.get("Type"), event.get("Properties") or {}
            if event_type == "SQS":
                event_sources.append(_event_source(logical_id, event_props, reserved, queue_ids, where))
            elif event_type in _SCHEDULE_PROPERTY:
                expression = str(
                    _literal(_required(event_props, _SCHEDULE_PROPERTY[event_type], where), where)
                )
                schedules.append(ScheduleSpec(logical_id, expression, parse_rate(expression)))
            elif event_type == "HttpApi":
                path = str(_required(event_props, "Path", where))
                if not path.startswith("/") and path != DEFAULT_ROUTE:
                    raise TemplateError(f"{where}: a Path starts with / or is {DEFAULT_ROUTE}, not {path!r}")
                routes.append(HttpRouteSpec(logical_id, str(event_props.get("Method", "ANY")).upper(), path))
            else:
                raise TemplateError(f"{where}: local mode cannot play events of type {event_type}")
    return tuple(functions), tuple(event_sources), tuple(schedules), tuple(routes)


def _function_spec(
    logical_id: str,
    props: dict[str, Any],
    globals_: dict[str, Any],
    base_dir: Path,
    queue_ids: set[str],
    function_ids: set[str],
) -> FunctionSpec:
    # SAM merges the Globals' variables under the function's own, the function winning on a clash.
    variables = {
        **((globals_.get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    environment: dict[str, str] = {}
    queue_urls: dict[str, str] = {}
    function_names: dict[str, str] = {}
    for name, value in variables.items():
        if not isinstance(value, dict):
            environment[name] = _env_text(value)
        elif set(value) == {"Ref"} and value["Ref"] in queue_ids:
            queue_urls[name] = value["Ref"]
        elif set(value) == {"Ref"} and value["Ref"] in function_ids:
            function_names[name] = value["Ref"]
        else:
            raise TemplateError(f"{logical_id} {name}: local mode cannot provide {value}")
    code_uri = props.get("CodeUri", globals_.get("CodeUri"))
    handler = props.get("Handler", globals_.get("Handler"))
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id} needs a local CodeUri and a Handler")
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=(base_dir / code_uri).resolve(),
        handler=handler,
        timeout=int(props.get("Timeout", globals_.get("Timeout", _LAMBDA_DEFAULT_TIMEOUT))),
        reserved_concurrency=_optional_int(props.get("ReservedConcurrentExecutions")),
        environment=environment,
        queue_urls=queue_urls,
        function_names=function_names,
    )


def _event_source(
    function_id: str, props: dict[str, Any], reserved: int | None, queue_ids: set[str], where: str
) -> EventSourceSpec:
    queue_id = _logical_id_of_arn(props.get("Queue"), where)
    if queue_id not in queue_ids:
        raise TemplateError(f"{where} polls {queue_id}, which is not a queue of this template")
    return EventSourceSpec(
        function_logical_id=function_id,
        queue_logical_id=queue_id,
        batch_size=int(props.get("BatchSize", _SQS_EVENT_DEFAULT_BATCH_SIZE)),
        maximum_concurrency=_optional_int((props.get("ScalingConfig") or {}).get("MaximumConcurrency")),
        report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        reserved_concurrency=reserved,
    )


# ---- Small conversions ----------------------------------------------------------------------------------


def _logical_id_of_arn(value: Any, where: str) -> str:
    """The resource behind ``!GetAtt Resource.Arn``, the one form the template uses for queue ARNs."""
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        if attribute == "Arn":
            return str(resource)
    raise TemplateError(f"{where}: expected !GetAtt <Queue>.Arn, found {value!r}")


def _required(props: dict[str, Any], key: str, where: str) -> Any:
    if key not in props:
        raise TemplateError(f"{where}: no {key}")
    return props[key]


def _literal(value: Any, where: str) -> Any:
    if not is_literal(value):
        raise TemplateError(f"{where} needs a deployed resource ({value}), which local mode cannot supply")
    return value


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _env_text(value: Any) -> str:
    # CloudFormation turns YAML scalars into strings; booleans become "true"/"false" as JSON spells them.
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
