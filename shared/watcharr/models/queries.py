"""Requests the QueryFunction answers (lambda:Invoke on AWS, an in-process call locally)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Authenticate(_Query):
    op: Literal["authenticate"] = "authenticate"
    token_hash: str


class UserByName(_Query):
    op: Literal["user_by_name"] = "user_by_name"
    username: str


class GetJob(_Query):
    op: Literal["get_job"] = "get_job"
    user_id: int
    job_id: str


class ListEpisodes(_Query):
    op: Literal["list_episodes"] = "list_episodes"
    user_id: int
    type: Literal["video", "podcast"] | None = None
    watched: bool | None = None
    tag: str | None = None
    limit: int = 50
    offset: int = 0


class ListSubscriptions(_Query):
    """One user's subscriptions, or (user_id None) every active one, for the scheduled sync."""

    op: Literal["list_subscriptions"] = "list_subscriptions"
    user_id: int | None = None
    include_seen_keys: bool = False


class StaleItems(_Query):
    op: Literal["stale_items"] = "stale_items"
    updated_before: str
    limit: int = 500


class PartialEpisodes(_Query):
    """Every user's episodes saved with partial metadata since ``created_after``, for the refresh."""

    op: Literal["partial_episodes"] = "partial_episodes"
    created_after: str
    limit: int = 200


Query = Annotated[
    Authenticate | UserByName | GetJob | ListEpisodes | ListSubscriptions | StaleItems | PartialEpisodes,
    Field(discriminator="op"),
]
QUERY: TypeAdapter[Query] = TypeAdapter(Query)
