"""Moving in: a reference app database, a Google Takeout, a podcast OPML file; and the way out (export).

Every import goes through the architecture, never around it: the importer reads the file (pure
readers in ``domain`` and ``adapters.reference_db``), turns it into bounded messages and publishes
them to the FIFO queue; the persister applies them like any other message (``logic.persist_import``).
Reading happens before anything is sent, so a file that cannot be imported changes nothing.

- 2watcharr database: one ``ReferenceChunkImported`` per chunk the reader yields (≤ 100 episodes).
  Their ids derive from the file's content, so importing again, or again after a crash half way,
  sends the same ids and nothing applies twice. Each user's import has an id (``reference_import_id``)
  under which the persister counts what it did; ``import_report`` reads it back.
- Takeout: one job (source ``import``) for every playlist video, each playlist a tag, through the
  add-videos machinery (``ingest.plan_job`` / ``submit_job``: 50 items a message, so past the 500 of
  one request). With ``history`` the watch history marks episodes watched: videos of the job carry
  their watched time on their item (applied when each lands), the rest go as ``WatchHistoryImported``
  for the episodes already on the list (the others counted as not on the list); with ``add_history``
  the history's videos are added to the job too.
- OPML: each feed becomes a subscription (the subscribe path of ``logic.podcasts``) and is synced as
  usual; feeds the user already follows and repeats in the file are left alone and counted.
- Export: the user's whole list (list, archive and bin) paged through the query function and streamed
  as JSON or CSV (``domain.export``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcharr import limits
from watcharr.adapters.query_client import QueryClient
from watcharr.adapters.queues import QueuePublisher
from watcharr.adapters.reference_db import ReferenceDatabase, open_reference_db
from watcharr.domain.export import ExportFormat, export_episodes
from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.domain.opml import parse_opml
from watcharr.domain.takeout import read_takeout
from watcharr.logic.ingest import JobPlan, LinkRequest, new_job_id, plan_job, submit_job
from watcharr.logic.podcasts import feed_link, plan_subscription, subscriptions
from watcharr.models.imports import ImportedUser, TakeoutContents
from watcharr.models.messages import (
    MAX_WATCH_MARKS_PER_MESSAGE,
    ReferenceChunkImported,
    ResultMessage,
    WatchHistoryImported,
    WatchMark,
    utc_now,
)
from watcharr.models.queries import GetImport, ImportReport, ListEpisodes, ask

# Messages handed to the publisher at a time: SendMessageBatch takes 10, and a crash loses at most these.
PUBLISH_GROUP = 10
EXPORT_PAGE = 200
TAKEOUT_PLAYLIST_FALLBACK_TAG = "Takeout playlist"


# ---- 2watcharr database -------------------------------------------------------------------------


def reference_import_id(user: ImportedUser) -> str:
    """The import of one reference user: the same user of the same database gets the same id."""
    material = f"2watcharr\n{user.source_id}\n{user.username}\n{user.created_at}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


@dataclass
class ReferenceImportSent:
    """What the importer sent: per user name its import id and how many chunks; rows no user owns."""

    import_ids: dict[str, str] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    episodes: int = 0
    messages: int = 0
    orphan_events: int = 0


def reference_import_messages(
    path: Path | str, sent: ReferenceImportSent
) -> Iterator[ReferenceChunkImported]:
    """The import messages of a reference database, user after user, chunk after chunk.

    The file is opened and its schema checked before the first message is yielded, so a file that
    is not a 2watcharr v0.6.5 database raises ``ReferenceDbError`` with nothing sent.
    """
    reference = open_reference_db(path)
    sent.orphan_events = reference.orphan_events
    return _chunk_messages(reference, sent)


def _chunk_messages(
    reference: ReferenceDatabase, sent: ReferenceImportSent
) -> Iterator[ReferenceChunkImported]:
    with reference:
        for user in reference.users():
            import_id = reference_import_id(user)
            sent.import_ids[user.username] = import_id
            sent.chunks[user.username] = 0
            for chunk in reference.chunks(user):
                sent.chunks[user.username] += 1
                sent.episodes += len(chunk.episodes)
                yield ReferenceChunkImported(import_id=import_id, chunk=chunk)


def import_reference_db(path: Path | str, publisher: QueuePublisher) -> ReferenceImportSent:
    """Publish a reference database's users and lists to the FIFO queue, in order, 10 messages a call.

    Raises ``ReferenceDbError`` (nothing sent) for a file that cannot be imported.
    """
    sent = ReferenceImportSent()
    sent.messages = send_in_order(publisher, reference_import_messages(path, sent))
    return sent


def import_report(query: QueryClient, import_id: str) -> ImportReport | None:
    """The import's report as the persister has counted it so far; None before its first message."""
    return ask(query, GetImport(import_id=import_id)).report


