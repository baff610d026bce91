"""The persister's writes of a list brought along (imports), merged into what is here."""

from __future__ import annotations

from collections.abc import Iterable

from watcharr.adapters.store.connection import Row
from watcharr.adapters.store.writes_list import _USER_EPISODE_COLUMNS, ListWrites
from watcharr.models.imports import ImportedChannel, ImportedEpisode, ImportedEvent, ImportedTag, ImportedUser

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


class ImportWrites(ListWrites):
    """Writes of imported users, channels, tags, episodes and events; part of ``WriteStore``.

    Built on the list's writes because an imported tag merges into the user's tag of that name.
    """

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
