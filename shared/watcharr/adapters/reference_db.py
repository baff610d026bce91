"""Reads a reference app's database (oliverbarreto/2watcharr v0.6.5, SQLite) without changing it.

The file is opened read-only (SQLite URI ``mode=ro``), so a mistaken path or a running reference app
is never written to. It must carry the reference's ``migrations`` table with exactly the migrations a
v0.6.5 install records; a migration name we do not know means a newer schema and is refused, as is a
file that lacks the log (not a 2watcharr database) or an older one that still misses migrations.

How the reference stores each field, and what the reader turns it into:

- ids: TEXT uuid v4 for users (the onboarding user is ``default-admin``), episodes, tags and events;
  channel ids are the YouTube channel id or the podcast id. Kept as ``source_id`` text: the importer
  maps them to this project's integer ids, and merges episodes by ``external_id``.
- times (``created_at``, ``updated_at``, ``archived_at``, ``last_used_at``, events' ``created_at``):
  INTEGER unix seconds (``Math.floor(Date.now() / 1000)``) → ISO-8601 UTC with milliseconds, as
  ``messages.utc_now`` writes them (``1770285600`` → ``2026-02-05T10:00:00.000Z``).
- ``upload_date`` / ``published_date``: TEXT as the reference got it; yt-dlp's ``YYYYMMDD`` becomes
  ``YYYY-MM-DD`` (as this project's extractor writes it), anything else is kept as is.
- booleans (``is_admin``, ``watched``, ``favorite``, ``is_deleted``, ``is_short``, ``is_archived``):
  INTEGER 0/1 → ``bool``.
- ``watch_status`` 'unwatched' | 'pending' | 'watched'; ``priority`` 'none' | 'low' | 'medium' | 'high'
  (NULL read as 'none'); ``like_status`` 'none' | 'like' | 'dislike' (NULL read as 'none'): kept.
- ``users.api_token``: 64 hex kept in plain text → only its SHA-256 (``domain.tokens.hash_token``)
  leaves this module, so the same token authenticates here; a token that is not 64 hex is dropped
  with a reason. Passwords (bcrypt) are never read.
- tags: ``name`` and ``color`` ('#rrggbb' or NULL) per user; ``episode_tags`` links with their time.
- ``media_events``: ``event_type`` with ``title`` and ``type`` kept for episodes deleted for good,
  whose ``episode_id`` is NULL; those cannot be tied to a user (the table has no user column) and
  are counted in ``orphan_events``.

Each user's list comes in ``ReferenceImportChunk``s: first their tags, then episodes (at most
``MAX_EPISODES_PER_IMPORT_CHUNK`` and ``MAX_IMPORT_CHUNK_BYTES`` each) with the channels, tags, tag
links and events those episodes need, so each chunk applies on its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import ValidationError

from watcharr.domain.tokens import hash_token, is_well_formed
from watcharr.models.imports import (
    MAX_EPISODES_PER_IMPORT_CHUNK,
    MAX_IMPORT_CHUNK_BYTES,
    MAX_REFERENCE_DB_BYTES,
    MAX_TAGS_PER_IMPORT_CHUNK,
    ImportedChannel,
    ImportedEpisode,
    ImportedEvent,
    ImportedTag,
    ImportedTagLink,
    ImportedUser,
    ReferenceImportChunk,
)

REFERENCE_VERSION = "2watcharr v0.6.5"
# The migration log of a v0.6.5 database, whether installed fresh or upgraded from an older one.
KNOWN_MIGRATIONS: frozenset[str] = frozenset(
    {
        "initial_schema", "allow_channel_deletion", "add_view_count", "add_is_deleted", "add_video_events",
        "add_podcast_support", "add_user_management", "add_watch_status", "add_channel_order", "add_api_token",
        "add_event_metadata", "add_is_short", "add_episode_notes", "add_like_status", "add_tag_last_used_at",
        "add_archive_fields", "add_labcastarr_integrations", "add_notifications", "add_channel_favorite",
    }
)  # fmt: skip
_REQUIRED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"id", "username", "display_name", "is_admin", "api_token", "created_at", "updated_at"}),
    "channels": frozenset({"id", "type", "name", "description", "thumbnail_url", "url", "created_at", "updated_at"}),
    "tags": frozenset({"id", "name", "color", "user_id", "last_used_at", "created_at"}),
    "episodes": frozenset(
        {
            "id", "type", "external_id", "title", "description", "duration", "thumbnail_url", "url", "upload_date",
            "published_date", "view_count", "channel_id", "watched", "watch_status", "favorite", "is_deleted",
            "priority", "custom_order", "is_short", "like_status", "notes", "is_archived", "archived_at", "user_id",
            "created_at", "updated_at",
        }
    ),
    "episode_tags": frozenset({"episode_id", "tag_id", "created_at"}),
    "media_events": frozenset({"id", "episode_id", "title", "type", "event_type", "created_at"}),
}  # fmt: skip


class ReferenceDbError(ValueError):
    """The file cannot be imported; the message says why in plain words."""


class NotAReferenceDatabase(ReferenceDbError):
    """The file is not a 2watcharr database at all."""


class UnknownReferenceSchema(ReferenceDbError):
    """A 2watcharr database, but of a schema version this importer does not know."""


def unix_seconds_to_iso(value: object) -> str:
    """Unix seconds (the reference's INTEGER times) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"time {value!r} is not unix seconds")
    moment = datetime.fromtimestamp(value, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _optional_time(value: object) -> str | None:
    return None if value is None else unix_seconds_to_iso(value)


def _media_date(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


class ReferenceDatabase:
    """An open, checked reference database. Use as a context manager; it only ever reads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NotAReferenceDatabase(f"{self.path} does not exist or is not a file")
        size = self.path.stat().st_size
        if size > MAX_REFERENCE_DB_BYTES:
            raise ReferenceDbError(
                f"{self.path} is {size} bytes; the limit is {MAX_REFERENCE_DB_BYTES} bytes"
            )
        with self.path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise NotAReferenceDatabase(
                    f"{self.path} is not a SQLite database, so not a 2watcharr database"
                )
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True)
        self._db.row_factory = sqlite3.Row
        try:
            self._check_schema()
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> ReferenceDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # ---- checks -------------------------------------------------------------------------------

    def _check_schema(self) -> None:
        try:
            tables = {
                row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.DatabaseError as exc:
            raise NotAReferenceDatabase(f"{self.path} cannot be read as SQLite ({exc})") from exc
        if "migrations" not in tables or not {"users", "episodes"} <= tables:
            raise NotAReferenceDatabase(
                f"{self.path} is a SQLite file but not a 2watcharr database (no migrations, users and episodes tables)"
            )
        applied = {row[0] for row in self._db.execute("SELECT name FROM migrations")}
        unknown = sorted(applied - KNOWN_MIGRATIONS)
        if unknown:
            raise UnknownReferenceSchema(
                f"{self.path} has migrations this importer does not know ({', '.join(unknown)}): it is newer than "
                f"{REFERENCE_VERSION}, the version this importer reads"
            )
        missing = sorted(KNOWN_MIGRATIONS - applied)
        if missing:
            raise UnknownReferenceSchema(
                f"{self.path} is older than {REFERENCE_VERSION} (missing migrations: {', '.join(missing)}); start "
                f"{REFERENCE_VERSION} on it once so it migrates, then import it"
            )
        for table, columns in _REQUIRED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if not columns <= present:
                raise UnknownReferenceSchema(
                    f"{self.path}: table {table} lacks {', '.join(sorted(columns - present))}, so its schema is not "
                    f"{REFERENCE_VERSION}'s"
                )

    # ---- reading ------------------------------------------------------------------------------

    @property
    def orphan_events(self) -> int:
        """Events of episodes deleted for good: no user can be told from them, so none imports them."""
        return int(
            self._db.execute("SELECT COUNT(*) FROM media_events WHERE episode_id IS NULL").fetchone()[0]
        )

    def users(self) -> list[ImportedUser]:
        """Every user, oldest first, with the SHA-256 of their API token (never the token)."""
        rows = self._db.execute(
            "SELECT id, username, display_name, is_admin, api_token, created_at, updated_at FROM users "
            "ORDER BY created_at, id"
        )
        return [self._user(row) for row in rows]

    def _user(self, row: sqlite3.Row) -> ImportedUser:
        token = row["api_token"]
        problem = None
        if token is not None and not is_well_formed(token):
            problem = "its API token is not 64 hex characters, so it cannot work here; create a new one"
        return ImportedUser(
            source_id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            is_admin=bool(row["is_admin"]),
            token_hash=hash_token(token) if token is not None and problem is None else None,
            token_problem=problem,
            created_at=unix_seconds_to_iso(row["created_at"]),
            updated_at=unix_seconds_to_iso(row["updated_at"]),
        )

    def chunks(
        self, user: ImportedUser, size: int = MAX_EPISODES_PER_IMPORT_CHUNK
    ) -> Iterator[ReferenceImportChunk]:
        """One user's list as bounded chunks: first the user's tags, then episodes oldest first.

        Tag chunks hold at most ``MAX_TAGS_PER_IMPORT_CHUNK`` tags (always at least one chunk, so a
        user without tags or episodes still comes); episode chunks at most ``size`` episodes and
        ``MAX_IMPORT_CHUNK_BYTES`` of JSON (a chunk past it is halved). The same file yields the
        same chunks, so a chunk's ``sequence`` can key its message.
        """
        size = max(1, min(size, MAX_EPISODES_PER_IMPORT_CHUNK))
        tags, skipped = self._tags(user.source_id)
        tag_list = list(tags.values())
        sequence = 0
        for start in range(0, max(len(tag_list), 1), MAX_TAGS_PER_IMPORT_CHUNK):
            part = tag_list[start : start + MAX_TAGS_PER_IMPORT_CHUNK]
            yield ReferenceImportChunk(
                user=user, sequence=sequence, tags=part, skipped=skipped if start == 0 else []
            )
            sequence += 1
        cursor = self._db.execute(
            "SELECT * FROM episodes WHERE user_id = ? ORDER BY created_at, id", (user.source_id,)
        )
        while rows := cursor.fetchmany(size):
            for chunk in self._bounded(user, sequence, rows, tags):
                yield chunk
                sequence += 1

    def _bounded(
        self, user: ImportedUser, sequence: int, rows: list[sqlite3.Row], tags: dict[str, ImportedTag]
    ) -> list[ReferenceImportChunk]:
        chunk = self._chunk(user, sequence, rows, tags)
        if len(chunk.model_dump_json()) <= MAX_IMPORT_CHUNK_BYTES:
            return [chunk]
        if len(rows) == 1:
            reason = (
                f"episode {rows[0]['id']} ({rows[0]['external_id']}): with its events it is larger than one "
                f"import message may be ({MAX_IMPORT_CHUNK_BYTES} bytes)"
            )
            return [ReferenceImportChunk(user=user, sequence=sequence, skipped=[reason])]
        half = len(rows) // 2
        first = self._bounded(user, sequence, rows[:half], tags)
        return first + self._bounded(user, sequence + len(first), rows[half:], tags)

    def _tags(self, user_id: str) -> tuple[dict[str, ImportedTag], list[str]]:
        skipped: list[str] = []
        rows = list(
            self._db.execute("SELECT * FROM tags WHERE user_id = ? ORDER BY created_at, id", (user_id,))
        )
        tags = _each(rows, _tag, "tag {id} ({name!r})", skipped)
        return {tag.source_id: tag for tag in tags}, skipped

    def _chunk(
        self,
        user: ImportedUser,
        sequence: int,
        rows: list[sqlite3.Row],
        all_tags: dict[str, ImportedTag],
    ) -> ReferenceImportChunk:
        skipped: list[str] = []
        episodes = _each(rows, _episode, "episode {id} ({external_id})", skipped)
        ids = [episode.source_id for episode in episodes]
        links = [link for link in self._links(ids) if link.tag_source_id in all_tags]
        linked_tags = {link.tag_source_id for link in links}
        tags = [tag for tag_id, tag in all_tags.items() if tag_id in linked_tags]
        channel_ids = sorted({e.channel_id for e in episodes if e.channel_id})
        channels = self._channels(channel_ids, skipped)
        known_channels = {channel.id for channel in channels}
        episodes = [
            e
            if e.channel_id is None or e.channel_id in known_channels
            else e.model_copy(update={"channel_id": None})
            for e in episodes
        ]
        return ReferenceImportChunk(
            user=user,
            sequence=sequence,
            channels=channels,
            tags=tags,
            episodes=episodes,
            tag_links=links,
            events=self._events(ids, skipped),
            skipped=skipped,
        )

    def _in(self, sql: str, ids: list[str]) -> list[sqlite3.Row]:
        if not ids:
            return []
        return list(self._db.execute(sql.format(marks=", ".join("?" * len(ids))), ids))

    def _links(self, episode_ids: list[str]) -> list[ImportedTagLink]:
        rows = self._in(
            "SELECT * FROM episode_tags WHERE episode_id IN ({marks}) ORDER BY episode_id, tag_id",
            episode_ids,
        )
        return [
            ImportedTagLink(
                episode_source_id=row["episode_id"],
                tag_source_id=row["tag_id"],
                created_at=unix_seconds_to_iso(row["created_at"]),
            )
            for row in rows
        ]

    def _channels(self, channel_ids: list[str], skipped: list[str]) -> list[ImportedChannel]:
        rows = self._in("SELECT * FROM channels WHERE id IN ({marks}) ORDER BY id", channel_ids)
        return _each(rows, _channel, "channel {id} (its episodes come without a channel)", skipped)

    def _events(self, episode_ids: list[str], skipped: list[str]) -> list[ImportedEvent]:
        sql = "SELECT * FROM media_events WHERE episode_id IN ({marks}) ORDER BY created_at, id"
        return _each(self._in(sql, episode_ids), _event, "event {id}", skipped)


_Model = TypeVar("_Model")


def _each(
    rows: list[sqlite3.Row], build: Callable[[sqlite3.Row], _Model], what: str, skipped: list[str]
) -> list[_Model]:
    """Each row converted; a row that cannot be is left out, its reason added to ``skipped``."""
    converted: list[_Model] = []
    for row in rows:
        try:
            converted.append(build(row))
        except (ValueError, ValidationError) as exc:
            skipped.append(f"{what.format(**dict(row))}: {_reason(exc)}")
    return converted


def _channel(row: sqlite3.Row) -> ImportedChannel:
    return ImportedChannel(
        **{name: row[name] for name in ("id", "type", "name", "description", "thumbnail_url", "url")},
        created_at=unix_seconds_to_iso(row["created_at"]),
        updated_at=unix_seconds_to_iso(row["updated_at"]),
    )


def _tag(row: sqlite3.Row) -> ImportedTag:
    return ImportedTag(
        source_id=row["id"],
        name=row["name"],
        color=row["color"],
        created_at=unix_seconds_to_iso(row["created_at"]),
        last_used_at=_optional_time(row["last_used_at"]),
    )


def _event(row: sqlite3.Row) -> ImportedEvent:
    return ImportedEvent(
        source_id=row["id"],
        episode_source_id=row["episode_id"],
        event_type=row["event_type"],
        title=row["title"],
        media_type=row["type"],
        created_at=unix_seconds_to_iso(row["created_at"]),
    )


def _episode(row: sqlite3.Row) -> ImportedEpisode:
    values: dict[str, Any] = dict(row)
    return ImportedEpisode(
        source_id=values["id"],
        type=values["type"],
        external_id=values["external_id"],
        title=values["title"],
        description=values["description"],
        duration=values["duration"],
        thumbnail_url=values["thumbnail_url"],
        url=values["url"],
        upload_date=_media_date(values["upload_date"]),
        published_date=_media_date(values["published_date"]),
        view_count=values["view_count"],
        channel_id=values["channel_id"],
        watched=bool(values["watched"]),
        watch_status=values["watch_status"],
        favorite=bool(values["favorite"]),
        is_deleted=bool(values["is_deleted"]),
        priority=values["priority"] or "none",
        custom_order=values["custom_order"],
        is_short=bool(values["is_short"]),
        like_status=values["like_status"] or "none",
        notes=values["notes"],
        is_archived=bool(values["is_archived"]),
        archived_at=_optional_time(values["archived_at"]),
        created_at=unix_seconds_to_iso(values["created_at"]),
        updated_at=unix_seconds_to_iso(values["updated_at"]),
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"
    return str(exc)


def open_reference_db(path: Path | str) -> ReferenceDatabase:
    """Open and check a reference database read-only; raises ``ReferenceDbError`` with a plain reason."""
    return ReferenceDatabase(path)
