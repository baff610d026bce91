"""The caller's episodes: the list, one episode, and every change to them (each a command for the writer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from watcharr import limits
from watcharr.adapters.query_client import query_client_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.commanded import Wait, run_command, write_responses
from watcharr.api.guard import caller
from watcharr.logic.changes import new_command_id
from watcharr.models.api import (
    CommandAccepted,
    EpisodeAnswer,
    EpisodeChanged,
    EpisodePatchBody,
    EpisodesAnswer,
    EpisodeView,
)
from watcharr.models.messages import (
    EpisodeChanges,
    EpisodeDeleted,
    EpisodeRestored,
    EpisodesArchivedWatched,
    EpisodesRestoredAll,
    EpisodeUpdated,
    Priority,
    WatchStatus,
)
from watcharr.models.queries import CommandAnswer, GetEpisode, ListEpisodes, ListTags, ask
from watcharr.models.queries import EpisodeView as QueriedEpisode
from watcharr.settings import get_settings

router = Router()

# SQLite's integer range; anything else in the path names no episode (a 404, see answers.validation_error).
EpisodeId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NO_SUCH_EPISODE = "no such episode"


def _view(episode: QueriedEpisode) -> EpisodeView:
    return EpisodeView.from_query(episode.wire())


def _own_episode(user_id: int, episode_id: int) -> QueriedEpisode | None:
    return ask(query_client_for(get_settings()), GetEpisode(user_id=user_id, episode_id=episode_id)).episode


def _not_yours(user_id: int, episode_id: int, wait: int) -> Response[Any] | None:
    """The 404 for an episode the caller does not have, asked before anything is sent when the caller
    does not wait. A waited change skips the query: the writer refuses the command ("no such episode")
    and the wait answers that 404 instead, one QueryFunction call sooner (docs/DECISIONS.md)."""
    if wait or _own_episode(user_id, episode_id) is not None:
        return None
    return error(404, NO_SUCH_EPISODE)


def _episode_now(user_id: int, episode_id: int) -> EpisodeView | None:
    found = _own_episode(user_id, episode_id)
    return _view(found) if found is not None else None


@router.get("/api/episodes", responses=documented({200: ("One page of the list", EpisodesAnswer)}))
def list_episodes(
    type: Literal["video", "podcast"] | None = None,
    watched: bool | None = None,
    watch_status: Annotated[WatchStatus | None, Query(alias="watchStatus")] = None,
    favorite: bool | None = None,
    priority: Priority | None = None,
    tag: Annotated[str | None, Query(max_length=limits.MAX_TAG_LENGTH)] = None,
    deleted: Annotated[bool, Query(description="The bin: deleted episodes only")] = False,
    archived: Annotated[bool, Query(description="The archive: archived episodes only")] = False,
    search: Annotated[
        str | None, Query(max_length=limits.MAX_SEARCH_LENGTH, description="In title and channel name")
    ] = None,
    sort: Literal["added", "published", "priority"] = "added",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response[Any]:
    """The caller's list, newest first by default; deleted and archived episodes only when asked for."""
    query = ListEpisodes(
        user_id=caller(router).id, type=type, watched=watched, watch_status=watch_status,
        favorite=favorite, priority=priority, tag=tag, deleted=deleted, archived=archived,
        search=search, sort=sort, limit=limit, offset=offset,
    )  # fmt: skip
    found = ask(query_client_for(get_settings()), query)
    episodes = [_view(episode) for episode in found.episodes]
    return answer(
        200, EpisodesAnswer(success=True, episodes=episodes, total=found.total, limit=limit, offset=offset)
    )


@router.get("/api/episodes/<episode_id>", responses=documented({200: ("The episode", EpisodeAnswer)}))
def get_episode(episode_id: EpisodeId) -> Response[Any]:
    """One of the caller's episodes with its tags, also when it is in the bin or the archive."""
    found = _episode_now(caller(router).id, episode_id)
    if found is None:
        return error(404, NO_SUCH_EPISODE)
    return answer(200, EpisodeAnswer(success=True, episode=found))


def _changed(found: CommandAnswer) -> EpisodeChanged:
    assert found.command is not None
    return EpisodeChanged(
        commandId=found.command.id, episode=_view(found.episode) if found.episode is not None else None
    )


@router.patch(
    "/api/episodes/<episode_id>",
    responses=write_responses(("Applied within `wait`: the episode now", EpisodeChanged)),
)
def update_episode(episode_id: EpisodeId, body: EpisodePatchBody, wait: Wait = 0) -> Response[Any]:
    """Change any of the episode's own fields; fields not sent stay as they are, `notes: null` clears."""
    user = caller(router)
    if refused := _not_yours(user.id, episode_id, wait):
        return refused
    if "tagIds" in body.model_fields_set:
        known = {tag.id for tag in ask(query_client_for(get_settings()), ListTags(user_id=user.id)).tags}
        unknown = sorted(set(body.tagIds) - known)
        if unknown:
            return error(422, f"no such tag: {', '.join(str(t) for t in unknown)}")
    command = EpisodeUpdated(
        command_id=new_command_id(),
        user_id=user.id,
        episode_id=episode_id,
        changes=EpisodeChanges.model_validate(body.changes()),
    )
    return run_command(command, wait, _changed, with_episode=True)


@router.delete(
    "/api/episodes/<episode_id>",
    responses=write_responses(("Applied within `wait`: the episode now (null when gone)", EpisodeChanged)),
)
def delete_episode(
    episode_id: EpisodeId,
    permanent: Annotated[
        bool, Query(description="Remove it, its tag links and its history for good instead of binning it")
    ] = False,
    wait: Wait = 0,
) -> Response[Any]:
    """Move the episode to the bin (restorable; adding the link again restores it too), or remove it."""
    user = caller(router)
    if refused := _not_yours(user.id, episode_id, wait):
        return refused
    command = EpisodeDeleted(
        command_id=new_command_id(), user_id=user.id, episode_id=episode_id, permanent=permanent
    )
    return run_command(command, wait, _changed, with_episode=True)


@router.post(
    "/api/episodes/<episode_id>/restore",
    responses=write_responses(("Applied within `wait`: the episode now", EpisodeChanged)),
)
def restore_episode(episode_id: EpisodeId, wait: Wait = 0) -> Response[Any]:
    """Take the episode out of the bin."""
    user = caller(router)
    if refused := _not_yours(user.id, episode_id, wait):
        return refused
    command = EpisodeRestored(command_id=new_command_id(), user_id=user.id, episode_id=episode_id)
    return run_command(command, wait, _changed, with_episode=True)


def _done(found: CommandAnswer) -> CommandAccepted:
    assert found.command is not None
    return CommandAccepted(commandId=found.command.id)


@router.post(
    "/api/episodes/archive-watched",
    responses=write_responses(("Applied within `wait`", CommandAccepted)),
)
def archive_watched(wait: Wait = 0) -> Response[Any]:
    """Move every watched episode still on the list to the archive."""
    command = EpisodesArchivedWatched(command_id=new_command_id(), user_id=caller(router).id)
    return run_command(command, wait, _done)


@router.post(
    "/api/episodes/restore-all", responses=write_responses(("Applied within `wait`", CommandAccepted))
)
def restore_all(wait: Wait = 0) -> Response[Any]:
    """Take everything out of the bin."""
    command = EpisodesRestoredAll(command_id=new_command_id(), user_id=caller(router).id)
    return run_command(command, wait, _done)
