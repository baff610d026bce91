"""What the CLI prints: tables, durations, the progress bar, and text made safe for a terminal.

Titles, channel names and reasons come from pages and feeds. Printed raw, an escape sequence in a title
could move the cursor, rewrite the screen or set the window title, and a bidi override could make a line
read differently from what it is. ``printable`` shows every such character as an escape instead.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

# Without a terminal, a line every so often even when nothing moved shows the wait is alive.
PLAIN_PROGRESS_HEARTBEAT_SECONDS = 30.0
# C0 controls and DEL, C1 controls (a terminal may take U+009B as CSI), the bidi embeddings, overrides,
# isolates and marks, and the line and paragraph separators.
_UNSAFE = re.compile(
    "[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, bidi and separator character shown as an escape (``\\x1b``)."""
    return _UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like ``printable``, keeping the line breaks of a text the CLI laid out itself."""
    return "\n".join(printable(line) for line in text.split("\n"))


# What json.dumps leaves raw: it escapes C0 itself, and its own line breaks are layout.
_UNSAFE_IN_JSON = re.compile("[\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(value: Any) -> str:
    """``value`` as indented JSON in which no string holds a raw control or bidi character."""
    return _UNSAFE_IN_JSON.sub(_json_escape, json.dumps(value, indent=2, ensure_ascii=False))


def format_duration(seconds: float | None) -> str:
    """Seconds as h:mm:ss (``0:03:25``); empty when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the last one an ellipsis when it was cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_widths: Sequence[int]) -> str:
    """A plain-text table: columns padded to their widest cell, cells longer than their cap clipped."""
    clipped = [
        [clip(printable(" ".join(cell.split())), cap) for cell, cap in zip(row, max_widths, strict=True)]
        for row in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in clipped]) for i, h in enumerate(headers)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *clipped]
    ]
    return "\n".join(lines)


def render_progress(done: int, total: int, totals: Mapping[str, int], width: int) -> str:
    """One line of progress: a bar, ``done/total`` and the counts of finished states, within ``width``."""
    counts = ", ".join(
        f"{totals[state]} {state}" for state in ("added", "restored", "failed") if totals.get(state)
    )
    label = f" {done}/{total}" + (f"  {counts}" if counts else "")
    bar_width = max(min(30, width - len(label) - 2), 5)
    filled = bar_width * done // total if total else 0
    return clip("[" + "#" * filled + "." * (bar_width - filled) + "]" + label, max(width, 1))


class Progress:
    """Shows a job's progress on stderr: a redrawn bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.clock = clock
        self.last: tuple[int, int] | None = None
        self.last_line_at = 0.0
        self.drawn = False

    def update(self, job: Mapping[str, Any]) -> None:
        """Show the job's latest state (from GET /api/jobs/{id})."""
        done, total, totals = int(job.get("done", 0)), int(job.get("total", 0)), job.get("totals") or {}
        if self.tty:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self.stream.write("\r" + render_progress(done, total, totals, width).ljust(width))
            self.drawn = True
        elif self._line_due((done, total)):
            counts = ", ".join(f"{totals[s]} {s}" for s in ("added", "restored", "failed") if totals.get(s))
            suffix = f" ({counts})" if counts else ""
            self.stream.write(
                printable(f"job {job.get('jobId', '')}: {done}/{total} finished{suffix}") + "\n"
            )
            self.last, self.last_line_at = (done, total), self.clock()
        self.stream.flush()

    def _line_due(self, position: tuple[int, int]) -> bool:
        return position != self.last or self.clock() - self.last_line_at >= PLAIN_PROGRESS_HEARTBEAT_SECONDS

    def finish(self) -> None:
        """End the redrawn line so that what follows starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


# ---- the commands -----------------------------------------------------------------------------------
