"""Builds a SQLite file the way the reference app (oliverbarreto/2watcharr v0.6.5) leaves it.

Schema: its ``src/lib/db/schema.sql`` run on a fresh file, then what ``runMigrations`` does on that
fresh install: ``migrations`` first, ``initial_schema`` plus the six legacy names marked done, every
later migration whose column already exists marked done after its ALTER fails with "duplicate column
name", and the two that really change a fresh file applied as it applies them (``add_channel_order``
adds ``channels.custom_order``; ``add_event_metadata`` rebuilds ``media_events``).

Values: ids are uuid v4 text (``default-admin`` for the onboarding user), times are INTEGER unix
seconds (``Math.floor(Date.now() / 1000)``), booleans 0/1, the API token is 64 lowercase hex kept in
plain text, tag colours ``#rrggbb``, ``upload_date`` / ``published_date`` ISO-8601 text.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password TEXT NOT NULL,
  display_name TEXT,
  emoji TEXT,
  color TEXT,
  is_admin BOOLEAN NOT NULL DEFAULT 0,
  api_token TEXT UNIQUE,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE IF NOT EXISTS channels (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL DEFAULT 'video',
  name TEXT NOT NULL,
  description TEXT,
  thumbnail_url TEXT,
  url TEXT NOT NULL,
  favorite BOOLEAN NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE IF NOT EXISTS tags (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  color TEXT,
  user_id TEXT NOT NULL,
  last_used_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  UNIQUE(name, user_id)
);
CREATE TABLE IF NOT EXISTS episodes (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL DEFAULT 'video',
  external_id TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  duration INTEGER,
  thumbnail_url TEXT,
  url TEXT NOT NULL,
  upload_date TEXT,
  published_date TEXT,
  view_count INTEGER,
  channel_id TEXT,
  watched BOOLEAN NOT NULL DEFAULT 0,
  watch_status TEXT NOT NULL DEFAULT 'unwatched',
  favorite BOOLEAN NOT NULL DEFAULT 0,
  is_deleted BOOLEAN NOT NULL DEFAULT 0,
  priority TEXT CHECK(priority IN ('none', 'low', 'medium', 'high')) DEFAULT 'none',
  custom_order INTEGER,
  is_short BOOLEAN NOT NULL DEFAULT 0,
  like_status TEXT CHECK(like_status IN ('none', 'like', 'dislike')) DEFAULT 'none',
  notes TEXT,
  is_archived BOOLEAN NOT NULL DEFAULT 0,
  archived_at INTEGER,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (channel_id) REFERENCES channels(id) ON DELETE SET NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  UNIQUE(external_id, user_id)
);
CREATE TABLE IF NOT EXISTS episode_tags (
  episode_id TEXT NOT NULL,
  tag_id TEXT NOT NULL,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  PRIMARY KEY (episode_id, tag_id),
  FOREIGN KEY (episode_id) REFERENCES episodes(id) ON DELETE CASCADE,
  FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS media_events (
  id TEXT PRIMARY KEY,
  episode_id TEXT,
  title TEXT,
  type TEXT,
  event_type TEXT NOT NULL,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (episode_id) REFERENCES episodes(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS idx_episodes_type ON episodes(type);
CREATE INDEX IF NOT EXISTS idx_episodes_is_short ON episodes(is_short);
CREATE INDEX IF NOT EXISTS idx_episodes_channel_id ON episodes(channel_id);
CREATE INDEX IF NOT EXISTS idx_episodes_watched ON episodes(watched);
CREATE INDEX IF NOT EXISTS idx_episodes_watch_status ON episodes(watch_status);
CREATE INDEX IF NOT EXISTS idx_episodes_is_deleted ON episodes(is_deleted);
CREATE INDEX IF NOT EXISTS idx_episodes_favorite ON episodes(favorite);
CREATE INDEX IF NOT EXISTS idx_episodes_priority ON episodes(priority);
CREATE INDEX IF NOT EXISTS idx_episodes_like_status ON episodes(like_status);
CREATE INDEX IF NOT EXISTS idx_episodes_is_archived ON episodes(is_archived);
CREATE INDEX IF NOT EXISTS idx_episodes_archived_at ON episodes(archived_at);
CREATE INDEX IF NOT EXISTS idx_episodes_created_at ON episodes(created_at);
CREATE INDEX IF NOT EXISTS idx_episode_tags_tag_id ON episode_tags(tag_id);
CREATE INDEX IF NOT EXISTS idx_tags_user_id ON tags(user_id);
CREATE INDEX IF NOT EXISTS idx_media_events_episode_id ON media_events(episode_id);
CREATE INDEX IF NOT EXISTS idx_media_events_type ON media_events(type);
CREATE INDEX IF NOT EXISTS idx_media_events_created_at ON media_events(created_at);
CREATE INDEX IF NOT EXISTS idx_channels_type ON channels(type);
CREATE TABLE IF NOT EXISTS labcastarr_integrations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  api_url TEXT NOT NULL,
  api_token TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  auto_tag TEXT NOT NULL DEFAULT '2WatchARR',
  audio_quality TEXT NOT NULL DEFAULT 'default',
  audio_language TEXT NOT NULL DEFAULT 'default',
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  channel_name TEXT,
  executed_by TEXT,
  description TEXT,
  episode_id TEXT,
  is_read BOOLEAN NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  FOREIGN KEY (episode_id) REFERENCES episodes(id) ON DELETE SET NULL
);
"""

