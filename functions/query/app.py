"""QueryFunction: read-only answers from the database, invoked by the API and the scheduled sync."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from watcharr.adapters.store import ReadStore, connect_reader
from watcharr.logic.queries import answer_query
from watcharr.models.queries import QUERY
from watcharr.observability import logger, metrics, tracer
from watcharr.settings import get_settings

_store: ReadStore | None = None


def read_store() -> ReadStore | None:
    """A read-only connection, opened once the persister has created the database."""
    global _store
    if _store is None:
        conn = connect_reader(get_settings().database_path)
        _store = ReadStore(conn) if conn is not None else None
    return _store


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    query = QUERY.validate_python(event)
    logger.debug("query", extra={"op": query.op})
    metrics.add_dimension(name="op", value=query.op)
    metrics.add_metric(name="QueriesAnswered", unit=MetricUnit.Count, value=1)
    return answer_query(read_store(), query).wire()
