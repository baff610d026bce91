"""A user's whole list out, as JSON or CSV, streamed in chunks so nobody is locked in (pure).

Input is the episodes in the API's shape (camelCase, ``tags`` as ``[{id, name, color}]``, ``channel``
as ``{id, name, url}`` or None), from any iterable, so the caller can page through the database
while this module writes; output is a generator of text chunks, each holding at most
``EXPORT_CHUNK_EPISODES`` episodes (the first also opens the document, the last closes it).

JSON: ``{"version": 1, "exportedAt": "...", "episodes": [ ... ]}`` with each episode as given.
CSV: a header row, then one row per episode with ``EXPORT_CSV_COLUMNS``; booleans are ``true`` /
``false``, tags are their names joined by ``"; "``. A text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'`` so a spreadsheet shows it instead of running
it as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

EXPORT_CHUNK_EPISODES = 200
EXPORT_FORMAT_VERSION = 1
EXPORT_CONTENT_TYPES: dict[str, str] = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
ExportFormat = Literal["json", "csv"]

EXPORT_CSV_COLUMNS: tuple[str, ...] = (
    "id", "type", "externalId", "title", "url", "channelName", "channelUrl", "watched", "watchStatus", "favorite",
    "priority", "likeStatus", "notes", "isArchived", "isDeleted", "isShort", "duration", "uploadDate",
    "publishedDate", "viewCount", "createdAt", "updatedAt", "tags", "description",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The text with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return spreadsheet_safe(str(value))


def episode_csv_row(episode: Mapping[str, Any]) -> list[str]:
    """One episode as the cells of ``EXPORT_CSV_COLUMNS``, each safe to open in a spreadsheet."""
    channel = episode.get("channel") or {}
    values = dict(episode)
    values["channelName"] = channel.get("name")
    values["channelUrl"] = channel.get("url")
    values["tags"] = "; ".join(str(tag.get("name", "")) for tag in episode.get("tags") or [])
    return [_cell(values.get(column)) for column in EXPORT_CSV_COLUMNS]


def _batches(episodes: Iterable[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for episode in episodes:
        batch.append(episode)
        if len(batch) == EXPORT_CHUNK_EPISODES:
            yield batch
            batch = []
    yield batch


def export_json(episodes: Iterable[Mapping[str, Any]], exported_at: str) -> Iterator[str]:
    """The list as one JSON document, in chunks."""
    opening = json.dumps({"version": EXPORT_FORMAT_VERSION, "exportedAt": exported_at})[:-1]
    prefix = opening + ', "episodes": ['
    first = True
    for batch in _batches(episodes):
        parts = [json.dumps(episode, ensure_ascii=False) for episode in batch]
        body = ", ".join(parts)
        if body and not first:
            body = ", " + body
        first = first and not body
        yield prefix + body
        prefix = ""
    yield "]}\n"


def export_csv(episodes: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The list as CSV (RFC 4180, CRLF line ends), header first, in chunks."""
    header = True
    for batch in _batches(episodes):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if header:
            writer.writerow(EXPORT_CSV_COLUMNS)
            header = False
        writer.writerows(episode_csv_row(episode) for episode in batch)
        text = buffer.getvalue()
        if text:
            yield text


def export_episodes(
    episodes: Iterable[Mapping[str, Any]], fmt: ExportFormat, exported_at: str
) -> Iterator[str]:
    """The list in the asked format; ``fmt`` is 'json' or 'csv' (anything else is a ValueError)."""
    if fmt == "json":
        return export_json(episodes, exported_at)
    if fmt == "csv":
        return export_csv(episodes)
    raise ValueError(f"unknown export format {fmt!r}; use json or csv")
