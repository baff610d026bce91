"""Requests the QueryFunction answers (lambda:Invoke on AWS, an in-process call locally), each with
the model of its answer.

The wire format is JSON: a query is dumped with ``model_dump_json``; its answer is the answer model
dumped by alias (camelCase where the API shows the field as it is). Callers get the typed answer
with ``ask(client, query)`` — or ``query.answer(payload)`` on a dict they already hold. The answer
models are in ``models.query_answers`` and importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from watcharr import limits
from watcharr.models.messages import Priority, WatchStatus
from watcharr.models.query_answers import (
    Answer,
    AuthAnswer,
    ChannelView,
    CommandAnswer,
    CommandView,
    DeadLetter,
    DeadLettersAnswer,
    EpisodeAnswer,
    EpisodesAnswer,
    EpisodeView,
    ImportAnswer,
    ImportReport,
    JobAnswer,
    JobItemView,
    JobsAnswer,
    JobSummary,
    JobTotals,
    JobView,
    NamedUser,
    PartialEpisode,
    PartialEpisodesAnswer,
    StaleItem,
    StaleItemsAnswer,
    SubscriptionsAnswer,
    SubscriptionView,
    TagRef,
    TagsAnswer,
    TagView,
    UserByNameAnswer,
    UserView,
)

A = TypeVar("A", bound=Answer)


class _Query(BaseModel, Generic[A]):
    model_config = ConfigDict(extra="forbid", frozen=True)
    answer_model: ClassVar[type[Any]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # The answer model is the type argument of the `_Query[...]` the class derives from.
        for base in cls.__mro__:
            meta = getattr(base, "__pydantic_generic_metadata__", None)
            if meta and meta["origin"] is _Query and meta["args"]:
                cls.answer_model = meta["args"][0]
                return

    def answer(self, payload: dict[str, Any]) -> A:
        """The typed answer to this query from the QueryFunction's JSON payload."""
        answer: A = self.answer_model.model_validate(payload)
        return answer


class Authenticate(_Query[AuthAnswer]):
    op: Literal["authenticate"] = "authenticate"
    token_hash: str


class UserByName(_Query[UserByNameAnswer]):
    op: Literal["user_by_name"] = "user_by_name"
    username: str


class GetJob(_Query[JobAnswer]):
    op: Literal["get_job"] = "get_job"
    user_id: int
    job_id: str


class ListJobs(_Query[JobsAnswer]):
    """The user's recent jobs, newest first, with their item totals by state."""

    op: Literal["list_jobs"] = "list_jobs"
    user_id: int
    limit: int = Field(default=20, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class ListEpisodes(_Query[EpisodesAnswer]):
    """One page of the user's list. By default the bin (``deleted``) and the archive are hidden."""

    op: Literal["list_episodes"] = "list_episodes"
    user_id: int
    type: Literal["video", "podcast"] | None = None
    watched: bool | None = None
    watch_status: WatchStatus | None = None
    favorite: bool | None = None
    priority: Priority | None = None
    tag: str | None = None
    deleted: bool = False
    archived: bool = False
    # Case-insensitive, in the title and the channel's name.
    search: str | None = Field(default=None, max_length=limits.MAX_SEARCH_LENGTH)
    sort: Literal["added", "published", "priority"] = "added"
    limit: int = 50
    offset: int = 0


class GetEpisode(_Query[EpisodeAnswer]):
    op: Literal["get_episode"] = "get_episode"
    user_id: int
    episode_id: int


class ListTags(_Query[TagsAnswer]):
    op: Literal["list_tags"] = "list_tags"
    user_id: int


class GetCommand(_Query[CommandAnswer]):
    """A command's outcome once the persister has applied it; not found until then (or never)."""

    op: Literal["get_command"] = "get_command"
    user_id: int
    command_id: str
    # The episode the command changed, as it is now, in the same answer: a waited write needs no
    # second query once the command is through.
    with_episode: bool = False


class ListSubscriptions(_Query[SubscriptionsAnswer]):
    """One user's subscriptions, or (user_id None) every active one, for the scheduled sync."""

    op: Literal["list_subscriptions"] = "list_subscriptions"
    user_id: int | None = None
    include_seen_keys: bool = False


class StaleItems(_Query[StaleItemsAnswer]):
    op: Literal["stale_items"] = "stale_items"
    updated_before: str
    limit: int = 500


class PartialEpisodes(_Query[PartialEpisodesAnswer]):
    """Every user's episodes saved with partial metadata since ``created_after``, for the refresh."""

    op: Literal["partial_episodes"] = "partial_episodes"
    created_after: str
    limit: int = 200


class GetImport(_Query[ImportAnswer]):
    """An import's report, by the id the importer gave it; not found until its first message applied."""

    op: Literal["get_import"] = "get_import"
    import_id: str


class ListDeadLetters(_Query[DeadLettersAnswer]):
    """Results messages the persister refused for good, newest first (or the one ``message_id``)."""

    op: Literal["list_dead_letters"] = "list_dead_letters"
    message_id: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


Query = Annotated[
    Authenticate
    | UserByName
    | GetJob
    | ListJobs
    | ListEpisodes
    | GetEpisode
    | ListTags
    | GetCommand
    | ListSubscriptions
    | StaleItems
    | PartialEpisodes
    | GetImport
    | ListDeadLetters,
    Field(discriminator="op"),
]
QUERY: TypeAdapter[Query] = TypeAdapter(Query)


def ask(client: Callable[[Any], dict[str, Any]], query: _Query[A]) -> A:
    """Send a query through a QueryClient and get its typed answer: ``ask(client, GetEpisode(...))``."""
    return query.answer(client(query))


__all__ = [
    "QUERY",
    "Answer",
    "AuthAnswer",
    "Authenticate",
    "ChannelView",
    "CommandAnswer",
    "CommandView",
    "DeadLetter",
    "DeadLettersAnswer",
    "EpisodeAnswer",
    "EpisodeView",
    "EpisodesAnswer",
    "GetCommand",
    "GetEpisode",
    "GetImport",
    "GetJob",
    "ImportAnswer",
    "ImportReport",
    "JobAnswer",
    "JobItemView",
    "JobSummary",
    "JobTotals",
    "JobView",
    "JobsAnswer",
    "ListDeadLetters",
    "ListEpisodes",
    "ListJobs",
    "ListSubscriptions",
    "ListTags",
    "NamedUser",
    "PartialEpisode",
    "PartialEpisodes",
    "PartialEpisodesAnswer",
    "Query",
    "StaleItem",
    "StaleItems",
    "StaleItemsAnswer",
    "SubscriptionView",
    "SubscriptionsAnswer",
    "TagRef",
    "TagView",
    "TagsAnswer",
    "UserByName",
    "UserByNameAnswer",
    "UserView",
    "ask",
]
