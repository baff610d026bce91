"""What every benchmark section shares: figures with their targets, the machine, timing helpers."""

from __future__ import annotations

import logging
import os
import platform
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FEEDS_DIR = REPO_ROOT / ".." / "shared" / "data" / "feeds"
BIG_FEED = FEEDS_DIR / "giantbomb-bombcast-730-items.xml"


@dataclass(frozen=True)
class Figure:
    """One measured number, with the target it is held to (if any) and whether it met it."""

    section: str
    name: str
    value: float | str
    unit: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    def shown(self) -> str:
        """The value with its unit, rounded for a table."""
        if isinstance(self.value, str):
            return self.value
        if isinstance(self.value, int):
            return f"{self.value:,} {self.unit}".strip()
        value = self.value
        digits = 3 if abs(value) < 10 else 1 if abs(value) < 1000 else 0
        text = f"{value:,.{digits}f}"
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        """'met', 'NOT met' or '' when the figure has no target."""
        if self.met is None:
            return ""
        return "met" if self.met else "NOT met"


@dataclass
class SectionResult:
    """What one section measured: its figures, free-form findings, and data for the plot."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why each target missed in this run was missed, in the section's own words and figures.
    explanations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add(self, name: str, value: float | str, unit: str = "", **kwargs: object) -> Figure:
        """Record a figure of this section and return it."""
        figure = Figure(self.title, name, value, unit, **kwargs)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure


def machine() -> dict[str, str]:
    """Cores, CPU model, Python and OS of this machine, for the report."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "python": sys.version.split()[0],
        "os": platform.platform(),
    }


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


@contextmanager
def quiet_service_logs() -> Iterator[None]:
    """The service logs every yt-dlp warning and persisted message; a benchmark's output is its report."""
    logger = logging.getLogger("watcharr")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
