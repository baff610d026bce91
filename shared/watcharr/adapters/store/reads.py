"""The query function's reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from watcharr.adapters.store.connection import Row, retry_while_busy
from watcharr.models.queries import ListEpisodes


class ReadStore:
    """The query function's reads, on a read-only connection.

    Each statement that finds the writer committing is tried again after a short pause
    (``retry_while_busy``) rather than after SQLite's own millisecond ones.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("PRAGMA busy_timeout = 0")

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return retry_while_busy(lambda: self.conn.execute(sql, parameters))

    def dead_letters(self, limit: int, offset: int) -> tuple[list[Row], int]:
        """Messages the persister refused, newest first, and how many there are in all."""
        rows = self._execute(
            "SELECT message_id, body, reason, type, received_at FROM dead_letters"
            " ORDER BY received_at DESC, message_id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        total = self._execute("SELECT COUNT(*) AS n FROM dead_letters").fetchone()["n"]
        return rows, total

    def dead_letter(self, message_id: str) -> Row | None:
        return self._execute(
            "SELECT message_id, body, reason, type, received_at FROM dead_letters WHERE message_id = ?",
            (message_id,),
        ).fetchone()

    def user_by_token_hash(self, token_hash: str) -> Row | None:
        return self._execute(
            "SELECT id, username, token_hash FROM users WHERE token_hash = ?", (token_hash,)
        ).fetchone()

    def user_by_name(self, username: str) -> Row | None:
        return self._execute("SELECT id, username FROM users WHERE username = ?", (username,)).fetchone()

    def job(self, user_id: int, job_id: str) -> Row | None:
        return self._execute(
            "SELECT id, source, left_out, created_at, updated_at FROM jobs WHERE id = ? AND user_id = ?",
            (job_id, user_id),
        ).fetchone()

    def job_items(self, job_id: str) -> list[Row]:
        return self._execute(
            "SELECT i.id, i.parent_item_id, i.url, i.kind, i.state, i.reason, i.title, i.episode_id, i.attempts,"
            " i.media_key, i.tag, i.retries, e.type AS episode_type, c.name AS channel FROM job_items i"
            " LEFT JOIN episodes e ON e.id = i.episode_id LEFT JOIN channels c ON c.id = e.channel_id"
            " WHERE i.job_id = ? ORDER BY i.rowid",
            (job_id,),
        ).fetchall()

    def episodes(self, query: ListEpisodes) -> tuple[list[Row], int]:
        """One page of the user's list as the query filters and sorts it, and how many match in all."""
        where, params = _episode_filters(query)
        total: int = self._execute(
            f"SELECT COUNT(*) AS n FROM episodes e LEFT JOIN channels c ON c.id = e.channel_id WHERE {where}",
            params,
        ).fetchone()["n"]
        rows = self._execute(
            f"{_EPISODE_SELECT} WHERE {where} ORDER BY {_EPISODE_ORDER[query.sort]} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        ).fetchall()
        return self._with_tags(rows), total

    def episode(self, user_id: int, episode_id: int) -> Row | None:
        rows = self._execute(
            f"{_EPISODE_SELECT} WHERE e.id = ? AND e.user_id = ?", (episode_id, user_id)
        ).fetchall()
        return self._with_tags(rows)[0] if rows else None

    def _with_tags(self, rows: list[Row]) -> list[Row]:
        by_id = {row["id"]: row for row in rows}
        for row in rows:
            row["tags"] = []
        if by_id:
            marks = ", ".join("?" * len(by_id))
            for tag in self._execute(
                "SELECT et.episode_id, t.id, t.name, t.color FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
                f" WHERE et.episode_id IN ({marks}) ORDER BY t.name COLLATE NOCASE, t.id",
                tuple(by_id),
            ):
                by_id[tag.pop("episode_id")]["tags"].append(tag)
        return rows

    def tags(self, user_id: int) -> list[Row]:
        """The user's tags by name, each with how many episodes on the list carry it."""
        return self._execute(
            "SELECT t.id, t.name, t.color, t.created_at, (SELECT COUNT(*) FROM episode_tags et"
            " JOIN episodes e ON e.id = et.episode_id WHERE et.tag_id = t.id AND e.is_deleted = 0) AS episode_count"
            " FROM tags t WHERE t.user_id = ? ORDER BY t.name COLLATE NOCASE, t.id",
            (user_id,),
        ).fetchall()

    def command(self, user_id: int, command_id: str) -> Row | None:
        return self._execute(
            "SELECT id, type, state, reason, episode_id, tag_id, created_at, applied_at FROM commands"
            " WHERE id = ? AND user_id = ?",
            (command_id, user_id),
        ).fetchone()

    def jobs(self, user_id: int, limit: int, offset: int) -> tuple[list[Row], int]:
        """The user's jobs newest first, each with its item count per state, and how many in all."""
        counted = self._execute("SELECT COUNT(*) AS n FROM jobs WHERE user_id = ?", (user_id,)).fetchone()
        total: int = counted["n"]
        jobs = self._execute(
            "SELECT id, source, left_out, created_at, updated_at FROM jobs WHERE user_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        by_id = {job["id"]: job for job in jobs}
        for job in jobs:
            job["states"] = {}
        if by_id:
            marks = ", ".join("?" * len(by_id))
            for r in self._execute(
                f"SELECT job_id, state, COUNT(*) AS n FROM job_items WHERE job_id IN ({marks})"
                " GROUP BY job_id, state",
                tuple(by_id),
            ):
                by_id[r["job_id"]]["states"][r["state"]] = r["n"]
        return jobs, total

    def import_report(self, import_id: str) -> Row | None:
        """An import's counts and its skipped rows' reasons, in the order they came."""
        row = self._execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()
        if row is not None:
            row["skipped"] = [
                r["reason"]
                for r in self._execute(
                    "SELECT reason FROM import_skips WHERE import_id = ? ORDER BY sequence, rowid",
                    (import_id,),
                )
            ]
        return row

    def subscriptions(self, user_id: int | None) -> list[Row]:
        """Active subscriptions of one user, or of everyone (user_id None) for the scheduled sync."""
        where, params = (
            ("s.is_active = 1 AND s.user_id = ?", (user_id,))
            if user_id is not None
            else ("s.is_active = 1", ())
        )
        return self._execute(
            "SELECT s.id, s.user_id, s.kind, s.include_shorts, s.feed_url, s.title, s.artwork_url, s.tag,"
            " s.etag, s.last_modified, s.last_sync_at, s.last_status, s.last_error, s.created_at,"
            " (SELECT COUNT(*) FROM episodes e WHERE e.subscription_id = s.id) AS episode_count"
            f" FROM subscriptions s WHERE {where} ORDER BY s.created_at, s.id",
            params,
        ).fetchall()

    def seen_keys(self, sub_id: str) -> list[str]:
        return [
            r["key_hash"]
            for r in self._execute(
                "SELECT key_hash FROM subscription_seen_items WHERE subscription_id = ?", (sub_id,)
            )
        ]

    def partial_episodes(self, created_after: str, limit: int) -> list[Row]:
        """Episodes saved with partial metadata since ``created_after``, the least recently tried first."""
        return self._execute(
            "SELECT id, user_id, external_id, url FROM episodes"
            " WHERE partial_metadata = 1 AND created_at > ? ORDER BY updated_at, id LIMIT ?",
            (created_after, limit),
        ).fetchall()

    def stale_items(self, updated_before: str, limit: int) -> list[Row]:
        return self._execute(
            "SELECT i.id, i.job_id, i.url, i.kind, i.media_key, i.tag, i.requeues, i.retries, j.user_id"
            " FROM job_items i"
            " JOIN jobs j ON j.id = i.job_id WHERE i.state = 'queued' AND i.updated_at < ?"
            " ORDER BY i.updated_at LIMIT ?",
            (updated_before, limit),
        ).fetchall()


_EPISODE_SELECT = (
    "SELECT e.id, e.type, e.external_id, e.title, e.description, e.duration, e.thumbnail_url, e.url,"
    " e.upload_date, e.published_date, e.view_count, e.watched, e.watch_status, e.favorite, e.priority,"
    " e.like_status, e.notes, e.is_archived, e.is_deleted, e.is_short, e.partial_metadata, e.created_at,"
    " e.updated_at, c.id AS channel_id, c.name AS channel_name, c.url AS channel_url"
    " FROM episodes e LEFT JOIN channels c ON c.id = e.channel_id"
)
_EPISODE_ORDER = {
    "added": "e.created_at DESC, e.id DESC",
    # Podcasts carry a publication date, videos an upload date; undated episodes come last.
    "published": "COALESCE(e.published_date, e.upload_date) IS NULL, COALESCE(e.published_date, e.upload_date)"
    " DESC, e.id DESC",
    "priority": "CASE e.priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC,"
    " e.created_at DESC, e.id DESC",
}


def _episode_filters(query: ListEpisodes) -> tuple[str, list[Any]]:
    # As in the reference app the list hides the bin and the archive; the bin shows all that is deleted.
    where = ["e.user_id = ?", "e.is_deleted = ?"]
    params: list[Any] = [query.user_id, int(query.deleted)]
    if not query.deleted:
        where.append("e.is_archived = ?")
        params.append(int(query.archived))
    for column, value in (
        ("e.type", query.type),
        ("e.watched", query.watched),
        ("e.watch_status", query.watch_status),
        ("e.favorite", query.favorite),
        ("e.priority", query.priority),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(int(value) if isinstance(value, bool) else value)
    if query.tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM episode_tags et JOIN tags t ON t.id = et.tag_id"
            " WHERE et.episode_id = e.id AND t.name = ? COLLATE NOCASE)"
        )
        params.append(query.tag)
    if query.search:
        # LIKE is case-insensitive for ASCII; the user's % and _ are matched literally.
        pattern = "%" + query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(e.title LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\')")
        params.extend([pattern, pattern])
    return " AND ".join(where), params
