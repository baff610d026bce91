"""Fixtures of the end-to-end tests: a local origin web site and the local stack as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

# The stack's fixtures, shared with tests/browser; pytest finds fixtures imported into a conftest.
from tests.support.stack_fixtures import origin, stack  # noqa: F401


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data directory for a test that starts and stops stacks itself."""
    return tmp_path / "data"
