"""`make layer` builds a dependency layer that Lambda's python3.13 can import and that fits Lambda's limit.

This test needs the package index (pip downloads the manylinux wheels for python3.13); CI has it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Lambda refuses a function whose code and layers unzip to more than this.
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
LAYER_IMPORTS = "aws_lambda_powertools, pydantic, yt_dlp, feedparser, defusedxml, aws_xray_sdk"


def _python_313() -> str | None:
    """A working python3.13, or None: a pyenv shim may exist without the version being selected."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [
        shutil.which("python3.13"),
        *sorted(glob.glob(f"{pyenv_root}/versions/3.13*/bin/python3.13")),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


def _size_on_disk(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and not path.is_symlink())


@pytest.fixture(scope="module")
def layer_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The layer as `make layer` builds it, into a temporary directory rather than the repository."""
    target = tmp_path_factory.mktemp("layer") / "build"
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), "layer", f"LAYER_DIR={target}"],
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield target
    # Close to 100 MB: not left behind for pytest's temporary directory retention.
    shutil.rmtree(target, ignore_errors=True)


@pytest.mark.timeout(900)
def test_layer_packages_import_under_python_313(layer_dir: Path) -> None:
    python = _python_313()
    if python is None:
        pytest.skip("no python3.13 interpreter on this machine to import the layer with")
    # -S keeps the interpreter's own site-packages out, so every import must come from the layer.
    script = f"import {LAYER_IMPORTS}; import yt_dlp; print(yt_dlp.__file__)"
    result = subprocess.run(
        [python, "-S", "-c", script],
        env={**os.environ, "PYTHONPATH": str(layer_dir / "python")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(layer_dir / "python")


@pytest.mark.timeout(900)
def test_layer_fits_lambdas_unzipped_size_limit(layer_dir: Path) -> None:
    size = _size_on_disk(layer_dir)
    # Lambda adds the shared layer and each function's code on top; leave them room.
    assert 0 < size < LAMBDA_UNZIPPED_LIMIT_BYTES, f"{size / 2**20:.0f} MiB"
