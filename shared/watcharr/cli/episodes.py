"""`watcharr episodes list`: the caller's list as a table."""

from __future__ import annotations

from watcharr.cli.client import EXIT_OK
from watcharr.cli.render import format_duration, format_table
from watcharr.cli.session import Session


def cmd_episodes_list(session: Session) -> int:
    """List the caller's episodes, newest first, as a table."""
    args = session.args
    query = {
        "type": args.type,
        "watched": args.watched,
        "tag": args.tag,
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
            str(e.get("title") or e.get("url") or ""),
            str(e.get("type") or ""),
            str((e.get("channel") or {}).get("name") or ""),
            format_duration(e.get("duration")),
            ", ".join(tag["name"] for tag in e.get("tags") or []),
        ]
        for e in episodes
    ]
    session.say(format_table(["TITLE", "TYPE", "CHANNEL", "DURATION", "TAGS"], rows, [60, 7, 30, 9, 40]))
    return EXIT_OK
