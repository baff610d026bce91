"""Property-based API testing with schemathesis against the running local stack.

schemathesis reads the OpenAPI document the API serves, generates valid and invalid requests for
every operation and checks each answer: no server error, a documented status code, a body that
matches the documented schema, the documented content type. (Its pytest plugin does not load under
the pinned pytest, so the operations are driven through its Python API and hypothesis directly.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.stack import StackProcess

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 100
MAX_WAIT_IN_TESTS = 1  # `?wait=` up to 25 s is valid, but would make every example slow


# The file uploads take bytes (schema: a binary string): sent as schemathesis sends octet-streams.
for _media_type in (
    "application/zip",
    "application/x-zip-compressed",
    "text/x-opml",
    "application/xml",
    "text/xml",
):
    schemathesis.serializer.alias(_media_type, "application/octet-stream")


def test_every_operation_conforms_to_its_schema(stack: StackProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    cases = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            nonlocal cases
            if (
                case.query
                and isinstance(case.query.get("wait"), int)
                and case.query["wait"] > MAX_WAIT_IN_TESTS
            ):
                case.query["wait"] = MAX_WAIT_IN_TESTS
            case.call_and_validate(
                base_url=stack.url,
                headers={"X-API-Token": stack.token},
                # The schema types a link as a string; whether a string holds a supported link is
                # decided by the handler (a documented 422), so schema-valid is not always accepted.
                excluded_checks=[positive_data_acceptance],
            )
            cases += 1

        check()
    print(f"schemathesis: {cases} cases over {len(operations)} operations")
    assert cases >= len(operations) * 10
