"""A reader and the writer's COMMIT waiting for each other's lock, on real SQLite files.

In journal_mode=DELETE a reader cannot start while the writer commits and the COMMIT cannot finish
while a reader reads. Both try again after short pauses (``retry_while_busy``) instead of SQLite's
millisecond ones. The pauses go through a recording ``time.sleep`` that lets the other connection go
after a few of them, so each test knows exactly when the lock is released; with SQLite's own busy
handler still on, no pause would be recorded and the read or the COMMIT would wait out the timeout.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from watcharr.adapters.store import ReadStore, WriteStore, connect_reader, connect_writer
from watcharr.adapters.store import connection as store_connection

AT = "2024-03-15T12:00:00.000Z"
# 0.1 ms, doubling up to 1 ms.
PAUSES = [0.0001, 0.0002, 0.0004, 0.0008, 0.001, 0.001]


def add_user(conn: sqlite3.Connection, username: str) -> None:
    conn.execute(
        "INSERT INTO users (username, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (username, username * 8, AT, AT),
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "watcharr.db"
    connect_writer(path).close()
    return path


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, Callable[[], object]], list[float]]:
    """Record every pause of ``retry_while_busy``; after ``count`` of them, call ``release`` once."""

    def recording(count: int, release: Callable[[], object]) -> list[float]:
        taken: list[float] = []

        def sleep(seconds: float) -> None:
            taken.append(seconds)
            if len(taken) == count:
                release()

        monkeypatch.setattr(store_connection, "sleep", sleep)
        return taken

    return recording


def other_writer_committing(path: Path) -> sqlite3.Connection:
    """A connection in the middle of a commit, as far as readers can tell: it holds the exclusive lock."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    add_user(holder, "alice")
    return holder


def reader_in_a_read(path: Path) -> sqlite3.Connection:
    """A connection holding the shared lock, as a reader does while its SELECT runs."""
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM users").fetchone()
    return reader


def test_a_read_that_meets_a_commit_tries_again_after_short_pauses_and_sees_what_it_committed(
    database: Path, pauses: Callable[[int, Callable[[], object]], list[float]]
) -> None:
    holder = other_writer_committing(database)
    taken = pauses(5, lambda: holder.execute("COMMIT"))
    conn = connect_reader(database)
    assert conn is not None
    found = ReadStore(conn).user_by_name("alice")
    assert found is not None and found["username"] == "alice"
    assert taken == PAUSES[:5]


def test_a_read_gives_up_after_the_busy_timeout_with_sqlites_error(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_connection, "BUSY_TIMEOUT_MS", 30)
    holder = other_writer_committing(database)
    conn = connect_reader(database)
    assert conn is not None
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as raised:
        ReadStore(conn).user_by_name("alice")
    assert store_connection.is_busy(raised.value)
    assert 0.03 <= time.monotonic() - began < 5  # its own bound, not SQLite's 10 s
    holder.execute("ROLLBACK")


def test_an_error_other_than_a_lock_is_raised_at_once(
    tmp_path: Path, pauses: Callable[[int, Callable[[], object]], list[float]]
) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a file without the schema: "no such table"
    taken = pauses(1, lambda: None)
    conn = connect_reader(path)
    assert conn is not None
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        ReadStore(conn).user_by_name("alice")
    assert taken == []


def test_a_commit_that_meets_a_reader_waits_for_it_and_lands(
    database: Path, pauses: Callable[[int, Callable[[], object]], list[float]]
) -> None:
    store = WriteStore(connect_writer(database))
    reader = reader_in_a_read(database)
    taken = pauses(3, lambda: reader.execute("COMMIT"))
    with store.transaction():
        add_user(store.conn, "bob")
    assert taken == PAUSES[:3]
    assert not store.conn.in_transaction
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()["timeout"] == store_connection.BUSY_TIMEOUT_MS
    check = sqlite3.connect(database)
    assert check.execute("SELECT username FROM users").fetchall() == [("bob",)]


def test_a_commit_that_cannot_take_the_lock_in_time_is_rolled_back_and_the_writer_goes_on(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_connection, "BUSY_TIMEOUT_MS", 30)
    store = WriteStore(connect_writer(database))
    reader = reader_in_a_read(database)
    with pytest.raises(sqlite3.OperationalError) as raised, store.transaction():
        add_user(store.conn, "bob")
    assert store_connection.is_busy(raised.value)
    assert not store.conn.in_transaction
    reader.execute("COMMIT")
    with store.transaction():
        add_user(store.conn, "carol")
    check = sqlite3.connect(database)
    assert check.execute("SELECT username FROM users").fetchall() == [("carol",)]
