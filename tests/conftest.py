"""Settings shared by every test: fake AWS credentials and region, never a real endpoint."""

from __future__ import annotations

import os

# Tests never reach AWS: moto answers in-process or on 127.0.0.1, and these keep boto3 from looking
# for real credentials.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "WatcharrTests")

# Fixtures shared across test folders (lambda_world: moto queues from the template + the handlers).
pytest_plugins = ["tests.support.lambda_env"]
