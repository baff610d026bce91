"""Bodies and answers of the followed-channels routes (``/api/channels``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from watcharr import limits
from watcharr.models.api import MAX_SHARE_TEXT_LENGTH, _Body, _clean_tag


class FollowChannelBody(_Body):
    url: str = Field(
        min_length=1,
        max_length=MAX_SHARE_TEXT_LENGTH,
        description="A YouTube channel link (/@handle, /channel/UC…, /c/name, /user/name), a playlist "
        "link, or a feed URL",
    )
    tag: str | None = Field(default=None, max_length=limits.MAX_TAG_LENGTH)
    backfill: int = Field(default=1, description="How many of the newest uploads to add now (0 to 15)")
    # Strict: "yes" or 0 is a mistake to report, not a truth value to guess.
    includeShorts: bool = Field(
        default=True, strict=True, description="Whether the channel's Shorts are added too"
    )

    _tag = field_validator("tag")(_clean_tag)

    @field_validator("backfill", mode="before")
    @classmethod
    def _backfill_count(cls, value: object) -> object:
        # One sentence for `true`, 2.5, "all" or 16, as the podcasts' backfill gives.
        if type(value) is int and 0 <= value <= limits.MAX_CHANNEL_BACKFILL:
            return value
        raise ValueError(
            f"backfill must be a number from 0 to {limits.MAX_CHANNEL_BACKFILL} (a channel's feed lists its "
            f"{limits.MAX_CHANNEL_BACKFILL} newest uploads)"
        )


class FollowedChannelView(BaseModel):
    id: str
    kind: Literal["youtube_channel", "youtube_playlist"]
    feedUrl: str
    title: str | None
    tag: str | None
    includeShorts: bool
    lastSyncAt: str | None
    lastStatus: str | None
    lastError: str | None
    episodeCount: int
    createdAt: str


class ChannelsAnswer(BaseModel):
    success: bool
    channels: list[FollowedChannelView]


class FollowAnswer(BaseModel):
    success: bool
    subscriptionId: str
    feedUrl: str | None = None
    channelId: str | None = None
