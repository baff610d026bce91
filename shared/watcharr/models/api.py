"""Bodies and answers of the HTTP API, compatible with the 2watcharr Shortcuts people already have."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from watcharr import limits
from watcharr.models.messages import CommandId, LikeStatus, Priority, TagColor, WatchStatus

# The url field may carry a whole share-sheet text around the link, so it may be longer than a URL.
MAX_SHARE_TEXT_LENGTH = 2 * limits.MAX_URL_LENGTH
MAX_BACKFILL = 10_000


def _clean_tag(value: str | None) -> str | None:
    if value is None:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("tag must not contain control characters")
    value = value.strip()
    return value or None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddEpisodeBody(_Body):
    url: str = Field(
        min_length=1, max_length=MAX_SHARE_TEXT_LENGTH, description="A link, or share-sheet text holding one"
    )
    tag: str | None = Field(default=None, max_length=limits.MAX_TAG_LENGTH)

    _tag = field_validator("tag")(_clean_tag)


class AddVideoEntry(_Body):
    url: str = Field(min_length=1, max_length=MAX_SHARE_TEXT_LENGTH)
    tag: str | None = Field(default=None, max_length=limits.MAX_TAG_LENGTH)

    _tag = field_validator("tag")(_clean_tag)


class SubscribeBody(_Body):
    feedUrl: str = Field(
        min_length=1, max_length=limits.MAX_URL_LENGTH, description="RSS/Atom URL or Apple Podcasts show link"
    )
    tag: str | None = Field(default=None, max_length=limits.MAX_TAG_LENGTH)
    backfill: int | Literal["all"] = Field(
        default=1, description="How many of the newest episodes to add now"
    )

    _tag = field_validator("tag")(_clean_tag)

    @field_validator("backfill", mode="before")
    @classmethod
    def _backfill_count(cls, value: object) -> object:
        # Checked before the union, so `true`, 2.5 or "some" get one sentence, not one per member.
        if value == "all" or (type(value) is int and 0 <= value <= MAX_BACKFILL):
            return value
        raise ValueError(f'backfill must be a number from 0 to {MAX_BACKFILL}, or "all"')


class LinkResult(BaseModel):
    url: str
    status: Literal["QUEUED", "NOK"]
    reason: str | None = None


class ErrorAnswer(BaseModel):
    success: Literal[False] = False
    error: str


class RefusedBatchAnswer(ErrorAnswer):
    """add-videos refused: each link's reason when no link is supported, none when the body is invalid."""

    results: list[LinkResult] | None = None


class EpisodeSummary(BaseModel):
    id: int | None
    title: str | None
    type: str | None
    channel: str | None


class AddEpisodeAnswer(BaseModel):
    success: bool
    jobId: str
    status: Literal["queued", "added", "restored", "failed"]
    episode: EpisodeSummary | None = None
    error: str | None = None


class AddVideosAnswer(BaseModel):
    success: bool
    jobId: str | None
    results: list[LinkResult]


class JobItemView(BaseModel):
    id: str
    url: str
    kind: str
    state: Literal["queued", "expanded", "added", "restored", "failed"]
    title: str | None
    reason: str | None
    attempts: int
    parentId: str | None
    episodeId: int | None
    type: str | None
    channel: str | None


class JobAnswer(BaseModel):
    success: bool
    jobId: str
    source: str
    createdAt: str
    updatedAt: str
    status: Literal["running", "done"]
    total: int
    done: int
    leftOut: int
    totals: dict[str, int]
    items: list[JobItemView]


class ChannelView(BaseModel):
    id: str
    name: str | None
    url: str | None


class TagRef(BaseModel):
    id: int
    name: str
    color: str | None


class EpisodeView(BaseModel):
    id: int
    type: Literal["video", "podcast"]
    externalId: str
    title: str
    description: str | None
    duration: int | None
    thumbnailUrl: str | None
    url: str
    uploadDate: str | None
    publishedDate: str | None
    viewCount: int | None
    channel: ChannelView | None
    watched: bool
    watchStatus: WatchStatus
    favorite: bool
    priority: Priority
    likeStatus: LikeStatus
    notes: str | None
    isArchived: bool
    isDeleted: bool
    isShort: bool
    partialMetadata: bool
    createdAt: str
    updatedAt: str
    tags: list[TagRef]

    @classmethod
    def from_query(cls, episode: dict[str, object]) -> EpisodeView:
        """The API's view of an episode as the QueryFunction answers it (tags with their ids)."""
        return cls.model_validate({**episode, "tags": episode["tagDetails"]})


class EpisodesAnswer(BaseModel):
    success: bool
    episodes: list[EpisodeView]
    total: int
    limit: int
    offset: int


class EpisodeAnswer(BaseModel):
    success: bool
    episode: EpisodeView


