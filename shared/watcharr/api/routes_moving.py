"""Moving in and out over HTTP: an OPML file of podcasts, a Google Takeout zip, and the list's export.

The import routes take a file, not JSON (the guard's ``FILE_ROUTES``), and go the way the CLI's
imports go: the file is read whole before anything is sent, so one that cannot be imported changes
nothing. Lambda answers are not streamed through an HTTP API, so an export is built in memory from
``export_list``'s chunks and refused with a 413 (pointing at ``watcharr export``) when it would not
fit in one answer.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from watcharr import limits
from watcharr.adapters.query_client import query_client_for
from watcharr.adapters.queues import publisher_for
from watcharr.api.answers import answer, documented, error
from watcharr.api.guard import caller, file_body
from watcharr.domain.export import EXPORT_CONTENT_TYPES
from watcharr.domain.opml import OpmlError, write_opml
from watcharr.domain.takeout import TakeoutError, read_takeout
from watcharr.logic import podcasts
from watcharr.logic.importing import export_list, import_opml, plan_takeout_import, submit_takeout_import
from watcharr.models.api import MAX_BACKFILL, OpmlImportAnswer, TakeoutImportAnswer
from watcharr.models.imports import OpmlSubscription
from watcharr.settings import get_settings

router = Router()

OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"
UPLOAD_NAME = "takeout.zip"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


@router.post(
    "/api/podcasts/import",
    responses=documented({202: ("Subscribed to the file's feeds; each first sync queued", OpmlImportAnswer)}),
)
def import_podcasts(
    tag: Annotated[
        str | None, Query(max_length=limits.MAX_TAG_LENGTH, description="Tag for new episodes")
    ] = None,
    backfill: Annotated[
        int, Query(ge=0, le=MAX_BACKFILL, description="Newest episodes of each new feed to add")
    ] = 1,
) -> Response[Any]:
    """Subscribe to every feed of an OPML file (body: the file, Content-Type text/x-opml or XML)."""
    try:
        result = import_opml(
            query_client_for(get_settings()),
            publisher_for(get_settings()),
            caller(router).id,
            file_body(router),
            tag=tag,
            backfill=backfill,
        )
    except OpmlError as exc:
        return error(422, f"nothing imported: {exc}")
    return answer(
        202,
        OpmlImportAnswer(
            success=True,
            subscribed=result.subscribed,
            alreadyFollowed=result.already,
            duplicates=result.duplicates,
            skipped=result.skipped,
        ),
    )


@router.get(
    "/api/podcasts/export",
    responses={
        **documented({}),
        200: {"description": "Your podcast subscriptions as OPML 2.0", "content": {"text/x-opml": {}}},
    },
)
def export_podcasts() -> Response[Any]:
    """Your podcast subscriptions as an OPML 2.0 file, as podcast apps import it."""
    mine = podcasts.subscriptions(query_client_for(get_settings()), caller(router).id)
    opml = write_opml([OpmlSubscription(xml_url=sub["feedUrl"], title=sub.get("title")) for sub in mine])
    return Response(
        200,
        OPML_CONTENT_TYPE,
        opml.decode("utf-8"),
        headers=_attachment(f"2watcharr-podcasts-{_today()}.opml"),
    )


@router.post(
    "/api/import/takeout",
    responses=documented({202: ("The playlists' videos queued as one job", TakeoutImportAnswer)}),
)
def import_takeout(
    history: Annotated[bool, Query(description="Mark episodes in the watch history watched")] = False,
    add_history: Annotated[
        bool, Query(alias="addHistory", description="Add the watch history's videos too (implies history)")
    ] = False,
) -> Response[Any]:
    """Add a Google Takeout's playlists (each a tag) as one job (body: the .zip, Content-Type application/zip)."""
    upload = file_body(router)
    if not zipfile.is_zipfile(io.BytesIO(upload)):
        return error(422, "the body is not a .zip file; send the Takeout archive as it was downloaded")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / UPLOAD_NAME
        path.write_bytes(upload)
        try:
            contents = read_takeout(path)
        except TakeoutError as exc:
            return error(422, f"nothing imported: {str(exc).replace(str(path), 'the Takeout zip')}")
    takeout = plan_takeout_import(
        caller(router).id, contents, history=history or add_history, add_history=add_history
    )
    if takeout.plan is None and not takeout.history:
        found = "; ".join(takeout.problems) or (
            "the Takeout holds no playlist videos"
            + (" (its watch history is read with ?history=true)" if contents.history else "")
        )
        return error(422, f"nothing to import: {found}")
    videos = len(takeout.plan.requests) if takeout.plan else 0
    if videos > limits.MAX_TAKEOUT_API_VIDEOS:
        return error(
            413,
            f"the Takeout holds {videos} videos; the API adds at most {limits.MAX_TAKEOUT_API_VIDEOS} at a "
            "time, so import it with `watcharr import takeout FILE` on your machine",
        )
    submit_takeout_import(publisher_for(get_settings()), takeout)
    malformed = sum(p.malformed_rows for p in contents.playlists) + contents.history_malformed
    return answer(
        202,
        TakeoutImportAnswer(
            success=True,
            jobId=takeout.plan.job_id if takeout.plan else None,
            playlists=takeout.playlists,
            videos=videos,
            historyEntries=takeout.history_entries,
            historyMarkMessages=len(takeout.history),
            malformedRows=malformed,
            problems=takeout.problems,
        ),
    )


@router.get(
    "/api/episodes/export",
    responses={
        **documented({}),
        200: {
            "description": "Your whole list (with the archive and the bin), state and tags included",
            "content": {"application/json": {}, "text/csv": {}},
        },
    },
)
def export_episodes(format: Literal["json", "csv"] = "json") -> Response[Any]:
    """Download your whole list as JSON or CSV; past Lambda's answer limit, use `watcharr export`."""
    parts: list[str] = []
    # What the Lambda runtime will send: the body JSON-escaped (quotes, newlines, non-ASCII) in its envelope.
    size = 0
    for chunk in export_list(query_client_for(get_settings()), caller(router).id, format):
        size += len(json.dumps(chunk)) - 2
        if size > limits.MAX_ANSWER_BYTES:
            return error(
                413,
                f"your list is larger than one API answer can carry ({limits.MAX_ANSWER_BYTES // 1024} KiB); "
                f"export it with `watcharr export --format {format}` on your machine",
            )
        parts.append(chunk)
    return Response(
        200,
        EXPORT_CONTENT_TYPES[format],
        "".join(parts),
        headers=_attachment(f"2watcharr-export-{_today()}.{format}"),
    )
