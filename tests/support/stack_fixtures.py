"""Fixtures of the tests that run the local stack as a subprocess (tests/e2e and tests/browser).

Their conftest files import these, so that both folders start the stack the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack

# Two API containers are plenty for these tests and start faster on a two-core machine.
STACK_ARGS = ("--api-workers", "2", "--retry-delay", "1")


@pytest.fixture(scope="module")
def origin() -> Iterator[OriginServer]:
    """The web site the links point to (yt-dlp reads its pages as it would a real site's)."""
    with OriginServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One local stack as `make run` starts it, shared by a module's tests, on its own data directory."""
    data_dir = tmp_path_factory.mktemp("stack") / "data"
    with running_stack(data_dir, args=STACK_ARGS) as running:
        yield running
