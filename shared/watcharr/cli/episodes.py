"""`watcharr episodes list`: the caller's list as a table, with each episode's id for the other verbs."""

from __future__ import annotations

from typing import Any

from watcharr.cli.client import EXIT_OK
from watcharr.cli.render import format_duration, format_table
from watcharr.cli.session import Session


def episode_state(episode: dict[str, Any]) -> str:
    """An episode's state in a few words: watched (or pending), favourite, priority, bin, archive."""
    words = []
    if episode.get("watched"):
        words.append("watched")
    elif episode.get("watchStatus") == "pending":
        words.append("pending")
    if episode.get("favorite"):
        words.append("fav")
    if episode.get("priority") not in (None, "none"):
        words.append(str(episode["priority"]))
    if episode.get("isDeleted"):
        words.append("deleted")
    if episode.get("isArchived"):
        words.append("archived")
    return ", ".join(words)


def cmd_episodes_list(session: Session) -> int:
    """List the caller's episodes (newest first unless --sort says otherwise) as a table."""
    args = session.args
    query = {
        "type": args.type,
        "watched": args.watched,
        "favorite": args.favorite,
        "tag": args.tag,
        "search": args.search,
        "deleted": args.deleted or None,
        "archived": args.archived or None,
        "sort": args.sort,
        "limit": args.limit,
        "offset": args.offset,
    }
    answer = session.api().call("GET", "/api/episodes", query=query)
    episodes = answer.get("episodes") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not episodes:
        session.say("no episodes")
        return EXIT_OK
    rows = [
        [
            str(e.get("id") or ""),
            str(e.get("title") or e.get("url") or ""),
            str(e.get("type") or ""),
            str((e.get("channel") or {}).get("name") or ""),
            format_duration(e.get("duration")),
            episode_state(e),
            ", ".join(str(tag.get("name")) for tag in e.get("tags") or []),
        ]
        for e in episodes
    ]
    headers = ["ID", "TITLE", "TYPE", "CHANNEL", "DURATION", "STATE", "TAGS"]
    session.say(format_table(headers, rows, [12, 60, 7, 30, 9, 30, 40]))
    shown = args.offset + len(episodes)
    if int(answer.get("total") or 0) > shown:
        session.note(f"{shown} of {answer['total']} shown; more with --offset {shown}")
    return EXIT_OK
