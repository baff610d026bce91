"""What the importers read, typed once for the readers and for the messages built from them.

A 2watcharr database yields, per user, ``ReferenceImportChunk``s: their tags first, then at most
``MAX_EPISODES_PER_IMPORT_CHUNK`` episodes (and ``MAX_IMPORT_CHUNK_BYTES`` of JSON) each, carrying the
channels, tags, tag links and media events those episodes need, so every chunk can become one FIFO
message that applies on its own.
Times are this project's ISO-8601 UTC millisecond strings (``2026-02-05T10:00:00.000Z``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from watcharr.models.media import MediaType

# ---- import limits (see limits.py for the system-wide ones) -------------------------------------

# One import message carries at most this many episodes, so it stays far below MAX_MESSAGE_BYTES
# (a reference episode with a 5,000-char description and notes is ~8 KiB).
MAX_EPISODES_PER_IMPORT_CHUNK = 100
# A chunk's JSON stays under this, leaving room below MAX_MESSAGE_BYTES for the message around it:
# 100 episodes with full 5,000-char descriptions would not fit, so such a chunk is halved.
MAX_IMPORT_CHUNK_BYTES = 150 * 1024
# The user's tags travel first, this many to a chunk (a tag is at most a few hundred bytes).
MAX_TAGS_PER_IMPORT_CHUNK = 500
# A reference database larger than this is not a list one person keeps; refuse it before reading.
MAX_REFERENCE_DB_BYTES = 2 * 1024**3

WatchStatus = Literal["unwatched", "pending", "watched"]
Priority = Literal["none", "low", "medium", "high"]
LikeStatus = Literal["none", "like", "dislike"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImportedUser(_Frozen):
    """A reference user. The plain API token never leaves the reader: only its SHA-256 does."""

    source_id: str
    username: str
    display_name: str | None = None
    is_admin: bool = False
    token_hash: str | None = None
    # Why the token could not come along (it then stays None), for the import report.
    token_problem: str | None = None
    created_at: str
    updated_at: str


class ImportedChannel(_Frozen):
    id: str
    type: MediaType
    name: str
    description: str | None = None
    thumbnail_url: str | None = None
    url: str
    created_at: str
    updated_at: str


class ImportedTag(_Frozen):
    source_id: str
    name: str
    color: str | None = None
    created_at: str
    last_used_at: str | None = None


class ImportedEpisode(_Frozen):
    """One episode with every state field the reference keeps."""

    source_id: str
    type: MediaType
    external_id: str
    title: str
    description: str | None = None
    duration: int | None = None
    thumbnail_url: str | None = None
    url: str
    upload_date: str | None = None
    published_date: str | None = None
    view_count: int | None = None
    channel_id: str | None = None
    watched: bool = False
    watch_status: WatchStatus = "unwatched"
    favorite: bool = False
    is_deleted: bool = False
    priority: Priority = "none"
    custom_order: int | None = None
    is_short: bool = False
    like_status: LikeStatus = "none"
    notes: str | None = None
    is_archived: bool = False
    archived_at: str | None = None
    created_at: str
    updated_at: str


class ImportedTagLink(_Frozen):
    episode_source_id: str
    tag_source_id: str
    created_at: str


class ImportedEvent(_Frozen):
    """A media event. ``episode_source_id`` is None when the episode was deleted for good."""

    source_id: str
    episode_source_id: str | None
    event_type: str
    title: str | None = None
    media_type: str | None = None
    created_at: str


class ReferenceImportChunk(_Frozen):
    """A bounded part of one user's list, ready to become one import message."""

    user: ImportedUser
    sequence: int
    channels: list[ImportedChannel] = Field(default_factory=list)
    tags: list[ImportedTag] = Field(default_factory=list)
    episodes: list[ImportedEpisode] = Field(default_factory=list, max_length=MAX_EPISODES_PER_IMPORT_CHUNK)
    tag_links: list[ImportedTagLink] = Field(default_factory=list)
    events: list[ImportedEvent] = Field(default_factory=list)
    # Rows of this user the reader could not take, with a plain reason each.
    skipped: list[str] = Field(default_factory=list)


class TakeoutPlaylist(_Frozen):
    """One playlist CSV of a Takeout: its name (from the file name) and its videos in file order."""

    name: str
    source_file: str
    video_ids: list[str]
    added_at: list[str | None]
    malformed_rows: int = 0


class WatchedVideo(_Frozen):
    video_id: str
    watched_at: str | None
    title: str | None = None


class TakeoutContents(_Frozen):
    """What a Takeout holds for this project, with counts of what was left out and why."""

    playlists: list[TakeoutPlaylist] = Field(default_factory=list)
    history: list[WatchedVideo] = Field(default_factory=list)
    history_without_video: int = 0
    history_malformed: int = 0
    problems: list[str] = Field(default_factory=list)


class OpmlSubscription(_Frozen):
    """One podcast subscription as OPML carries it."""

    xml_url: str
    title: str | None = None
    html_url: str | None = None
