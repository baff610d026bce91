"""What the extractor learns about one video or podcast episode.

Every path (yt-dlp, the Data API, oEmbed, feeds, Apple's lookup) builds these models, so the safe
form of what a page sends is enforced here once: texts cleaned of control characters and capped,
and page-given URLs kept only when http(s) (domain/text.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from watcharr import limits
from watcharr.domain.text import clean_line, clean_text, http_url_or_none

MediaType = Literal["video", "podcast"]


def _episode_url(value: str) -> str:
    url = http_url_or_none(value)
    if url is None:
        raise ValueError("an episode's link must be an http(s) URL")
    return url


def _optional_line(value: str | None) -> str | None:
    return (clean_line(value, limits.MAX_TITLE_LENGTH) or None) if value is not None else None


def _optional_text(value: str | None) -> str | None:
    return (clean_text(value, limits.MAX_DESCRIPTION_LENGTH) or None) if value is not None else None


Title = Annotated[str, AfterValidator(lambda v: clean_line(v, limits.MAX_TITLE_LENGTH))]
OptionalTitle = Annotated[str | None, AfterValidator(_optional_line)]
Description = Annotated[str | None, AfterValidator(_optional_text)]
Reason = Annotated[str, AfterValidator(lambda v: clean_line(v, limits.MAX_REASON_LENGTH))]
OptionalReason = Annotated[
    str | None, AfterValidator(lambda v: clean_line(v, limits.MAX_REASON_LENGTH) if v is not None else None)
]
# A URL some page names (thumbnail, artwork, channel): null unless http(s).
PageUrl = Annotated[str | None, AfterValidator(http_url_or_none)]
EpisodeUrl = Annotated[str, AfterValidator(_episode_url)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelInfo(_Frozen):
    """A YouTube channel, a podcast show or another site's uploader."""

    id: str
    type: MediaType
    name: OptionalTitle = None
    url: PageUrl = None
    thumbnail_url: PageUrl = None
    description: Description = None


class MediaMetadata(_Frozen):
    """The fields of an episode row that come from the source, not from the user."""

    media_key: str
    type: MediaType
    title: Title
    url: EpisodeUrl
    description: Description = None
    duration: int | None = None
    thumbnail_url: PageUrl = None
    upload_date: str | None = None
    published_date: str | None = None
    view_count: int | None = None
    is_short: bool = False
    channel: ChannelInfo | None = None
    partial: bool = False