# A fresh install's migration log, in the order runMigrations writes it.
MIGRATION_NAMES: tuple[str, ...] = (
    "initial_schema", "allow_channel_deletion", "add_view_count", "add_is_deleted", "add_video_events",
    "add_podcast_support", "add_user_management", "add_watch_status", "add_channel_order", "add_api_token",
    "add_event_metadata", "add_is_short", "add_episode_notes", "add_like_status", "add_tag_last_used_at",
    "add_archive_fields", "add_labcastarr_integrations", "add_notifications", "add_channel_favorite",
)  # fmt: skip

_EVENT_METADATA_REBUILD = """
CREATE TABLE media_events_new (
  id TEXT PRIMARY KEY, episode_id TEXT, title TEXT, type TEXT, event_type TEXT NOT NULL,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  FOREIGN KEY (episode_id) REFERENCES episodes(id) ON DELETE SET NULL
);
INSERT INTO media_events_new (id, episode_id, title, type, event_type, created_at)
  SELECT me.id, me.episode_id, e.title, e.type, me.type, me.created_at
  FROM media_events me LEFT JOIN episodes e ON me.episode_id = e.id;
DROP TABLE media_events;
ALTER TABLE media_events_new RENAME TO media_events;
CREATE INDEX IF NOT EXISTS idx_media_events_episode_id ON media_events(episode_id);
CREATE INDEX IF NOT EXISTS idx_media_events_event_type ON media_events(event_type);
CREATE INDEX IF NOT EXISTS idx_media_events_created_at ON media_events(created_at);
"""

# 2026-02-05 10:00:00 UTC, when the reference app's API tokens shipped (v0.3.1).
BASE_TS = 1770285600


def create_reference_schema(path: Path, extra_migrations: tuple[str, ...] = ()) -> None:
    """An empty reference database: schema.sql plus a fresh install's migrations."""
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "name TEXT NOT NULL UNIQUE, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))"
        )
        db.executescript(SCHEMA_SQL)
        db.execute("ALTER TABLE channels ADD COLUMN custom_order INTEGER")
        db.executescript(_EVENT_METADATA_REBUILD)
        for name in (*MIGRATION_NAMES, *extra_migrations):
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, BASE_TS))
        db.commit()
    finally:
        db.close()


@dataclass
class ReferenceFixture:
    """What was written, so tests can compare every field the reader yields."""

    path: Path
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)
    episodes: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    tags: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    tag_links: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    channels: list[dict[str, object]] = field(default_factory=list)


_STATES = [  # (watched, watch_status, favorite, is_deleted, priority, like_status, is_archived)
    (w, s, f, d, p, lk, a)
    for (w, s) in ((0, "unwatched"), (0, "pending"), (1, "watched"))
    for f in (0, 1)
    for d in (0, 1)
    for p, lk, a in (("none", "none", 0), ("high", "like", 1), ("low", "dislike", 0), ("medium", "none", 0))
]


def build_reference_db(path: Path, episodes_per_user: int = 50) -> ReferenceFixture:
    """A reference database with two users, their channels, tags, episodes in every state and events."""
    create_reference_schema(path)
    fixture = ReferenceFixture(path=path)
    db = sqlite3.connect(path)
    try:
        channels = [
            ("UCuAXFkgsw1L7xaCfnd5JJOw", "video", "Rick Astley", "https://www.youtube.com/@RickAstleyYT"),
            ("UCsXVk37bltHxD1rDPwtNM8Q", "video", "Kurzgesagt – In a Nutshell", "https://www.youtube.com/@kurzgesagt"),
            ("podcast-1200361736", "podcast", "The Daily", "https://podcasts.apple.com/podcast/id1200361736"),
        ]  # fmt: skip
        for i, (cid, ctype, name, url) in enumerate(channels):
            row = {"id": cid, "type": ctype, "name": name, "description": f"About {name}", "url": url,
                   "thumbnail_url": f"https://img.example/{i}.jpg", "created_at": BASE_TS + i,
                   "updated_at": BASE_TS + 100 + i}  # fmt: skip
            db.execute(
                "INSERT INTO channels (id, type, name, description, thumbnail_url, url, favorite, created_at, "
                "updated_at, custom_order) VALUES (:id, :type, :name, :description, :thumbnail_url, :url, 0, "
                ":created_at, :updated_at, NULL)",
                row,
            )
            fixture.channels.append(row)
        users = [("default-admin", "admin", "System Admin", 1), (str(uuid.uuid4()), "ana", "Ana Núñez", 0)]
        for u_index, (uid, username, display, admin) in enumerate(users):
            token = secrets.token_hex(32)
            fixture.tokens[username] = token
            fixture.user_ids[username] = uid
            db.execute(
                "INSERT INTO users (id, username, password, display_name, emoji, color, is_admin, api_token, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, username, "$2b$10$" + "x" * 53, display, "🦊", "#ef4444", admin, token,
                 BASE_TS + u_index, BASE_TS + 10 + u_index),
            )  # fmt: skip
            _fill_user(db, fixture, uid, username, u_index, episodes_per_user, channels)
        db.commit()
    finally:
        db.close()
    return fixture