def wait_for_reference_import(
    query: QueryClient, sent: ReferenceImportSent, seconds: float
) -> dict[str, ImportReport | None]:
    """Each user's report once all of its chunks applied, or as far as it got after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        reports = {name: import_report(query, import_id) for name, import_id in sent.import_ids.items()}
        done = all(
            report is not None and report.chunks >= sent.chunks[name] for name, report in reports.items()
        )
        if done or time.monotonic() >= deadline:
            return reports
        time.sleep(0.2)


# ---- Google Takeout -----------------------------------------------------------------------------


@dataclass
class TakeoutImport:
    """What a Takeout import sends (``plan``, ``history``) and what it left out, for the report."""

    import_id: str
    plan: JobPlan | None
    history: list[WatchHistoryImported]
    playlists: dict[str, int]
    history_entries: int
    problems: list[str]


def playlist_tag(name: str) -> str:
    """A playlist's name as a tag: trimmed to the tag limit; a name of nothing gets a fallback."""
    tag = name.strip()[: limits.MAX_TAG_LENGTH].strip()
    return tag or TAKEOUT_PLAYLIST_FALLBACK_TAG


def plan_takeout_import(
    user_id: int, contents: TakeoutContents, *, history: bool = False, add_history: bool = False
) -> TakeoutImport:
    """One job for every playlist video (each once, with every playlist it is in as a tag), and the
    watch history as watched times on those items or as marks for episodes already on the list."""
    job_id = new_job_id()
    watched: dict[str, str | None] = {}
    if history or add_history:
        for entry in contents.history:  # newest first, as Takeout lists it: keep the last watch
            watched.setdefault(entry.video_id, entry.watched_at)
    tags: dict[str, list[str]] = {}
    for playlist in contents.playlists:
        tag = playlist_tag(playlist.name)
        for video_id in playlist.video_ids:
            video_tags = tags.setdefault(video_id, [])
            if tag not in video_tags and len(video_tags) < limits.MAX_TAGS_PER_EPISODE:
                video_tags.append(tag)
    if add_history:
        for video_id in watched:
            tags.setdefault(video_id, [])
    links = [
        LinkRequest(
            text=f"https://www.youtube.com/watch?v={video_id}",
            import_tags=tuple(video_tags),
            watched_at=watched.get(video_id),
        )
        for video_id, video_tags in tags.items()
    ]
    plan = plan_job(user_id, links, "import", job_id=job_id) if links else None
    rest = [WatchMark(video_id=v, watched_at=at) for v, at in watched.items() if v not in tags]
    marks = [
        WatchHistoryImported(
            import_id=job_id,
            user_id=user_id,
            sequence=n,
            videos=rest[start : start + MAX_WATCH_MARKS_PER_MESSAGE],
        )
        for n, start in enumerate(range(0, len(rest), MAX_WATCH_MARKS_PER_MESSAGE))
    ]
    problems = list(contents.problems)
    problems += [
        f"{p.source_file}: {p.malformed_rows} malformed rows left out"
        for p in contents.playlists
        if p.malformed_rows
    ]
    if contents.history_without_video:
        problems.append(
            f"watch history: {contents.history_without_video} entries without a video link skipped"
        )
    if contents.history_malformed:
        problems.append(f"watch history: {contents.history_malformed} malformed entries skipped")
    return TakeoutImport(
        import_id=job_id,
        plan=plan,
        history=marks if history else [],
        playlists={playlist_tag(p.name): len(p.video_ids) for p in contents.playlists},
        history_entries=len(contents.history),
        problems=problems,
    )


