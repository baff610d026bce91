"""The persister's writes: transactions, the applied log, users, jobs and subscriptions.

The list's and the imports' writes are in `writes_list.py` and `writes_imports.py`; `WriteStore`
has them all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from watcharr.adapters.store.connection import Row, commit
from watcharr.adapters.store.writes_imports import ImportWrites
from watcharr.models.messages import JobItemSpec


class WriteStore(ImportWrites):
    """The persister's writes. Only the persister makes one of these (invariant 1)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One message = one transaction: all of its writes land, or none do."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            commit(self.conn)
        except BaseException:
            # A COMMIT that could not take the lock in time leaves the transaction open: undo it too,
            # or every later message would fail to BEGIN.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Writes that are undone, leaving the rest of the transaction, when the block raises."""
        self.conn.execute("SAVEPOINT command")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO command")
            self.conn.execute("RELEASE command")
            raise
        self.conn.execute("RELEASE command")

    # -- applied-message log ------------------------------------------------------------------

    def was_applied(self, dedup_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM applied_messages WHERE dedup_id = ?", (dedup_id,)).fetchone()
            is not None
        )

    def mark_applied(self, dedup_id: str, type_: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO applied_messages (dedup_id, type, applied_at) VALUES (?, ?, ?)",
            (dedup_id, type_, at),
        )

    # -- dead letters ---------------------------------------------------------------------------

    def record_dead_letter(self, message_id: str, body: str, reason: str, type_: str | None, at: str) -> bool:
        """Keep a message that can never be applied, in its own transaction; False when already kept."""
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO dead_letters (message_id, body, reason, type, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (message_id, body, reason, type_, at),
            )
        return cursor.rowcount == 1

    # -- users --------------------------------------------------------------------------------

    def insert_user(self, username: str, token_hash: str, at: str) -> bool:
        cur = self.conn.execute(
            "INSERT INTO users (username, display_name, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (username) DO NOTHING",
            (username, username, token_hash, at, at),
        )
        return cur.rowcount == 1

    def set_token_hash(self, username: str, token_hash: str, at: str) -> bool:
        cur = self.conn.execute(
            "UPDATE users SET token_hash = ?, updated_at = ? WHERE username = ?", (token_hash, at, username)
        )
        return cur.rowcount == 1

    # -- jobs ---------------------------------------------------------------------------------

    def insert_job(self, job_id: str, user_id: int, source: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO jobs (id, user_id, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (job_id, user_id, source, at, at),
        )

    def job_exists(self, job_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None

    def insert_items(
        self, job_id: str, items: Iterable[JobItemSpec], parent_item_id: str | None, at: str
    ) -> None:
        self.conn.executemany(
            "INSERT INTO job_items (id, job_id, parent_item_id, url, kind, media_key, tag, import_tags, watched_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [
                (
                    i.item_id, job_id, parent_item_id, i.url, i.kind, i.media_key, i.tag,
                    json.dumps(i.import_tags, ensure_ascii=False) if i.import_tags is not None else None,
                    i.watched_at, at, at,
                )
                for i in items
            ],
        )  # fmt: skip

    def add_left_out(self, job_id: str, left_out: int, at: str) -> None:
        self.conn.execute(
            "UPDATE jobs SET left_out = left_out + ?, updated_at = ? WHERE id = ?", (left_out, at, job_id)
        )

    def item(self, item_id: str) -> Row | None:
        return self.conn.execute("SELECT * FROM job_items WHERE id = ?", (item_id,)).fetchone()

    def finish_item(
        self,
        item_id: str,
        *,
        state: str,
        at: str,
        reason: str | None = None,
        title: str | None = None,
        episode_id: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.conn.execute(
            "UPDATE job_items SET state = ?, reason = ?, title = ?, episode_id = ?,"
            " attempts = COALESCE(?, attempts), updated_at = ? WHERE id = ?",
            (state, reason, title, episode_id, attempts, at, item_id),
        )

    def finish_feed_items(
        self, media_key: str, *, state: str, at: str, reason: str | None = None, title: str | None = None
    ) -> None:
        """End the open feed items that follow one subscription's sync (its first-sync job item)."""
        self.conn.execute(
            "UPDATE job_items SET state = ?, reason = ?, title = COALESCE(?, title), attempts = attempts + 1,"
            " updated_at = ? WHERE media_key = ? AND kind = 'feed' AND state = 'queued'",
            (state, reason, title, at, media_key),
        )

    def count_requeue(self, item_id: str, requeue: int, at: str) -> None:
        self.conn.execute(
            "UPDATE job_items SET requeues = MAX(requeues, ?), updated_at = ? WHERE id = ? AND state = 'queued'",
            (requeue, at, item_id),
        )

    # -- job retries --------------------------------------------------------------------------

    def job_of(self, user_id: int, job_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT id FROM jobs WHERE id = ? AND user_id = ?", (job_id, user_id)
        ).fetchone()

    def job_item_states(self, job_id: str, item_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(item_ids)
        marks = ", ".join("?" * len(wanted))
        return {
            r["id"]: r["state"]
            for r in self.conn.execute(
                f"SELECT id, state FROM job_items WHERE job_id = ? AND id IN ({marks})", (job_id, *wanted)
            )
        }

    def requeue_item(self, item_id: str, at: str) -> None:
        """A failed item starts again: queued, no reason, its attempts and requeues counted afresh, and
        the retry counted so that the results of this attempt are told from the earlier ones'."""
        self.conn.execute(
            "UPDATE job_items SET state = 'queued', reason = NULL, attempts = 0, requeues = 0,"
            " retries = retries + 1, retried_at = ?, updated_at = ? WHERE id = ? AND state = 'failed'",
            (at, at, item_id),
        )

    def item_retry(self, item_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT retries, retried_at FROM job_items WHERE id = ?", (item_id,)
        ).fetchone()

    # -- subscriptions ------------------------------------------------------------------------

    def upsert_subscription(
        self,
        sub_id: str,
        user_id: int,
        feed_url: str,
        tag: str | None,
        at: str,
        *,
        kind: str = "podcast",
        include_shorts: bool = True,
    ) -> None:
        # The second clause: the user's subscription to an Apple Podcasts show was moved to this feed
        # URL under its own id; subscribing to the feed again brings that one back.
        self.conn.execute(
            "INSERT INTO subscriptions (id, user_id, feed_url, tag, kind, include_shorts, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET is_active = 1, tag = excluded.tag,"
            " include_shorts = excluded.include_shorts, updated_at = excluded.updated_at"
            " ON CONFLICT (user_id, feed_url) DO UPDATE SET is_active = 1, tag = excluded.tag,"
            " include_shorts = excluded.include_shorts, updated_at = excluded.updated_at",
            (sub_id, user_id, feed_url, tag, kind, int(include_shorts), at, at),
        )

    def subscription(self, sub_id: str) -> Row | None:
        return self.conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()

    def deactivate_subscription(self, sub_id: str, user_id: int, at: str) -> None:
        self.conn.execute(
            "UPDATE subscriptions SET is_active = 0, updated_at = ? WHERE id = ? AND user_id = ?",
            (at, sub_id, user_id),
        )

    def record_feed_check(
        self,
        sub_id: str,
        *,
        status: str,
        at: str,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        artwork_url: str | None,
        error: str | None,
    ) -> None:
        # A failed or unchanged check keeps the validators and title the last good fetch gave.
        self.conn.execute(
            "UPDATE subscriptions SET last_status = ?, last_error = ?, last_sync_at = ?, updated_at = ?,"
            " etag = CASE WHEN ? = 'updated' THEN ? ELSE etag END,"
            " last_modified = CASE WHEN ? = 'updated' THEN ? ELSE last_modified END,"
            " title = COALESCE(?, title), artwork_url = COALESCE(?, artwork_url) WHERE id = ?",
            (status, error, at, at, status, etag, status, last_modified, title, artwork_url, sub_id),
        )

    def move_subscription(self, sub_id: str, feed_url: str, at: str) -> None:
        # OR IGNORE: when the user already subscribes to the new URL too, keep both rows as they are.
        self.conn.execute(
            "UPDATE OR IGNORE subscriptions SET feed_url = ?, updated_at = ? WHERE id = ?",
            (feed_url, at, sub_id),
        )

    def add_seen_keys(self, sub_id: str, key_hashes: Iterable[str]) -> None:
        self.conn.executemany(
            "INSERT INTO subscription_seen_items (subscription_id, key_hash) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(sub_id, k) for k in key_hashes],
        )
