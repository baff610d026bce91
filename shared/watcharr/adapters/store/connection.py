"""Opening the database: the one writer's connection, a reader's, and the migrations.

SQLite runs in `journal_mode=DELETE` because WAL needs shared memory that NFS (EFS) cannot give;
the single writer (invariant 1) means `BEGIN IMMEDIATE` never waits on another writer for long, and
readers open the file read-only.

In that mode a reader and the writer's COMMIT exclude each other: the COMMIT takes the file's
exclusive lock for its writes and fsyncs (about a millisecond on a local disk) and cannot take it
while a SELECT holds the shared lock (a fraction of that). SQLite's own busy handler waits 1 ms, then
2, 5, 10 … between tries, so a reader that met a COMMIT, or a COMMIT that met a reader, lost a
millisecond or more each time: most of a waited change's wait for its command row (bench section 9).
Those two waits go through ``retry_while_busy`` instead (``commit``, ``ReadStore``): it tries again
after 0.1 ms, doubling up to 1 ms, within the same bound of BUSY_TIMEOUT_MS.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from time import monotonic, sleep
from typing import Any, TypeVar

from watcharr.adapters.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
FIRST_LOCK_RETRY_SECONDS = 0.0001
LONGEST_LOCK_RETRY_SECONDS = 0.001
Row = dict[str, Any]
T = TypeVar("T")


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


def _apply_pragmas(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """The statement found the file locked by another connection (SQLITE_BUSY and its extended codes)."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF == sqlite3.SQLITE_BUSY


def retry_while_busy(call: Callable[[], T]) -> T:
    """``call()``, tried again while it finds the file locked, after 0.1 ms and doubling pauses, for
    up to BUSY_TIMEOUT_MS; for a connection whose own busy handler is off (``busy_timeout = 0``)."""
    deadline = monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = FIRST_LOCK_RETRY_SECONDS
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            left = deadline - monotonic()
            if not is_busy(exc) or left <= 0:
                raise
            sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_LOCK_RETRY_SECONDS)


def commit(conn: sqlite3.Connection) -> None:
    """COMMIT the writer's transaction, waiting for readers with short pauses instead of SQLite's.

    A COMMIT that finds a reader's shared lock fails with SQLITE_BUSY and leaves the transaction
    open, holding the pending lock that keeps new readers out, so trying it again is safe.
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        retry_while_busy(lambda: conn.execute("COMMIT"))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


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
