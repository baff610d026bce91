"""Load the handlers in functions/<name>/app.py, the very modules Lambda runs (invariant 5)."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = REPO_ROOT / "functions"


@cache
def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py once, under a name of its own so the five `app` modules coexist."""
    path = FUNCTIONS_DIR / name / "app.py"
    module_name = f"watcharr_functions.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