def submit_takeout_import(publisher: QueuePublisher, takeout: TakeoutImport) -> None:
    """The job and its items first, then the history marks, then the extractions."""
    if takeout.plan is not None:
        takeout.plan.messages.extend(takeout.history)
        submit_job(publisher, takeout.plan)
    elif takeout.history:
        publisher.send_results(takeout.history)


def import_takeout(
    path: Path | str,
    user_id: int,
    publisher: QueuePublisher,
    *,
    history: bool = False,
    add_history: bool = False,
) -> TakeoutImport:
    """Read a Takeout (.zip or folder) and send it for the user; raises ``TakeoutError`` unsent."""
    takeout = plan_takeout_import(user_id, read_takeout(path), history=history, add_history=add_history)
    submit_takeout_import(publisher, takeout)
    return takeout


# ---- OPML -------------------------------------------------------------------------------------


@dataclass
class OpmlImportResult:
    """Feeds subscribed to now, feeds already followed, repeats in the file and outlines left out."""

    subscribed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)


def import_opml(
    query: QueryClient,
    publisher: QueuePublisher,
    user_id: int,
    body: bytes,
    *,
    tag: str | None = None,
    backfill: int | None = 1,
) -> OpmlImportResult:
    """Subscribe the user to every feed of an OPML body, each then synced as a subscribe is.

    Raises ``OpmlError`` (nothing sent) for a body that is not OPML or is refused as unsafe.
    """
    parsed = parse_opml(body)
    result = OpmlImportResult(duplicates=parsed.duplicates, skipped=list(parsed.skipped))
    current = subscriptions(query, user_id)
    followed = {sub["feedUrl"] for sub in current}
    added: list[ResultMessage] = []
    first_syncs = []
    for outline in parsed.subscriptions:
        try:
            url = feed_link(outline.xml_url)
        except UnsupportedLink as exc:
            result.skipped.append(f"{outline.title or outline.xml_url}: {exc.reason}")
            continue
        if url in followed:
            result.already.append(url)
            continue
        followed.add(url)
        plan = plan_subscription(user_id, url, tag, backfill, current)
        added.append(plan.added)
        first_syncs.append(plan.first_sync)
        result.subscribed.append(url)
    publisher.send_results(added)
    publisher.send_extract_requests(first_syncs)
    return result


# ---- export -----------------------------------------------------------------------------------


def _views(query: QueryClient, user_id: int) -> Iterator[dict[str, Any]]:
    """Every episode of the user, the list then the archive then the bin, in the API's shape."""
    for where in ({}, {"archived": True}, {"deleted": True}):
        offset = 0
        while True:
            page = ask(query, ListEpisodes(user_id=user_id, limit=EXPORT_PAGE, offset=offset, **where))
            for view in page.episodes:
                episode = view.wire()
                episode["tags"] = episode.pop("tagDetails")
                yield episode
            offset += len(page.episodes)
            if len(page.episodes) < EXPORT_PAGE:
                break


def export_list(
    query: QueryClient, user_id: int, fmt: ExportFormat, exported_at: str | None = None
) -> Iterator[str]:
    """The user's whole list as JSON or CSV text chunks, read page by page as it is written."""
    return export_episodes(_views(query, user_id), fmt, exported_at or utc_now())


def send_in_order(publisher: QueuePublisher, messages: Iterable[ResultMessage]) -> int:
    """Publish messages in groups of ``PUBLISH_GROUP``; how many were sent."""
    group: list[ResultMessage] = []
    count = 0
    for message in messages:
        group.append(message)
        if len(group) == PUBLISH_GROUP:
            publisher.send_results(group)
            count += len(group)
            group = []
    if group:
        publisher.send_results(group)
        count += len(group)
    return count
