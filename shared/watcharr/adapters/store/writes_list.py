"""The persister's writes to the user's list: episodes as they land, the user's commands, tags."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from watcharr.adapters.store.connection import Row
from watcharr.models.media import ChannelInfo, MediaMetadata

# The fields of an episode the user changes (commands); everything else comes from the source.
_USER_EPISODE_COLUMNS = frozenset(
    {"watched", "watch_status", "favorite", "priority", "like_status", "notes", "is_archived", "is_deleted"}
)
# The fields an add's restore resets, and the column noting when a command last set each.
_SET_AT = {
    "watched": "watch_set_at", "watch_status": "watch_set_at", "is_archived": "archived_set_at",
    "is_deleted": "deleted_set_at",
}  # fmt: skip


class ListWrites:
    """Writes to episodes, channels, commands and tags; part of ``WriteStore``."""

    conn: sqlite3.Connection

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
