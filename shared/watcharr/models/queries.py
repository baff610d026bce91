"""Requests the QueryFunction answers (lambda:Invoke on AWS, an in-process call locally), each with
the model of its answer.

The wire format is JSON: a query is dumped with ``model_dump_json``; its answer is the answer model
dumped by alias (camelCase where the API shows the field as it is). Callers get the typed answer
with ``ask(client, query)`` — or ``query.answer(payload)`` on a dict they already hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from watcharr import limits
from watcharr.models.messages import LikeStatus, Priority, SubscriptionKind, WatchStatus

# ---- answers ----------------------------------------------------------------------------------


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
A = TypeVar("A", bound=_Answer | _Row)


# ---- queries ----------------------------------------------------------------------------------


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