def _fill_user(
    db: sqlite3.Connection,
    fixture: ReferenceFixture,
    uid: str,
    username: str,
    u_index: int,
    count: int,
    channels: list[tuple[str, str, str, str]],
) -> None:
    tags = []
    for t, (name, color) in enumerate((("Música", "#22c55e"), ("=SUM(A1)", "#3b82f6"), ("later", None))):
        tag = {"id": str(uuid.uuid4()), "name": name, "color": color, "created_at": BASE_TS + 20 + t,
               "last_used_at": BASE_TS + 5000 + t if t < 2 else None}  # fmt: skip
        db.execute(
            "INSERT INTO tags (id, name, color, user_id, last_used_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (tag["id"], name, color, uid, tag["last_used_at"], tag["created_at"]),
        )
        tags.append(tag)
    fixture.tags[username] = tags
    episodes: list[dict[str, object]] = []
    links: list[tuple[str, str, int]] = []
    events: list[dict[str, object]] = []
    for n in range(count):
        watched, status, fav, deleted, prio, like, archived = _STATES[n % len(_STATES)]
        cid, ctype, _name, _url = channels[n % len(channels)]
        created = BASE_TS + 86400 * n + 3600 * u_index
        external = f"vid{u_index}{n:07d}"[:11] if ctype == "video" else f"https://feeds.example/ep/{n}.mp3"
        row: dict[str, object] = {
            "id": str(uuid.uuid4()), "type": ctype, "external_id": external, "title": f"Episode {n} of {username}",
            "description": None if n % 7 == 0 else f"Line one\nline two of {n}",
            "duration": None if n % 9 == 0 else 60 * n + 7,
            "thumbnail_url": f"https://i.ytimg.com/vi/{external}/hqdefault.jpg" if ctype == "video" else None,
            "url": f"https://www.youtube.com/watch?v={external}" if ctype == "video" else external,
            "upload_date": None if n % 5 == 0 else f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "published_date": None if n % 4 == 0 else f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T08:30:00.000Z",
            "view_count": None if n % 6 == 0 else 1000 * n, "channel_id": None if n == 3 else cid,
            "watched": watched, "watch_status": status, "favorite": fav, "is_deleted": deleted, "priority": prio,
            "custom_order": n if n % 3 == 0 else None, "is_short": 1 if n % 10 == 1 and ctype == "video" else 0,
            "like_status": like, "notes": None if n % 2 else f"note {n}: =HYPERLINK(\"x\")", "is_archived": archived,
            "archived_at": created + 500 if archived else None, "user_id": uid, "created_at": created,
            "updated_at": created + 60,
        }  # fmt: skip
        cols = ", ".join(row)
        db.execute(f"INSERT INTO episodes ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        episodes.append(row)
        for t, tag in enumerate(tags):
            if (n + t) % 3 == 0:
                db.execute(
                    "INSERT INTO episode_tags (episode_id, tag_id, created_at) VALUES (?, ?, ?)",
                    (row["id"], tag["id"], created + 1),
                )
                links.append((str(row["id"]), str(tag["id"]), created + 1))
        for offset, kind in ((0, "added"), (30, "watched" if watched else "pending" if status == "pending" else None),
                             (40, "favorited" if fav else None), (50, "removed" if deleted else None)):  # fmt: skip
            if kind:
                event = {"id": str(uuid.uuid4()), "episode_id": row["id"], "title": row["title"], "type": ctype,
                         "event_type": kind, "created_at": created + offset}  # fmt: skip
                db.execute(
                    "INSERT INTO media_events (id, episode_id, title, type, event_type, created_at) "
                    "VALUES (:id, :episode_id, :title, :type, :event_type, :created_at)",
                    event,
                )
                events.append(event)
    # The history of an episode deleted for good: the reference keeps it with episode_id NULL.
    gone = {"id": str(uuid.uuid4()), "episode_id": None, "title": "A video removed for good", "type": "video",
            "event_type": "removed", "created_at": BASE_TS + 7}  # fmt: skip
    db.execute(
        "INSERT INTO media_events (id, episode_id, title, type, event_type, created_at) "
        "VALUES (:id, :episode_id, :title, :type, :event_type, :created_at)",
        gone,
    )
    fixture.episodes[username] = episodes
    fixture.tag_links[username] = links
    fixture.events[username] = events
