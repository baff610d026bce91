"""Export: the whole list as JSON or CSV, streamed in chunks, CSV safe against formula injection."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from watcharr.domain.export import (
    EXPORT_CHUNK_EPISODES,
    EXPORT_CSV_COLUMNS,
    export_episodes,
    spreadsheet_safe,
)


def _episode(n: int, **overrides: Any) -> dict[str, Any]:
    episode: dict[str, Any] = {
        "id": n, "type": "video", "externalId": f"vid{n:08d}", "title": f"Episode {n} — café",
        "description": "Line one\nline two, with \"quotes\"", "duration": 61 * n, "thumbnailUrl": None,
        "url": f"https://www.youtube.com/watch?v=vid{n:08d}", "uploadDate": "2025-01-02",
        "publishedDate": "2025-01-02T08:30:00Z", "viewCount": 1000 * n,
        "channel": {"id": "UCuAXFkgsw1L7xaCfnd5JJOw", "name": "Rick Astley", "url": "https://www.youtube.com/@RickAstleyYT"},
        "watched": n % 2 == 0, "watchStatus": "watched" if n % 2 == 0 else "unwatched", "favorite": n % 3 == 0,
        "priority": "high", "likeStatus": "like", "notes": None, "isArchived": False, "isDeleted": False,
        "isShort": False, "createdAt": "2026-02-05T10:00:00.000Z", "updatedAt": "2026-02-05T10:01:00.000Z",
        "tags": [{"id": 1, "name": "Música", "color": "#22c55e"}, {"id": 2, "name": "later", "color": None}],
    }  # fmt: skip
    episode.update(overrides)
    return episode


def _lazy(count: int, consumed: list[int]) -> Iterator[dict[str, Any]]:
    for n in range(count):
        consumed.append(n)
        yield _episode(n)


def test_json_export_streams_and_reads_back_whole() -> None:
    # Given 450 episodes coming lazily from the database
    consumed: list[int] = []
    chunks = export_episodes(_lazy(450, consumed), "json", exported_at="2026-02-05T10:00:00.000Z")

    # When the first chunk is taken, only its episodes have been read
    first = next(chunks)
    assert len(consumed) == EXPORT_CHUNK_EPISODES
    rest = list(chunks)

    # Then the chunks join into one JSON document with every episode as given
    document = json.loads(first + "".join(rest))
    assert document["version"] == 1 and document["exportedAt"] == "2026-02-05T10:00:00.000Z"
    assert document["episodes"] == [_episode(n) for n in range(450)]
    assert len(rest) == 3  # two more batches (200, 50) and the closing bracket


@pytest.mark.parametrize("count", [0, EXPORT_CHUNK_EPISODES])
def test_json_export_edges(count: int) -> None:
    text = "".join(export_episodes((_episode(n) for n in range(count)), "json", exported_at="x"))
    assert len(json.loads(text)["episodes"]) == count


def test_csv_export_has_every_field_and_tags() -> None:
    text = "".join(export_episodes((_episode(n) for n in range(250)), "csv", exported_at="x"))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 250
    assert tuple(rows[0]) == EXPORT_CSV_COLUMNS
    row = rows[4]
    assert row["externalId"] == "vid00000004" and row["title"] == "Episode 4 — café"
    assert (
        row["channelName"] == "Rick Astley" and row["channelUrl"] == "https://www.youtube.com/@RickAstleyYT"
    )
    assert (row["watched"], row["watchStatus"], row["favorite"], row["isDeleted"]) == (
        "true",
        "watched",
        "false",
        "false",
    )
    assert row["tags"] == "Música; later" and row["duration"] == "244" and row["notes"] == ""
    assert row["description"] == 'Line one\nline two, with "quotes"'
    assert text.count("id,type,externalId") == 1


def test_csv_cells_that_would_run_as_formulas_are_defused() -> None:
    episode = _episode(
        1,
        title='=HYPERLINK("http://evil.example","click")',
        notes="+1 great",
        description="-2+3",
        channel={"id": "c", "name": "@everyone", "url": None},
        tags=[{"id": 1, "name": "=SUM(A1)", "color": None}],
    )
    (row,) = list(csv.DictReader(io.StringIO("".join(export_episodes([episode], "csv", "x")), newline="")))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (
        row["notes"] == "'+1 great" and row["description"] == "'-2+3" and row["channelName"] == "'@everyone"
    )
    assert row["tags"] == "'=SUM(A1)"
    assert row["viewCount"] == "1000"  # numbers are left as numbers
    assert spreadsheet_safe("\tcmd") == "'\tcmd" and spreadsheet_safe("plain") == "plain"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_episodes([], "xml", "x")  # type: ignore[arg-type]
