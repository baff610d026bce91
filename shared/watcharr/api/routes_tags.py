"""The caller's tags: list them with their episode counts, create, rename or recolour, delete."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from watcharr.adapters.query_client import query_client_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.commanded import Wait, run_command, write_responses
from watcharr.api.guard import caller
from watcharr.logic.changes import new_command_id
from watcharr.models.api import TagBody, TagChanged, TagPatchBody, TagsAnswer, TagView
from watcharr.models.messages import TagCreated, TagDeleted, TagUpdated
from watcharr.models.queries import CommandAnswer, ListTags, ask
from watcharr.settings import get_settings

router = Router()

TagId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NO_SUCH_TAG = "no such tag"


def _tags(user_id: int) -> list[TagView]:
    found = ask(query_client_for(get_settings()), ListTags(user_id=user_id))
    return [TagView.model_validate(tag.wire()) for tag in found.tags]


def _tag(user_id: int, tag_id: int | None) -> TagView | None:
    return next((tag for tag in _tags(user_id) if tag.id == tag_id), None) if tag_id else None


def _name_taken(tags: list[TagView], name: str, tag_id: int | None = None) -> str | None:
    """The error for a name another of the user's tags has (names are unique case-insensitively)."""
    taken = next((t for t in tags if t.name.casefold() == name.casefold() and t.id != tag_id), None)
    return f'a tag named "{taken.name}" already exists' if taken else None


def _changed(user_id: int) -> Any:
    def changed(found: CommandAnswer) -> TagChanged:
        assert found.command is not None
        return TagChanged(commandId=found.command.id, tag=_tag(user_id, found.command.tag_id))

    return changed


@router.get("/api/tags", responses=documented({200: ("Your tags by name", TagsAnswer)}))
def list_tags() -> Response[Any]:
    """The caller's tags, each with how many episodes on the list carry it."""
    return answer(200, TagsAnswer(success=True, tags=_tags(caller(router).id)))


@router.post("/api/tags", responses=write_responses(("Created within `wait`: the tag", TagChanged)))
def create_tag(body: TagBody, wait: Wait = 0) -> Response[Any]:
    """Create a tag; its name must differ from the caller's other tags', ignoring case."""
    user = caller(router)
    taken = _name_taken(_tags(user.id), body.name)
    if taken:
        return error(409, taken)
    command = TagCreated(command_id=new_command_id(), user_id=user.id, name=body.name, color=body.color)
    return run_command(command, wait, _changed(user.id))


@router.patch(
    "/api/tags/<tag_id>", responses=write_responses(("Changed within `wait`: the tag now", TagChanged))
)
def update_tag(tag_id: TagId, body: TagPatchBody, wait: Wait = 0) -> Response[Any]:
    """Rename or recolour a tag; `color: null` clears its colour."""
    user = caller(router)
    tags = _tags(user.id)
    if not any(tag.id == tag_id for tag in tags):
        return error(404, NO_SUCH_TAG)
    taken = _name_taken(tags, body.name, tag_id) if "name" in body.model_fields_set else None
    if taken:
        return error(409, taken)
    fields = {name: getattr(body, name) for name in body.model_fields_set}
    command = TagUpdated(command_id=new_command_id(), user_id=user.id, tag_id=tag_id, **fields)
    return run_command(command, wait, _changed(user.id))


@router.delete(
    "/api/tags/<tag_id>", responses=write_responses(("Deleted within `wait` (tag: null)", TagChanged))
)
def delete_tag(tag_id: TagId, wait: Wait = 0) -> Response[Any]:
    """Delete a tag: its links to episodes go, the episodes stay."""
    user = caller(router)
    if _tag(user.id, tag_id) is None:
        return error(404, NO_SUCH_TAG)
    command = TagDeleted(command_id=new_command_id(), user_id=user.id, tag_id=tag_id)
    return run_command(command, wait, _changed(user.id))
