"""Every SQL statement of the project: the persister's writes and the query function's reads.

SQLite runs in `journal_mode=DELETE` because WAL needs shared memory that NFS (EFS) cannot give;
the single writer (invariant 1) means `BEGIN IMMEDIATE` never waits on another writer for long, and
readers open the file read-only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from watcharr.adapters.schema import MIGRATIONS
from watcharr.models.imports import ImportedChannel, ImportedEpisode, ImportedEvent, ImportedTag, ImportedUser
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import JobItemSpec
from watcharr.models.queries import ListEpisodes

BUSY_TIMEOUT_MS = 10_000
Row = dict[str, Any]
# The fields of an episode the user changes (commands); everything else comes from the source.
_USER_EPISODE_COLUMNS = frozenset(
    {"watched", "watch_status", "favorite", "priority", "like_status", "notes", "is_archived", "is_deleted"}
)
# What merging an imported episode into one already here may set (see logic.persist_import).
_MERGED_EPISODE_COLUMNS = _USER_EPISODE_COLUMNS | frozenset(
    {
        "description", "duration", "thumbnail_url", "upload_date", "published_date", "view_count", "channel_id",
        "is_short", "custom_order", "archived_at", "created_at", "updated_at",
    }
)  # fmt: skip
_IMPORTED_EPISODE_FIELDS = (
    "type", "title", "description", "duration", "thumbnail_url", "url", "upload_date", "published_date",
    "view_count", "channel_id", "watched", "watch_status", "favorite", "is_deleted", "priority", "custom_order",
    "is_short", "like_status", "notes", "is_archived", "archived_at", "created_at", "updated_at",
)  # fmt: skip
IMPORT_COUNTS = frozenset(
    {
        "chunks", "episodes_imported", "episodes_merged", "tags_imported", "tags_merged", "channels", "tag_links",
        "events", "watched_marked", "not_on_list",
    }
)  # fmt: skip
# The fields an add's restore resets, and the column noting when a command last set each.
_SET_AT = {
    "watched": "watch_set_at", "watch_status": "watch_set_at", "is_archived": "archived_set_at",
    "is_deleted": "deleted_set_at",
}  # fmt: skip


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

    def restore_episode(self, episode_id: int, media: MediaMetadata, at: str, accepted_at: str) -> None:
        """The reference app's restore: un-delete, reset watch state, refresh the source's metadata.

        A field a command set after the add was accepted (``accepted_at``) keeps the user's value: the
        add's result may arrive after a change the user made later.
        """
        self.conn.execute(
            "UPDATE episodes SET"
            " is_deleted = CASE WHEN deleted_set_at > :accepted THEN is_deleted ELSE 0 END,"
            " is_archived = CASE WHEN archived_set_at > :accepted THEN is_archived ELSE 0 END,"
            " watched = CASE WHEN watch_set_at > :accepted THEN watched ELSE 0 END,"
            " watch_status = CASE WHEN watch_set_at > :accepted THEN watch_status ELSE 'unwatched' END,"
            " title = :title, description = COALESCE(:description, description),"
            " duration = COALESCE(:duration, duration), thumbnail_url = COALESCE(:thumbnail_url, thumbnail_url),"
            " view_count = COALESCE(:view_count, view_count), channel_id = COALESCE(:channel_id, channel_id),"
            " partial_metadata = CASE WHEN :partial THEN partial_metadata ELSE 0 END, updated_at = :at"
            " WHERE id = :id",
            {
                "accepted": accepted_at, "title": media.title, "description": media.description,
                "duration": media.duration, "thumbnail_url": media.thumbnail_url, "view_count": media.view_count,
                "channel_id": media.channel.id if media.channel else None, "partial": int(media.partial),
                "at": at, "id": episode_id,
            },
        )  # fmt: skip

    def tags_set_after(self, episode_id: int, accepted_at: str) -> bool:
        """Whether a command set the episode's tags after ``accepted_at``."""
        row = self.conn.execute(
            "SELECT tags_set_at > ? AS later FROM episodes WHERE id = ?", (accepted_at, episode_id)
        ).fetchone()
        return bool(row and row["later"])

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
        """Link the episode to the named tags (made when new), matching names whatever their case."""
        self.conn.execute("DELETE FROM episode_tags WHERE episode_id = ?", (episode_id,))
        for name in tag_names:
            self.conn.execute(
                "INSERT INTO tags (user_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (user_id, name, at),
            )
            self.conn.execute(
                "INSERT INTO episode_tags (episode_id, tag_id)"
                " SELECT ?, id FROM tags WHERE user_id = ? AND name = ? COLLATE NOCASE ON CONFLICT DO NOTHING",
                (episode_id, user_id, name),
            )

    def log_event(self, user_id: int, episode_id: int, type_: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO media_events (user_id, episode_id, type, created_at) VALUES (?, ?, ?, ?)",
            (user_id, episode_id, type_, at),
        )

    # -- commands -----------------------------------------------------------------------------

    def record_command(
        self, command_id: str, user_id: int, type_: str, *, state: str, reason: str | None,
        episode_id: int | None, tag_id: int | None, at: str,
    ) -> None:  # fmt: skip
        # applied_at is the message's time too: a redelivered or replayed command writes the same row.
        self.conn.execute(
            "INSERT INTO commands (id, user_id, type, state, reason, episode_id, tag_id, created_at, applied_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (command_id, user_id, type_, state, reason, episode_id, tag_id, at, at),
        )

    def command_recorded(self, command_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM commands WHERE id = ?", (command_id,)).fetchone() is not None

    def episode_of(self, user_id: int, episode_id: int) -> Row | None:
        return self.conn.execute(
            "SELECT * FROM episodes WHERE id = ? AND user_id = ?", (episode_id, user_id)
        ).fetchone()

    def update_episode(self, episode_id: int, columns: dict[str, object], at: str) -> None:
        """Set the user's own fields of one episode; column names come from the rules, never from input."""
        unknown = set(columns) - _USER_EPISODE_COLUMNS
        if unknown:
            raise ValueError(f"not a user field: {sorted(unknown)}")
        stamps = {_SET_AT[name]: at for name in columns if name in _SET_AT}
        assignments = ", ".join(f"{name} = ?" for name in (*columns, *stamps))
        self.conn.execute(
            f"UPDATE episodes SET {assignments}, updated_at = ? WHERE id = ?",
            (*columns.values(), *stamps.values(), at, episode_id),
        )

    def delete_episode(self, episode_id: int) -> None:
        """Remove the row for good with its tag links and history; its job items keep their text."""
        self.conn.execute("DELETE FROM media_events WHERE episode_id = ?", (episode_id,))
        self.conn.execute("DELETE FROM episode_tags WHERE episode_id = ?", (episode_id,))
        self.conn.execute("UPDATE job_items SET episode_id = NULL WHERE episode_id = ?", (episode_id,))
        self.conn.execute("DELETE FROM episodes WHERE id = ?", (episode_id,))

    def episode_ids(self, user_id: int, *, deleted: bool, watched: bool | None = None) -> list[int]:
        """The user's episodes in the bin (deleted) or on the list, optionally only the watched ones."""
        sql = "SELECT id FROM episodes WHERE user_id = ? AND is_deleted = ?"
        params: list[object] = [user_id, int(deleted)]
        if watched is not None:
            sql += " AND watched = ? AND is_archived = 0"
            params.append(int(watched))
        return [r["id"] for r in self.conn.execute(sql + " ORDER BY id", params)]

    def episode_tag_ids(self, episode_id: int) -> set[int]:
        return {
            r["tag_id"]
            for r in self.conn.execute("SELECT tag_id FROM episode_tags WHERE episode_id = ?", (episode_id,))
        }

    def set_episode_tags(self, episode_id: int, tag_ids: Iterable[int], at: str) -> None:
        """The user's set of tags for the episode, noted as set by a command at ``at``."""
        self.conn.execute("UPDATE episodes SET tags_set_at = ? WHERE id = ?", (at, episode_id))
        self.conn.execute("DELETE FROM episode_tags WHERE episode_id = ?", (episode_id,))
        self.conn.executemany(
            "INSERT INTO episode_tags (episode_id, tag_id) VALUES (?, ?)", [(episode_id, t) for t in tag_ids]
        )

    # -- tags ---------------------------------------------------------------------------------

    def tag_ids_of(self, user_id: int, tag_ids: Iterable[int]) -> set[int]:
        """Which of these tag ids are the user's."""
        wanted = list(tag_ids)
        if not wanted:
            return set()
        marks = ", ".join("?" * len(wanted))
        return {
            r["id"]
            for r in self.conn.execute(
                f"SELECT id FROM tags WHERE user_id = ? AND id IN ({marks})", (user_id, *wanted)
            )
        }

    def tag_named(self, user_id: int, name: str) -> Row | None:
        return self.conn.execute(
            "SELECT id, name FROM tags WHERE user_id = ? AND name = ? COLLATE NOCASE", (user_id, name)
        ).fetchone()

    def insert_tag(self, user_id: int, name: str, color: str | None, at: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO tags (user_id, name, color, created_at) VALUES (?, ?, ?, ?)",
            (user_id, name, color, at),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def update_tag(self, tag_id: int, columns: dict[str, object]) -> None:
        unknown = set(columns) - {"name", "color"}
        if unknown:
            raise ValueError(f"not a tag field: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.conn.execute(f"UPDATE tags SET {assignments} WHERE id = ?", (*columns.values(), tag_id))

    def delete_tag(self, tag_id: int) -> None:
        self.conn.execute("DELETE FROM episode_tags WHERE tag_id = ?", (tag_id,))
        self.conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

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

    # -- imports (moving in) -------------------------------------------------------------------

    def user_named(self, username: str) -> Row | None:
        return self.conn.execute(
            "SELECT id, username, display_name, token_hash FROM users WHERE username = ?", (username,)
        ).fetchone()

    def token_hash_taken(self, token_hash: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM users WHERE token_hash = ?", (token_hash,)).fetchone()
            is not None
        )

    def insert_imported_user(self, user: ImportedUser, token_hash: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO users (username, display_name, is_admin, token_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.username,
                user.display_name,
                int(user.is_admin),
                token_hash,
                user.created_at,
                user.updated_at,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def merge_imported_user(self, user_id: int, user: ImportedUser) -> None:
        """A user already here keeps everything it has; a display name it lacks comes from the import."""
        self.conn.execute(
            "UPDATE users SET display_name = COALESCE(NULLIF(display_name, username), ?, display_name),"
            " created_at = MIN(created_at, ?) WHERE id = ?",
            (user.display_name, user.created_at, user_id),
        )

    def upsert_imported_channel(self, channel: ImportedChannel) -> bool:
        """Insert the channel, or fill in what the one here lacks; True when it is new."""
        exists = (
            self.conn.execute("SELECT 1 FROM channels WHERE id = ?", (channel.id,)).fetchone() is not None
        )
        self.conn.execute(
            "INSERT INTO channels (id, type, name, description, thumbnail_url, url, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = COALESCE(name, excluded.name),"
            " description = COALESCE(description, excluded.description),"
            " thumbnail_url = COALESCE(thumbnail_url, excluded.thumbnail_url), url = COALESCE(url, excluded.url),"
            " created_at = MIN(COALESCE(created_at, excluded.created_at), excluded.created_at)",
            (
                channel.id, channel.type, channel.name, channel.description, channel.thumbnail_url, channel.url,
                channel.created_at, channel.updated_at,
            ),
        )  # fmt: skip
        return not exists

    def merge_imported_tag(self, user_id: int, tag: ImportedTag) -> tuple[int, bool]:
        """The user's tag of that name (any case), made when missing; True when it is new.

        A tag here keeps its colour (an imported one fills a missing colour) and its last use is the
        later of the two.
        """
        existing = self.tag_named(user_id, tag.name)
        if existing is None:
            cur = self.conn.execute(
                "INSERT INTO tags (user_id, name, color, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, tag.name, tag.color, tag.created_at, tag.last_used_at),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid, True
        self.conn.execute(
            "UPDATE tags SET color = COALESCE(color, ?), created_at = MIN(created_at, ?),"
            " last_used_at = CASE WHEN last_used_at IS NULL OR ? > last_used_at THEN ? ELSE last_used_at END"
            " WHERE id = ?",
            (tag.color, tag.created_at, tag.last_used_at, tag.last_used_at, existing["id"]),
        )
        return existing["id"], False

    def insert_imported_episode(self, user_id: int, external_id: str, episode: ImportedEpisode) -> int:
        values = [getattr(episode, name) for name in _IMPORTED_EPISODE_FIELDS]
        columns = ", ".join(_IMPORTED_EPISODE_FIELDS)
        cur = self.conn.execute(
            f"INSERT INTO episodes (user_id, external_id, {columns})"
            f" VALUES (?, ?, {', '.join('?' * len(values))})",
            (user_id, external_id, *(int(v) if isinstance(v, bool) else v for v in values)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def merge_imported_episode(self, episode_id: int, columns: dict[str, object]) -> None:
        """Set what the merge rule decided; column names come from the rule, never from input."""
        unknown = set(columns) - _MERGED_EPISODE_COLUMNS
        if unknown:
            raise ValueError(f"not a mergeable field: {sorted(unknown)}")
        if columns:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            self.conn.execute(
                f"UPDATE episodes SET {assignments} WHERE id = ?", (*columns.values(), episode_id)
            )

    def link_imported_tag(self, episode_id: int, tag_id: int, created_at: str) -> bool:
        cur = self.conn.execute(
            "INSERT INTO episode_tags (episode_id, tag_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (episode_id, tag_id, created_at),
        )
        return cur.rowcount == 1

    def insert_imported_event(self, user_id: int, episode_id: int, event: ImportedEvent) -> bool:
        cur = self.conn.execute(
            "INSERT INTO media_events (user_id, episode_id, type, created_at, source_id, title, media_type)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, source_id) WHERE source_id IS NOT NULL DO NOTHING",
            (user_id, episode_id, event.event_type, event.created_at, event.source_id, event.title,
             event.media_type),
        )  # fmt: skip
        return cur.rowcount == 1

    def add_tags(self, user_id: int, episode_id: int, tag_names: Iterable[str], at: str) -> None:
        """Link the episode to the named tags too (made when new), keeping the tags it has."""
        for name in tag_names:
            self.conn.execute(
                "INSERT INTO tags (user_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (user_id, name, at),
            )
            self.conn.execute(
                "INSERT INTO episode_tags (episode_id, tag_id, created_at)"
                " SELECT ?, id, ? FROM tags WHERE user_id = ? AND name = ? COLLATE NOCASE ON CONFLICT DO NOTHING",
                (episode_id, at, user_id, name),
            )

    def episodes_by_external_id(self, user_id: int, external_ids: Iterable[str]) -> list[Row]:
        wanted = list(external_ids)
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        return self.conn.execute(
            f"SELECT * FROM episodes WHERE user_id = ? AND external_id IN ({marks})", (user_id, *wanted)
        ).fetchall()

    def start_import(self, import_id: str, user_id: int | None, source: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO imports (id, user_id, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET user_id = COALESCE(user_id, excluded.user_id)",
            (import_id, user_id, source, at, at),
        )

    def count_import(
        self, import_id: str, counts: dict[str, int], at: str, user_outcome: str | None = None
    ) -> None:
        unknown = set(counts) - IMPORT_COUNTS
        if unknown:
            raise ValueError(f"not an import count: {sorted(unknown)}")
        assignments = "".join(f", {name} = {name} + ?" for name in counts)
        self.conn.execute(
            f"UPDATE imports SET updated_at = ?, user_outcome = COALESCE(user_outcome, ?){assignments}"
            " WHERE id = ?",
            (at, user_outcome, *counts.values(), import_id),
        )

    def add_import_skips(self, import_id: str, sequence: int, reasons: Iterable[str]) -> None:
        self.conn.executemany(
            "INSERT INTO import_skips (import_id, sequence, reason) VALUES (?, ?, ?)",
            [(import_id, sequence, reason) for reason in reasons],
        )

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


class ReadStore:
    """The query function's reads, on a read-only connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def dead_letters(self, limit: int, offset: int) -> tuple[list[Row], int]:
        """Messages the persister refused, newest first, and how many there are in all."""
        rows = self.conn.execute(
            "SELECT message_id, body, reason, type, received_at FROM dead_letters"
            " ORDER BY received_at DESC, message_id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        total = self.conn.execute("SELECT COUNT(*) AS n FROM dead_letters").fetchone()["n"]
        return rows, total

    def dead_letter(self, message_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT message_id, body, reason, type, received_at FROM dead_letters WHERE message_id = ?",
            (message_id,),
        ).fetchone()

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
            " i.media_key, i.tag, i.retries, e.type AS episode_type, c.name AS channel FROM job_items i"
            " LEFT JOIN episodes e ON e.id = i.episode_id LEFT JOIN channels c ON c.id = e.channel_id"
            " WHERE i.job_id = ? ORDER BY i.rowid",
            (job_id,),
        ).fetchall()

    def episodes(self, query: ListEpisodes) -> tuple[list[Row], int]:
        """One page of the user's list as the query filters and sorts it, and how many match in all."""
        where, params = _episode_filters(query)
        total: int = self.conn.execute(
            f"SELECT COUNT(*) AS n FROM episodes e LEFT JOIN channels c ON c.id = e.channel_id WHERE {where}",
            params,
        ).fetchone()["n"]
        rows = self.conn.execute(
            f"{_EPISODE_SELECT} WHERE {where} ORDER BY {_EPISODE_ORDER[query.sort]} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        ).fetchall()
        return self._with_tags(rows), total

    def episode(self, user_id: int, episode_id: int) -> Row | None:
        rows = self.conn.execute(
            f"{_EPISODE_SELECT} WHERE e.id = ? AND e.user_id = ?", (episode_id, user_id)
        ).fetchall()
        return self._with_tags(rows)[0] if rows else None

    def _with_tags(self, rows: list[Row]) -> list[Row]:
        by_id = {row["id"]: row for row in rows}
        for row in rows:
            row["tags"] = []
        if by_id:
            marks = ", ".join("?" * len(by_id))
            for tag in self.conn.execute(
                "SELECT et.episode_id, t.id, t.name, t.color FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
                f" WHERE et.episode_id IN ({marks}) ORDER BY t.name COLLATE NOCASE, t.id",
                tuple(by_id),
            ):
                by_id[tag.pop("episode_id")]["tags"].append(tag)
        return rows

    def tags(self, user_id: int) -> list[Row]:
        """The user's tags by name, each with how many episodes on the list carry it."""
        return self.conn.execute(
            "SELECT t.id, t.name, t.color, t.created_at, (SELECT COUNT(*) FROM episode_tags et"
            " JOIN episodes e ON e.id = et.episode_id WHERE et.tag_id = t.id AND e.is_deleted = 0) AS episode_count"
            " FROM tags t WHERE t.user_id = ? ORDER BY t.name COLLATE NOCASE, t.id",
            (user_id,),
        ).fetchall()

    def command(self, user_id: int, command_id: str) -> Row | None:
        return self.conn.execute(
            "SELECT id, type, state, reason, episode_id, tag_id, created_at, applied_at FROM commands"
            " WHERE id = ? AND user_id = ?",
            (command_id, user_id),
        ).fetchone()

    def jobs(self, user_id: int, limit: int, offset: int) -> tuple[list[Row], int]:
        """The user's jobs newest first, each with its item count per state, and how many in all."""
        total: int = self.conn.execute(
            "SELECT COUNT(*) AS n FROM jobs WHERE user_id = ?", (user_id,)
        ).fetchone()["n"]
        jobs = self.conn.execute(
            "SELECT id, source, left_out, created_at, updated_at FROM jobs WHERE user_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        by_id = {job["id"]: job for job in jobs}
        for job in jobs:
            job["states"] = {}
        if by_id:
            marks = ", ".join("?" * len(by_id))
            for r in self.conn.execute(
                f"SELECT job_id, state, COUNT(*) AS n FROM job_items WHERE job_id IN ({marks})"
                " GROUP BY job_id, state",
                tuple(by_id),
            ):
                by_id[r["job_id"]]["states"][r["state"]] = r["n"]
        return jobs, total

    def import_report(self, import_id: str) -> Row | None:
        """An import's counts and its skipped rows' reasons, in the order they came."""
        row = self.conn.execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()
        if row is not None:
            row["skipped"] = [
                r["reason"]
                for r in self.conn.execute(
                    "SELECT reason FROM import_skips WHERE import_id = ? ORDER BY sequence, rowid",
                    (import_id,),
                )
            ]
        return row

    def subscriptions(self, user_id: int | None) -> list[Row]:
        """Active subscriptions of one user, or of everyone (user_id None) for the scheduled sync."""
        where, params = (
            ("s.is_active = 1 AND s.user_id = ?", (user_id,))
            if user_id is not None
            else ("s.is_active = 1", ())
        )
        return self.conn.execute(
            "SELECT s.id, s.user_id, s.kind, s.include_shorts, s.feed_url, s.title, s.artwork_url, s.tag,"
            " s.etag, s.last_modified, s.last_sync_at, s.last_status, s.last_error, s.created_at,"
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
            "SELECT i.id, i.job_id, i.url, i.kind, i.media_key, i.tag, i.requeues, i.retries, j.user_id"
            " FROM job_items i"
            " JOIN jobs j ON j.id = i.job_id WHERE i.state = 'queued' AND i.updated_at < ?"
            " ORDER BY i.updated_at LIMIT ?",
            (updated_before, limit),
        ).fetchall()


_EPISODE_SELECT = (
    "SELECT e.id, e.type, e.external_id, e.title, e.description, e.duration, e.thumbnail_url, e.url,"
    " e.upload_date, e.published_date, e.view_count, e.watched, e.watch_status, e.favorite, e.priority,"
    " e.like_status, e.notes, e.is_archived, e.is_deleted, e.is_short, e.partial_metadata, e.created_at,"
    " e.updated_at, c.id AS channel_id, c.name AS channel_name, c.url AS channel_url"
    " FROM episodes e LEFT JOIN channels c ON c.id = e.channel_id"
)
_EPISODE_ORDER = {
    "added": "e.created_at DESC, e.id DESC",
    # Podcasts carry a publication date, videos an upload date; undated episodes come last.
    "published": "COALESCE(e.published_date, e.upload_date) IS NULL, COALESCE(e.published_date, e.upload_date)"
    " DESC, e.id DESC",
    "priority": "CASE e.priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC,"
    " e.created_at DESC, e.id DESC",
}


def _episode_filters(query: ListEpisodes) -> tuple[str, list[Any]]:
    # As in the reference app the list hides the bin and the archive; the bin shows all that is deleted.
    where = ["e.user_id = ?", "e.is_deleted = ?"]
    params: list[Any] = [query.user_id, int(query.deleted)]
    if not query.deleted:
        where.append("e.is_archived = ?")
        params.append(int(query.archived))
    for column, value in (
        ("e.type", query.type),
        ("e.watched", query.watched),
        ("e.watch_status", query.watch_status),
        ("e.favorite", query.favorite),
        ("e.priority", query.priority),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(int(value) if isinstance(value, bool) else value)
    if query.tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
            " WHERE et.episode_id = e.id AND t.name = ? COLLATE NOCASE)"
        )
        params.append(query.tag)
    if query.search:
        # LIKE is case-insensitive for ASCII; the user's % and _ are matched literally.
        pattern = "%" + query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(e.title LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\')")
        params.extend([pattern, pattern])
    return " AND ".join(where), params
