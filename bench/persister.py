"""Section 3: the persister's writes — apply_result one transaction per message, against raw sqlite3,
and the rate of users' commands against the rate of episode inserts.

Both sides write a real SQLite file with the writer's pragmas (journal_mode=DELETE, synchronous=FULL,
foreign keys, busy timeout). The project side calls ``apply_result`` for each EpisodeExtracted, as the
persister does after parsing a record. The raw side replays, with bare ``sqlite3`` calls, exactly the
statements and parameters ``apply_result`` issued for the same messages (recorded on a scratch copy
beforehand): the same upserts in the same transactions, without the project's code around them.
The commands (EpisodeUpdated: watched, favourite, priority, notes, tags; each a state change with
its history rows and command row) then run on the project's file over the episodes just written.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from bench.common import SectionResult, quiet_service_logs
from watcharr.adapters.store import BUSY_TIMEOUT_MS, WriteStore, connect_writer
from watcharr.logic.ingest import ITEMS_PER_MESSAGE
from watcharr.logic.persist import apply_result
from watcharr.models.media import ChannelInfo, MediaMetadata
from watcharr.models.messages import (
    EpisodeChanges,
    EpisodeExtracted,
    EpisodeUpdated,
    JobCreated,
    JobItemsAdded,
    JobItemSpec,
    ResultMessage,
    TagCreated,
    UserCreated,
    parse_result,
)

TITLE = "3. Persister"
JOB_ID = "b" * 32
AT = "2024-03-15T12:00:00.000Z"
CHANNELS = 20
Statement = tuple[str, Any]


def setup_messages(count: int) -> list[ResultMessage]:
    """The user and the job whose ``count`` items the episodes finish."""
    items = [
        JobItemSpec(item_id=f"{JOB_ID}-{i:04d}", url=f"https://example.com/v/{i}", kind="video")
        for i in range(count)
    ]
    chunks = [items[i : i + ITEMS_PER_MESSAGE] for i in range(0, count, ITEMS_PER_MESSAGE)]
    messages: list[ResultMessage] = [
        UserCreated(at=AT, username="bench", token_hash="0" * 64),
        JobCreated(at=AT, job_id=JOB_ID, user_id=1, source="batch", items=chunks[0]),
    ]
    messages.extend(JobItemsAdded(at=AT, job_id=JOB_ID, items=chunk) for chunk in chunks[1:])
    return messages


def episode_messages(count: int) -> list[EpisodeExtracted]:
    """``count`` extracted videos, each finishing one job item, spread over a few channels."""
    return [
        EpisodeExtracted(
            at=AT,
            user_id=1,
            job_id=JOB_ID,
            item_id=f"{JOB_ID}-{i:04d}",
            media=MediaMetadata(
                media_key=f"generic:example.com/v/{i}",
                type="video",
                title=f"Benchmark video {i}",
                url=f"https://example.com/v/{i}",
                description="A description of a few words, as most videos have. " * 4,
                duration=600 + i,
                thumbnail_url=f"https://example.com/thumbs/{i}.jpg",
                upload_date="2024-03-15",
                published_date="2024-03-15",
                view_count=1000 + i,
                channel=ChannelInfo(
                    id=f"generic:example.com:channel-{i % CHANNELS}",
                    type="video",
                    name=f"Channel {i % CHANNELS}",
                    url=f"https://example.com/c/{i % CHANNELS}",
                ),
            ),
        )
        for i in range(count)
    ]


def command_messages(count: int, episodes: int) -> list[ResultMessage]:
    """Two tags, then ``count`` EpisodeUpdated over the episodes, each changing something."""
    tags: list[ResultMessage] = [
        TagCreated(at=AT, command_id=f"{n:032x}", user_id=1, name=name)
        for n, name in enumerate(["later", "music"])
    ]
    changes = [
        {"watched": True},
        {"favorite": True, "priority": "high"},
        {"notes": "worth a second look", "tag_ids": [1, 2]},
        {"watch_status": "pending", "tag_ids": [2]},
    ]
    return tags + [
        EpisodeUpdated(
            at=AT,
            command_id=f"{i + 2:032x}",
            user_id=1,
            episode_id=i % episodes + 1,
            changes=EpisodeChanges.model_validate(changes[i % len(changes)]),
        )
        for i in range(count)
    ]


def _applied_commands(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM commands WHERE state = 'applied'").fetchone()[0])
    finally:
        conn.close()


class _Recorder:
    """Stands in for the connection inside a WriteStore and notes every statement it runs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, str, Any]] = []

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        self.statements.append(("execute", sql, parameters))
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any) -> sqlite3.Cursor:
        rows = list(parameters)
        self.statements.append(("executemany", sql, rows))
        return self.conn.executemany(sql, rows)


