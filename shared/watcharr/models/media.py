"""What the extractor learns about one video or podcast episode."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

MediaType = Literal["video", "podcast"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelInfo(_Frozen):
    """A YouTube channel, a podcast show or another site's uploader."""

    id: str
    type: MediaType
    name: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    description: str | None = None


class MediaMetadata(_Frozen):
    """The fields of an episode row that come from the source, not from the user."""

    media_key: str
    type: MediaType
    title: str
    url: str
    description: str | None = None
    duration: int | None = None
    thumbnail_url: str | None = None
    upload_date: str | None = None
    published_date: str | None = None
    view_count: int | None = None
    is_short: bool = False
    channel: ChannelInfo | None = None
    partial: bool = False
