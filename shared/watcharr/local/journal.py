"""Accepted means kept: a durable journal of every message local mode's queues hold.

On AWS, SQS keeps a message from the moment SendMessage answers until someone deletes it. moto keeps
it in memory, so killing the local stack would lose the messages behind a ``202 Accepted``. The journal
closes that window: moto's queues write each message they take to ``<data dir>/accepted.db`` (SQLite,
``synchronous=FULL``, so the write is fsync'd) before the send is answered, and remove it when it is
deleted. A message moved to a dead-letter queue moves there in the journal too. At the next start the
runner sends every message still in the journal again, in the order they were first accepted, before
any poller runs. Every message is idempotent (deterministic dedup ids and ``applied_messages``), so a
message that was in fact handled before the crash changes nothing the second time.

The journal hooks moto's ``Queue.add_message`` and ``Queue.delete_message`` in this process (moto's
server runs in the runner's process). One SendMessageBatch is one journal transaction, so a 500-link
add costs about 51 fsyncs (one per batch of ten and one for the job), not 501.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accepted (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    group_id TEXT,
    deduplication_id TEXT,
    attributes TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class JournalEntry:
    """One message the queues accepted and no one deleted yet."""

    message_id: str
    queue: str
    body: str
    group_id: str | None
    deduplication_id: str | None
    attributes: dict[str, Any]


def _encode_attributes(attributes: dict[str, Any]) -> str:
    # moto keeps binary attribute values as bytes; JSON carries them as base64 under a marker key.
    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"__base64__": base64.b64encode(value).decode()}
        raise TypeError(f"cannot journal a message attribute of type {type(value).__name__}")

    return json.dumps(attributes, default=encode)


def _decode_attributes(text: str) -> dict[str, Any]:
    def decode(value: dict[str, Any]) -> Any:
        return base64.b64decode(value["__base64__"]) if set(value) == {"__base64__"} else value

    decoded: dict[str, Any] = json.loads(text, object_hook=decode)
    return decoded


class Journal:
    """The SQLite file of accepted messages; safe to use from moto's request threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self._lock = threading.Lock()
        # Ids deleted before their record was written (a poller can be that quick): never journal them.
        self._deleted_early: set[str] = set()
        self._batch = threading.local()

    def close(self) -> None:
        """Close the file; what it holds stays for the next start."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Gather the records made by this thread inside the block into one fsync'd transaction."""
        if getattr(self._batch, "entries", None) is not None:
            yield
            return
        self._batch.entries = []
        try:
            yield
        finally:
            entries, self._batch.entries = self._batch.entries, None
            self._write(entries)

    def record(self, entry: JournalEntry) -> None:
        """Keep ``entry`` durably (at the end of the enclosing ``one_transaction``, if any)."""
        entries = getattr(self._batch, "entries", None)
        if entries is not None:
            entries.append(entry)
        else:
            self._write([entry])

    def _write(self, entries: list[JournalEntry]) -> None:
        if not entries:
            return
        with self._lock:
            kept = [e for e in entries if e.message_id not in self._deleted_early]
            self._deleted_early.difference_update(e.message_id for e in entries)
            self._conn.execute("PRAGMA synchronous=FULL")
            with self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany(
                    "INSERT INTO accepted (message_id, queue, body, group_id, deduplication_id, attributes)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO UPDATE SET queue = excluded.queue",
                    [
                        (
                            e.message_id,
                            e.queue,
                            e.body,
                            e.group_id,
                            e.deduplication_id,
                            _encode_attributes(e.attributes),
                        )
                        for e in kept
                    ],
                )

    def forget(self, message_id: str) -> None:
        """The message was deleted: it needs no re-sending."""
        with self._lock:
            # A lost delete only means one more (idempotent) delivery after a crash: no fsync needed.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            with self._conn:
                deleted = self._conn.execute("DELETE FROM accepted WHERE message_id = ?", (message_id,))
            if deleted.rowcount == 0:
                self._deleted_early.add(message_id)

    def entries(self) -> list[JournalEntry]:
        """Every message kept, in the order the queues first accepted them."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT message_id, queue, body, group_id, deduplication_id, attributes"
                " FROM accepted ORDER BY seq"
            ).fetchall()
        return [JournalEntry(r[0], r[1], r[2], r[3], r[4], _decode_attributes(r[5])) for r in rows]


def attach_to_moto(journal: Journal) -> Callable[[], None]:
    """Make moto's SQS (in this process) journal every message it takes and forget every one deleted.

    Returns the function that detaches the journal again.
    """
    from moto.sqs import models

    queue_class: Any = models.Queue
    backend_class: Any = models.SQSBackend
    original_add, original_delete = queue_class.add_message, queue_class.delete_message
    original_batch = backend_class.send_message_batch

    def add_message(queue: Any, message: Any) -> None:
        journal.record(
            JournalEntry(
                message_id=message.id,
                queue=queue.name,
                body=message.body,
                group_id=message.group_id,
                deduplication_id=message.deduplication_id,
                attributes=dict(message.message_attributes or {}),
            )
        )
        original_add(queue, message)

    def delete_message(queue: Any, receipt_handle: str) -> None:
        ids = [m.id for m in queue._messages if m.had_receipt_handle(receipt_handle)]
        original_delete(queue, receipt_handle)
        for message_id in ids:
            journal.forget(message_id)

    def send_message_batch(backend: Any, queue_name: str, entries: Any) -> Any:
        with journal.one_transaction():
            return original_batch(backend, queue_name, entries)

    queue_class.add_message, queue_class.delete_message = add_message, delete_message
    backend_class.send_message_batch = send_message_batch

    def detach() -> None:
        queue_class.add_message, queue_class.delete_message = original_add, original_delete
        backend_class.send_message_batch = original_batch

    return detach


def resend(journal: Journal, backend: Any) -> int:
    """Send every journaled message again into moto's (fresh) queues; how many were sent.

    The new messages are journaled (in one transaction) before the old records go, so a crash during
    the re-send at worst sends some messages twice.
    """
    entries = journal.entries()
    with journal.one_transaction():
        for entry in entries:
            backend.send_message(
                entry.queue,
                entry.body,
                message_attributes=entry.attributes or None,
                deduplication_id=entry.deduplication_id,
                group_id=entry.group_id,
                validate_group_id=False,
            )
    for entry in entries:
        journal.forget(entry.message_id)
    return len(entries)
