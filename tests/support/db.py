"""Reading a SQLite file the way a test wants to compare it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order, read through a separate read-only connection."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()