class EpisodePatchBody(_Body):
    """A PATCH of an episode: only the fields sent change; ``notes: null`` clears the notes."""

    watched: StrictBool = False
    watchStatus: WatchStatus = "unwatched"
    favorite: StrictBool = False
    priority: Priority = "none"
    likeStatus: LikeStatus = "none"
    notes: StrictStr | None = Field(default=None, max_length=limits.MAX_NOTES_LENGTH)
    isArchived: StrictBool = False
    tagIds: list[StrictInt] = Field(default_factory=list, max_length=limits.MAX_TAGS_PER_EPISODE)

    @model_validator(mode="after")
    def _changes_something(self) -> EpisodePatchBody:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        if {"watched", "watchStatus"} <= self.model_fields_set and self.watched != (
            self.watchStatus == "watched"
        ):
            raise ValueError("watched and watchStatus disagree")
        return self

    def changes(self) -> dict[str, object]:
        """The fields sent, named as the EpisodeUpdated message names them."""
        names = {"watchStatus": "watch_status", "likeStatus": "like_status", "isArchived": "is_archived"}
        names["tagIds"] = "tag_ids"
        return {names.get(field, field): getattr(self, field) for field in self.model_fields_set}


TagNameText = Annotated[StrictStr, Field(min_length=1, max_length=limits.MAX_TAG_LENGTH)]


def _clean_tag_name(value: str | None) -> str | None:
    cleaned = _clean_tag(value)
    if value is not None and cleaned is None:
        raise ValueError("name must not be empty")
    return cleaned


class TagBody(_Body):
    name: TagNameText
    color: TagColor | None = Field(default=None, description="#rrggbb, or null for none")

    _name = field_validator("name")(_clean_tag_name)


class TagPatchBody(_Body):
    """Rename or recolour a tag; ``color: null`` clears the colour."""

    name: TagNameText = ""
    color: TagColor | None = None

    _name = field_validator("name")(_clean_tag_name)

    @model_validator(mode="after")
    def _changes_something(self) -> TagPatchBody:
        if not self.model_fields_set:
            raise ValueError("send name or color")
        return self


class TagView(TagRef):
    episodeCount: int
    createdAt: str


class TagsAnswer(BaseModel):
    success: bool
    tags: list[TagView]


class CommandAccepted(BaseModel):
    """A change was queued for the writer; ``GET /api/commands/{commandId}`` shows what became of it."""

    success: Literal[True] = True
    commandId: CommandId


class EpisodeChanged(CommandAccepted):
    """The change was applied within ``wait``: the episode as it is now (null once permanently gone)."""

    episode: EpisodeView | None


class TagChanged(CommandAccepted):
    """The change was applied within ``wait``: the tag as it is now (null once deleted)."""

    tag: TagView | None


class CommandRefusedAnswer(ErrorAnswer):
    """The change was recorded as failed (or could not be queued); ``error`` says why."""

    commandId: CommandId | None = None


class CommandView(BaseModel):
    success: bool
    id: str
    type: str
    state: Literal["applied", "failed"]
    reason: str | None
    episodeId: int | None
    tagId: int | None
    createdAt: str
    appliedAt: str


class JobSummaryView(BaseModel):
    jobId: str
    source: str
    createdAt: str
    updatedAt: str
    status: Literal["running", "done"]
    total: int
    done: int
    leftOut: int
    totals: dict[str, int]


class JobsAnswer(BaseModel):
    success: bool
    jobs: list[JobSummaryView]
    total: int
    limit: int
    offset: int


class RetryAnswer(CommandAccepted):
    jobId: str
    retried: list[str]


class PodcastView(BaseModel):
    id: str
    feedUrl: str
    title: str | None
    artworkUrl: str | None
    tag: str | None
    lastSyncAt: str | None
    lastStatus: str | None
    lastError: str | None
    episodeCount: int
    createdAt: str


class PodcastAnswer(BaseModel):
    success: bool
    podcast: PodcastView


class PodcastsAnswer(BaseModel):
    success: bool
    podcasts: list[PodcastView]


class SubscriptionAnswer(BaseModel):
    success: bool
    subscriptionId: str
    feedUrl: str | None = None
    # The job that follows the first sync (GET /api/jobs/{jobId}); only when subscribing.
    jobId: str | None = None


class OpmlImportAnswer(BaseModel):
    success: bool
    subscribed: list[str] = Field(description="Feeds subscribed to now; each syncs as a new subscription")
    alreadyFollowed: list[str] = Field(description="Feeds you already follow, left alone")
    duplicates: int = Field(description="Feeds the file lists more than once, counted once")
    skipped: list[str] = Field(description="Outlines left out, each with why")


class TakeoutImportAnswer(BaseModel):
    success: bool
    jobId: str | None = Field(
        description="The job adding the playlists' videos (GET /api/jobs/{id}); null without one"
    )
    playlists: dict[str, int] = Field(description="Videos per playlist, by the tag each playlist became")
    videos: int = Field(description="Videos sent to be added, each once")
    historyEntries: int = Field(description="Watch history entries read")
    historyMarkMessages: int = Field(description="Messages marking episodes already on the list watched")
    malformedRows: int = Field(description="Playlist rows and history entries that could not be read")
    problems: list[str] = Field(description="What was left out, and why")
