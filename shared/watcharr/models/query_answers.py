"""The answers of the QueryFunction's queries (``models.queries``), as the wire carries them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from watcharr.models.messages import LikeStatus, Priority, SubscriptionKind, WatchStatus


class _Answer(BaseModel):
    """Fields are snake_case in Python and camelCase on the wire, as the API shows them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict the QueryFunction returns."""
        return self.model_dump(mode="json", by_alias=True)


class _Row(BaseModel):
    """Rows handed to the scheduler as the database names them (snake_case on the wire too)."""

    model_config = ConfigDict(frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class UserView(_Answer):
    id: int
    username: str
    token_hash: str


class AuthAnswer(_Answer):
    found: bool
    user: UserView | None = None


class NamedUser(_Row):
    id: int
    username: str


class UserByNameAnswer(_Row):
    found: bool
    user: NamedUser | None = None


class JobItemView(_Answer):
    id: str
    url: str
    kind: str
    state: str
    title: str | None
    reason: str | None
    attempts: int
    parent_id: str | None
    episode_id: int | None
    type: str | None
    channel: str | None
    # What a retry of the item sends again: its key, its tag, and the number of retries so far.
    media_key: str | None = None
    tag: str | None = None
    retries: int = 0


class JobTotals(_Answer):
    queued: int = 0
    expanded: int = 0
    added: int = 0
    restored: int = 0
    failed: int = 0


class JobSummary(_Answer):
    job_id: str
    source: str
    created_at: str
    updated_at: str
    status: Literal["running", "done"]
    total: int
    done: int
    left_out: int
    totals: JobTotals


class JobView(JobSummary):
    items: list[JobItemView]


class JobAnswer(_Answer):
    found: bool
    job: JobView | None = None


class JobsAnswer(_Answer):
    jobs: list[JobSummary]
    total: int


class ChannelView(_Answer):
    id: str
    name: str | None
    url: str | None


class TagRef(_Answer):
    id: int
    name: str
    color: str | None


class EpisodeView(_Answer):
    id: int
    type: Literal["video", "podcast"]
    external_id: str
    title: str
    description: str | None
    duration: int | None
    thumbnail_url: str | None
    url: str
    upload_date: str | None
    published_date: str | None
    view_count: int | None
    channel: ChannelView | None
    watched: bool
    watch_status: WatchStatus
    favorite: bool
    priority: Priority
    like_status: LikeStatus
    notes: str | None
    is_archived: bool
    is_deleted: bool
    is_short: bool
    partial_metadata: bool
    created_at: str
    updated_at: str
    # Tag names, as the list has always answered; `tag_details` carries {id, name, color} for each.
    tags: list[str]
    tag_details: list[TagRef]


class EpisodesAnswer(_Answer):
    episodes: list[EpisodeView]
    total: int = 0


class EpisodeAnswer(_Answer):
    found: bool
    episode: EpisodeView | None = None


class TagView(TagRef):
    episode_count: int
    created_at: str


class TagsAnswer(_Answer):
    tags: list[TagView]


class CommandView(_Answer):
    id: str
    type: str
    state: Literal["applied", "failed"]
    reason: str | None
    episode_id: int | None
    tag_id: int | None
    created_at: str
    applied_at: str


class CommandAnswer(_Answer):
    found: bool
    command: CommandView | None = None
    # With ``with_episode``: the command's episode as it is now (None when it is gone or has none).
    episode: EpisodeView | None = None


class SubscriptionView(_Answer):
    id: str
    user_id: int
    kind: SubscriptionKind = "podcast"
    include_shorts: bool = True
    feed_url: str
    title: str | None
    artwork_url: str | None
    tag: str | None
    etag: str | None
    last_modified: str | None
    last_sync_at: str | None
    last_status: str | None
    last_error: str | None
    episode_count: int
    created_at: str
    seen_keys: list[str] | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", by_alias=True, exclude={"seen_keys"} if self.seen_keys is None else None
        )


class SubscriptionsAnswer(_Answer):
    subscriptions: list[SubscriptionView]

    def wire(self) -> dict[str, Any]:
        return {"subscriptions": [s.wire() for s in self.subscriptions]}


class StaleItem(_Row):
    id: str
    job_id: str
    url: str
    kind: str
    media_key: str | None
    tag: str | None
    requeues: int
    user_id: int
    retries: int = 0


class StaleItemsAnswer(_Row):
    items: list[StaleItem]


class PartialEpisode(_Row):
    id: int
    user_id: int
    external_id: str
    url: str


class PartialEpisodesAnswer(_Row):
    episodes: list[PartialEpisode]


class ImportReport(_Answer):
    """What an import brought: counts so far, and each row left out with its reason."""

    id: str
    source: str
    user_id: int | None
    user_outcome: Literal["created", "merged"] | None
    chunks: int
    episodes_imported: int
    episodes_merged: int
    tags_imported: int
    tags_merged: int
    channels: int
    tag_links: int
    events: int
    watched_marked: int
    not_on_list: int
    skipped: list[str]
    created_at: str
    updated_at: str


class ImportAnswer(_Answer):
    found: bool
    report: ImportReport | None = None


class DeadLetter(_Row):
    message_id: str
    body: str
    reason: str
    type: str | None
    received_at: str


class DeadLettersAnswer(_Row):
    dead_letters: list[DeadLetter]
    total: int


Answer = _Answer | _Row
