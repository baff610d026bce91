"""Imports: a list brought along, as bounded messages the persister applies like any other."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from watcharr.models.imports import MAX_IMPORT_CHUNK_BYTES, ReferenceImportChunk
from watcharr.models.messages.base import _Frozen, _Message

MAX_WATCH_MARKS_PER_MESSAGE = 500


class ReferenceChunkImported(_Message):
    """One bounded part of a reference app user's list (``models.imports.ReferenceImportChunk``).

    Keyed by the reference user's id, the chunk's sequence and a hash of its content: the same file
    imported again (or after a crash) sends the very same ids, so nothing applies twice, while a chunk
    that changed in the reference since is applied (and merged) anew.
    """

    type: Literal["ReferenceChunkImported"] = "ReferenceChunkImported"
    import_id: str
    chunk: ReferenceImportChunk

    @model_validator(mode="after")
    def _bounded(self) -> ReferenceChunkImported:
        if len(self.chunk.model_dump_json()) > MAX_IMPORT_CHUNK_BYTES:
            raise ValueError(f"an import chunk may be at most {MAX_IMPORT_CHUNK_BYTES} bytes")
        return self

    def _dedup_parts(self) -> tuple[object, ...]:
        content = hashlib.sha256(self.chunk.model_dump_json().encode()).hexdigest()
        return (self.chunk.user.source_id, self.chunk.sequence, content)


class WatchMark(_Frozen):
    """A video of the watch history and when it was watched (None: the history did not say)."""

    video_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{11}$")]
    watched_at: str | None = None


class WatchHistoryImported(_Message):
    """Marks the user's episodes of these YouTube videos watched; videos not on the list are counted."""

    type: Literal["WatchHistoryImported"] = "WatchHistoryImported"
    import_id: str
    user_id: int
    sequence: int
    videos: list[WatchMark] = Field(max_length=MAX_WATCH_MARKS_PER_MESSAGE)

    def _dedup_parts(self) -> tuple[object, ...]:
        return (self.import_id, self.sequence)
