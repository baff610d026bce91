"""The powertools Logger, Tracer and Metrics, made once and imported by every handler."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="watcharr")
tracer = Tracer(service="watcharr")
metrics = Metrics(namespace="Watcharr", service="watcharr")
