"""The powertools Logger, Tracer and Metrics, made once and imported by every handler.

On Lambda the logger writes one JSON object a line, for CloudWatch Logs Insights. Local mode calls
``use_log_format("text")`` (unless run with ``--log-format json``): the same records as short lines a
person reads in a terminal.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

# Keys every JSON record carries; the text line shows the level and message in their place.
_PLAIN_KEYS = {
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "cold_start",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
}


class TextFormatter(LambdaPowertoolsFormatter):
    """A record as ``LEVEL function: message key=value …``, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        """One line: the level, the function, the message and whatever extra keys the record has."""
        fields: dict[str, Any] = json.loads(super().format(record))
        extra = " ".join(
            f"{key}={value if isinstance(value, str) else json.dumps(value)}"
            for key, value in fields.items()
            if key not in _PLAIN_KEYS and key != "function_name"
        )
        where = fields.get("function_name") or fields.get("service") or "watcharr"
        line = f"{fields.get('level', record.levelname)} {where}: {fields.get('message', '')}"
        return f"{line} {extra}" if extra else line


class _ClearingEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools keeps the metric set when metrics are disabled (or empty): the next invocation in the
    same container then adds its dimensions again and warns "Dimension 'op' has already been added", and
    the set grows. Every flush starts the next invocation afresh, whether or not it printed."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        """Print the metrics as EMF (unless disabled), then clear them."""
        super().flush_metrics(raise_on_empty_metrics)
        self.clear_metrics()


def _metrics() -> Metrics:
    metrics = Metrics(namespace="Watcharr", service="watcharr")
    metrics.provider = _ClearingEMFProvider(
        namespace="Watcharr",
        service="watcharr",
        metric_set=metrics.metric_set,
        dimension_set=metrics.dimension_set,
        metadata_set=metrics.metadata_set,
        default_dimensions=metrics.default_dimensions,
    )
    return metrics


logger = Logger(service="watcharr")


def use_log_format(name: str) -> None:
    """Log as ``text`` (one readable line a record) or ``json`` (powertools' lines) in this process."""
    formatter = TextFormatter() if name == "text" else LambdaPowertoolsFormatter(service="watcharr")
    logger.registered_handler.setFormatter(formatter)


tracer = Tracer(service="watcharr")
metrics = _metrics()
