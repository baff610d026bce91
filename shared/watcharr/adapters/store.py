"""Every SQL statement of the project: the persister's writes and the query function's reads.

SQLite runs in `journal_mode=DELETE` because WAL needs shared memory that NFS (EFS) cannot give;
the single writer (invariant 1) means `BEGIN IMMEDIATE` never waits on another writer for long, and
readers open the file read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from watcharr.adapters.schema import MIGRATIONS
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import JobItemSpec

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


class WriteStore:
    """The persister's writes. Only the persister makes one of these (invariant 1)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One message = one transaction: all of its writes land, or none do."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

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
            "INSERT INTO job_items (id, job_id, parent_item_id, url, kind, media_key, tag, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [(i.item_id, job_id, parent_item_id, i.url, i.kind, i.media_key, i.tag, at, at) for i in items],
        )

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

    def count_requeue(self, item_id: str, requeue: int, at: str) -> None:
        self.conn.execute(
            "UPDATE job_items SET requeues = MAX(requeues, ?), updated_at = ? WHERE id = ? AND state = 'queued'",
            (requeue, at, item_id),
        )

    # -- episodes -----------------------------------------------------------------------------

    def upsert_channel(self, channel: ChannelInfo, at: str) -> None:
        self.conn.execute(
            "INSERT INTO channels (id, type, name, description, thumbnail_url, url, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, name),"
            " description = COALESCE(excluded.description, description),"
            " thumbnail_url = COALESCE(excluded.thumbnail_url, thumbnail_url),"
            " url = COALESCE(excluded.url, url), updated_at = excluded.updated_at",
            (
                channel.id,
                channel.type,
                channel.name,
                channel.description,
                channel.thumbnail_url,
                channel.url,
                at,
            ),
        )

    def find_episode(self, user_id: int, external_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT * FROM episodes WHERE user_id = ? AND external_id = ?", (user_id, external_id)
        ).fetchone()

    def insert_episode(self, user_id: int, media: MediaMetadata, subscription_id: str | None, at: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO episodes (user_id, type, external_id, title, description, duration, thumbnail_url, url,"
            " upload_date, published_date, view_count, channel_id, is_short, partial_metadata, subscription_id,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id, media.type, media.media_key, media.title, media.description, media.duration,
                media.thumbnail_url, media.url, media.upload_date, media.published_date, media.view_count,
                media.channel.id if media.channel else None, int(media.is_short), int(media.partial),
                subscription_id, at, at,
            ),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    def restore_episode(self, episode_id: int, media: MediaMetadata, at: str) -> None:
        """The reference app's restore: un-delete, reset watch state, refresh the source's metadata."""
        self.conn.execute(
            "UPDATE episodes SET is_deleted = 0, is_archived = 0, watched = 0, watch_status = 'unwatched',"
            " title = ?, description = COALESCE(?, description), duration = COALESCE(?, duration),"
            " thumbnail_url = COALESCE(?, thumbnail_url), view_count = COALESCE(?, view_count),"
            " channel_id = COALESCE(?, channel_id),"
            " partial_metadata = CASE WHEN ? THEN partial_metadata ELSE 0 END, updated_at = ? WHERE id = ?",
            (
                media.title, media.description, media.duration, media.thumbnail_url, media.view_count,
                media.channel.id if media.channel else None, int(media.partial), at, episode_id,
            ),
        )  # fmt: skip

    def refresh_episode(self, episode_id: int, media: MediaMetadata, at: str) -> None:
        """Complete an episode saved with partial metadata; nothing the user set changes.

        Only while the row is still partial, so a late refresh never overwrites complete metadata; a
        new answer that is partial too fills in what it has and leaves the row partial.
        """
        self.conn.execute(
            "UPDATE episodes SET title = ?, description = COALESCE(?, description),"
            " duration = COALESCE(?, duration), thumbnail_url = COALESCE(?, thumbnail_url),"
            " upload_date = COALESCE(?, upload_date), published_date = COALESCE(?, published_date),"
            " view_count = COALESCE(?, view_count), channel_id = COALESCE(?, channel_id),"
            " is_short = MAX(is_short, ?), partial_metadata = ?, updated_at = ?"
            " WHERE id = ? AND partial_metadata = 1",
            (
                media.title, media.description, media.duration, media.thumbnail_url, media.upload_date,
                media.published_date, media.view_count, media.channel.id if media.channel else None,
                int(media.is_short), int(media.partial), at, episode_id,
            ),
        )  # fmt: skip

    def replace_tags(self, user_id: int, episode_id: int, tag_names: Iterable[str], at: str) -> None:
        self.conn.execute("DELETE FROM episode_tags WHERE episode_id = ?", (episode_id,))
        for name in tag_names:
            self.conn.execute(
                "INSERT INTO tags (user_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id, name) DO NOTHING",
                (user_id, name, at),
            )
            self.conn.execute(
                "INSERT INTO episode_tags (episode_id, tag_id)"
                " SELECT ?, id FROM tags WHERE user_id = ? AND name = ? ON CONFLICT DO NOTHING",
                (episode_id, user_id, name),
            )

    def log_event(self, episode_id: int, type_: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO media_events (episode_id, type, created_at) VALUES (?, ?, ?)",
            (episode_id, type_, at),
        )

    # -- subscriptions ------------------------------------------------------------------------

    def upsert_subscription(self, sub_id: str, user_id: int, feed_url: str, tag: str | None, at: str) -> None:
        # The second clause: the user's subscription to an Apple Podcasts show was moved to this feed
        # URL under its own id; subscribing to the feed again brings that one back.
        self.conn.execute(
            "INSERT INTO subscriptions (id, user_id, feed_url, tag, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET is_active = 1, tag = excluded.tag, updated_at = excluded.updated_at"
            " ON CONFLICT (user_id, feed_url) DO UPDATE SET is_active = 1, tag = excluded.tag,"
            " updated_at = excluded.updated_at",
            (sub_id, user_id, feed_url, tag, at, at),
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


class ReadStore:
    """The query function's reads, on a read-only connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def user_by_token_hash(self, token_hash: str) -> Row | None:
        return self.conn.execute(
            "SELECT id, username, token_hash FROM users WHERE token_hash = ?", (token_hash,)
        ).fetchone()

    def user_by_name(self, username: str) -> Row | None:
        return self.conn.execute("SELECT id, username FROM users WHERE username = ?", (username,)).fetchone()

    def job(self, user_id: int, job_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT id, source, left_out, created_at, updated_at FROM jobs WHERE id = ? AND user_id = ?",
            (job_id, user_id),
        ).fetchone()

    def job_items(self, job_id: str) -> list[Row]:
        return self.conn.execute(
            "SELECT i.id, i.parent_item_id, i.url, i.kind, i.state, i.reason, i.title, i.episode_id, i.attempts,"
            " e.type AS episode_type, c.name AS channel FROM job_items i"
            " LEFT JOIN episodes e ON e.id = i.episode_id LEFT JOIN channels c ON c.id = e.channel_id"
            " WHERE i.job_id = ? ORDER BY i.rowid",
            (job_id,),
        ).fetchall()

    def episodes(
        self,
        user_id: int,
        *,
        type_: str | None,
        watched: bool | None,
        tag: str | None,
        limit: int,
        offset: int,
    ) -> list[Row]:
        where = ["e.user_id = ?", "e.is_deleted = 0"]
        params: list[Any] = [user_id]
        if type_ is not None:
            where.append("e.type = ?")
            params.append(type_)
        if watched is not None:
            where.append("e.watched = ?")
            params.append(int(watched))
        if tag is not None:
            where.append(
                "EXISTS (SELECT 1 FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
                " WHERE et.episode_id = e.id AND t.name = ?)"
            )
            params.append(tag)
        rows = self.conn.execute(
            "SELECT e.id, e.type, e.external_id, e.title, e.description, e.duration, e.thumbnail_url, e.url,"
            " e.upload_date, e.published_date, e.view_count, e.watched, e.watch_status, e.favorite, e.is_short,"
            " e.partial_metadata, e.created_at, e.updated_at, c.id AS channel_id, c.name AS channel_name,"
            " c.url AS channel_url FROM episodes e LEFT JOIN channels c ON c.id = e.channel_id"
            f" WHERE {' AND '.join(where)} ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        for row in rows:
            row["tags"] = [
                t["name"]
                for t in self.conn.execute(
                    "SELECT t.name FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
                    " WHERE et.episode_id = ? ORDER BY t.name",
                    (row["id"],),
                )
            ]
        return rows

    def subscriptions(self, user_id: int | None) -> list[Row]:
        """Active subscriptions of one user, or of everyone (user_id None) for the scheduled sync."""
        where, params = (
            ("s.is_active = 1 AND s.user_id = ?", (user_id,))
            if user_id is not None
            else ("s.is_active = 1", ())
        )
        return self.conn.execute(
            "SELECT s.id, s.user_id, s.feed_url, s.title, s.artwork_url, s.tag, s.etag, s.last_modified,"
            " s.last_sync_at, s.last_status, s.last_error, s.created_at,"
            " (SELECT COUNT(*) FROM episodes e WHERE e.subscription_id = s.id) AS episode_count"
            f" FROM subscriptions s WHERE {where} ORDER BY s.created_at, s.id",
            params,
        ).fetchall()

    def seen_keys(self, sub_id: str) -> list[str]:
        return [
            r["key_hash"]
            for r in self.conn.execute(
                "SELECT key_hash FROM subscription_seen_items WHERE subscription_id = ?", (sub_id,)
            )
        ]

    def partial_episodes(self, created_after: str, limit: int) -> list[Row]:
        """Episodes saved with partial metadata since ``created_after``, the least recently tried first."""
        return self.conn.execute(
            "SELECT id, user_id, external_id, url FROM episodes"
            " WHERE partial_metadata = 1 AND created_at > ? ORDER BY updated_at, id LIMIT ?",
            (created_after, limit),
        ).fetchall()

    def stale_items(self, updated_before: str, limit: int) -> list[Row]:
        return self.conn.execute(
            "SELECT i.id, i.job_id, i.url, i.kind, i.media_key, i.tag, i.requeues, j.user_id FROM job_items i"
            " JOIN jobs j ON j.id = i.job_id WHERE i.state = 'queued' AND i.updated_at < ?"
            " ORDER BY i.updated_at LIMIT ?",
            (updated_before, limit),
        ).fetchall()
