"""Fixtures of the end-to-end tests: a local origin web site and the local stack as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
    """One local stack shared by a module's tests, on its own data directory."""
    data_dir = tmp_path_factory.mktemp("stack") / "data"
    with running_stack(data_dir, args=STACK_ARGS) as running:
        yield running


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data directory for a test that starts and stops stacks itself."""
    return tmp_path / "data"
