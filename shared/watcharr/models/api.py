"""Bodies and answers of the HTTP API, compatible with the 2watcharr Shortcuts people already have."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from watcharr import limits

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
    watched: bool
    watchStatus: str
    favorite: bool
    isShort: bool
    partialMetadata: bool
    tags: list[str]
    channel: ChannelView | None
    createdAt: str
    updatedAt: str


class EpisodesAnswer(BaseModel):
    success: bool
    episodes: list[EpisodeView]
    limit: int
    offset: int


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


class PodcastsAnswer(BaseModel):
    success: bool
    podcasts: list[PodcastView]


class SubscriptionAnswer(BaseModel):
    success: bool
    subscriptionId: str
    feedUrl: str | None = None