def _prepared(path: Path, setup: list[ResultMessage]) -> sqlite3.Connection:
    conn = connect_writer(path)
    store = WriteStore(conn)
    for message in setup:
        apply_result(store, message)
    return conn


def record_statements(
    path: Path, setup: list[ResultMessage], messages: list[EpisodeExtracted]
) -> list[list[tuple[str, str, Any]]]:
    """The statements ``apply_result`` runs for each message, recorded on a scratch database."""
    recorder = _Recorder(_prepared(path, setup))
    store = WriteStore(cast(sqlite3.Connection, recorder))
    per_message = []
    for message in messages:
        recorder.statements = []
        apply_result(store, message)
        per_message.append(recorder.statements)
    recorder.conn.close()
    return per_message


def raw_connection(path: Path) -> sqlite3.Connection:
    """A bare sqlite3 connection with the writer's pragmas and no row factory."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _episodes(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM episodes").fetchone()[0])
    finally:
        conn.close()


def run(count: int) -> SectionResult:
    """Apply ``count`` episodes both ways on fresh files and compare messages per second."""
    result = SectionResult(TITLE)
    setup = setup_messages(count)
    messages = episode_messages(count)
    bodies = [m.model_dump_json(exclude_none=True) for m in messages]
    with quiet_service_logs(), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        recorded = record_statements(folder / "scratch.db", setup, messages)

        conn = _prepared(folder / "project.db", setup)
        store = WriteStore(conn)
        began = time.perf_counter()
        outcomes = [apply_result(store, message) for message in messages]
        project_seconds = time.perf_counter() - began
        commands = command_messages(count, count)
        for tag in commands[:2]:
            apply_result(store, tag)
        began = time.perf_counter()
        command_outcomes = [apply_result(store, command) for command in commands[2:]]
        command_seconds = time.perf_counter() - began
        conn.close()
        if (
            command_outcomes.count("applied") != count
            or _applied_commands(folder / "project.db") != count + 2
        ):
            raise RuntimeError("the project side did not apply every command")

        _prepared(folder / "raw.db", setup).close()
        raw = raw_connection(folder / "raw.db")
        began = time.perf_counter()
        for statements in recorded:
            for kind, sql, parameters in statements:
                if kind == "execute":
                    raw.execute(sql, parameters).fetchall()
                else:
                    raw.executemany(sql, parameters)
        raw_seconds = time.perf_counter() - began
        raw.close()

        began = time.perf_counter()
        for body in bodies:
            parse_result(body)
        parse_seconds = time.perf_counter() - began
        if outcomes.count("applied") != count or _episodes(folder / "project.db") != count:
            raise RuntimeError("the project side did not apply every message")
        if _episodes(folder / "raw.db") != count:
            raise RuntimeError("the raw side did not write every episode")
    project_rate, raw_rate = count / project_seconds, count / raw_seconds
    statements = sum(len(s) for s in recorded) / count
    result.add("messages", count)
    result.add("statements per message (BEGIN…COMMIT)", statements)
    result.add("apply_result", project_rate, "msg/s")
    result.add("raw sqlite3, same statements", raw_rate, "msg/s")
    ratio = project_rate / raw_rate
    result.add("ratio apply_result / raw", ratio, target="≥ 0.5", met=ratio >= 0.5)
    if ratio < 0.5:
        result.explanations.append(
            f"Persister: apply_result {project_rate:.0f} msg/s against {raw_rate:.0f} raw: the code around the"
            f" statements (dedup id, rule dispatch, row dicts) costs {(1 / project_rate - 1 / raw_rate) * 1e3:.2f} ms"
            " per message on top of the writes."
        )
    result.add("parse_result per message (not in the ratio)", parse_seconds / count * 1e6, "µs")
    command_rate = count / command_seconds
    result.add("commands (EpisodeUpdated)", command_rate, "msg/s")
    result.add("ratio commands / episode inserts", command_rate / project_rate)
    return result
