"""Commands: a user's changes to the list, applied in order with the results (ResultsQueue.fifo)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

from watcharr import limits
from watcharr.models.messages.base import _Frozen, _Message

WatchStatus = Literal["unwatched", "pending", "watched"]
Priority = Literal["none", "low", "medium", "high"]
LikeStatus = Literal["none", "like", "dislike"]
TagName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MAX_TAG_LENGTH)
]
TagColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
CommandId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _Partial(_Frozen):
    """A model whose optional fields mean "leave as it is" when absent and "clear" when null.

    The publisher dumps with ``exclude_none``, which would turn an explicit null into an absent
    field; the serializer keeps exactly the fields that were set, nulls included.
    """

    _partial_fields: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _keep_explicit_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self._partial_fields:
            if name in self.model_fields_set:
                data[name] = data.get(name, getattr(self, name))
            else:
                data.pop(name, None)
        return data


class EpisodeChanges(_Partial):
    """What a PATCH changes; fields not sent stay as they are (``model_fields_set``)."""

    _partial_fields = (
        "watched", "watch_status", "favorite", "priority", "like_status", "notes", "is_archived", "tag_ids",
    )  # fmt: skip

    watched: bool = False
    watch_status: WatchStatus = "unwatched"
    favorite: bool = False
    priority: Priority = "none"
    like_status: LikeStatus = "none"
    notes: str | None = Field(default=None, max_length=limits.MAX_NOTES_LENGTH)
    is_archived: bool = False
    tag_ids: list[int] = Field(default_factory=list, max_length=limits.MAX_TAGS_PER_EPISODE)

    @model_validator(mode="after")
    def _consistent(self) -> EpisodeChanges:
        if not self.model_fields_set:
            raise ValueError("no change given")
        if {"watched", "watch_status"} <= self.model_fields_set and self.watched != (
            self.watch_status == "watched"
        ):
            raise ValueError("watched and watchStatus disagree")
        return self

    def settled_watch(self) -> tuple[bool, WatchStatus] | None:
        """The (watched, watch_status) pair to write, kept consistent as the reference app does."""
        if "watch_status" in self.model_fields_set:
            return self.watch_status == "watched", self.watch_status
        if "watched" in self.model_fields_set:
            return self.watched, "watched" if self.watched else "unwatched"
        return None


class _Command(_Message):
    """A user's change, named by the API's command id; its dedup id is the type and that id."""

    command_id: CommandId
    user_id: int

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.command_id,)


class EpisodeUpdated(_Command):
    type: Literal["EpisodeUpdated"] = "EpisodeUpdated"
    episode_id: int
    changes: EpisodeChanges


class EpisodeDeleted(_Command):
    """Soft delete (restorable, the bin) or, with ``permanent``, the row, its tag links and events."""

    type: Literal["EpisodeDeleted"] = "EpisodeDeleted"
    episode_id: int
    permanent: bool = False


class EpisodeRestored(_Command):
    type: Literal["EpisodeRestored"] = "EpisodeRestored"
    episode_id: int


class EpisodesArchivedWatched(_Command):
    """Every watched episode still on the list goes to the archive."""

    type: Literal["EpisodesArchivedWatched"] = "EpisodesArchivedWatched"


class EpisodesRestoredAll(_Command):
    """Everything in the bin comes back."""

    type: Literal["EpisodesRestoredAll"] = "EpisodesRestoredAll"


class TagCreated(_Command):
    type: Literal["TagCreated"] = "TagCreated"
    name: TagName
    color: TagColor | None = None


class TagUpdated(_Command, _Partial):
    """Renames or recolours a tag; ``color`` null clears it, an absent field stays."""

    _partial_fields = ("name", "color")

    type: Literal["TagUpdated"] = "TagUpdated"
    tag_id: int
    name: TagName = ""
    color: TagColor | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> TagUpdated:
        if not {"name", "color"} & self.model_fields_set:
            raise ValueError("no change given")
        return self


class TagDeleted(_Command):
    """The tag and its links go; the episodes stay."""

    type: Literal["TagDeleted"] = "TagDeleted"
    tag_id: int


class JobRetried(_Command):
    """The named failed items of a job are queued again; the API then sends their ExtractRequests."""

    type: Literal["JobRetried"] = "JobRetried"
    job_id: str
    item_ids: list[str] = Field(min_length=1, max_length=limits.MAX_URLS_PER_BATCH)


Command = (
    EpisodeUpdated
    | EpisodeDeleted
    | EpisodeRestored
    | EpisodesArchivedWatched
    | EpisodesRestoredAll
    | TagCreated
    | TagUpdated
    | TagDeleted
    | JobRetried
)
