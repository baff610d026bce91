"""Opening the database: the one writer's connection, a reader's, and the migrations.

SQLite runs in `journal_mode=DELETE` because WAL needs shared memory that NFS (EFS) cannot give;
the single writer (invariant 1) means `BEGIN IMMEDIATE` never waits on another writer for long, and
readers open the file read-only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from watcharr.adapters.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
Row = dict[str, Any]


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


def _apply_pragmas(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")


def connect_writer(path: str | Path) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the database for the one writer."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: transactions are explicit BEGIN IMMEDIATE … COMMIT in `WriteStore.transaction`.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = _dict_row
    _apply_pragmas(conn)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    migrate(conn)
    return conn


def connect_reader(path: str | Path) -> sqlite3.Connection | None:
    """Open the database read-only; None when the writer has not created it yet."""
    if not Path(path).exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.row_factory = _dict_row
    _apply_pragmas(conn)
    conn.execute("PRAGMA query_only = ON")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations not yet applied; returns the schema version."""
    version: int = conn.execute("PRAGMA user_version").fetchone()["user_version"]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = number
    return version
