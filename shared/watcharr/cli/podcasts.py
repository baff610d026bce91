"""`watcharr podcasts add|list|remove`: podcast subscriptions."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

from watcharr.cli.client import EXIT_OK
from watcharr.cli.render import format_table
from watcharr.cli.session import Session


def backfill(value: str) -> int | str:
    """The --backfill option: a number of episodes, or "all"."""
    if value == "all":
        return value
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of episodes, or 'all'") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def cmd_podcasts_add(session: Session) -> int:
    """Subscribe to a feed; its newest episodes are added as the feed is read."""
    args = session.args
    body: dict[str, Any] = {"feedUrl": args.feed_url}
    if args.tag is not None:
        body["tag"] = args.tag
    if args.backfill is not None:
        body["backfill"] = args.backfill
    answer = session.api().call("POST", "/api/podcasts", body)
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"subscribed: {answer.get('subscriptionId')} ({args.feed_url})")
    return EXIT_OK


def cmd_podcasts_list(session: Session) -> int:
    """List the caller's subscriptions with their last sync."""
    answer = session.api().call("GET", "/api/podcasts")
    podcasts = answer.get("podcasts") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not podcasts:
        session.say("no podcasts")
        return EXIT_OK
    rows = []
    for p in podcasts:
        status = str(p.get("lastStatus") or "never synced")
        if p.get("lastError"):
            status += f": {p['lastError']}"
        rows.append(
            [
                str(p.get("id") or ""),
                str(p.get("title") or p.get("feedUrl") or ""),
                str(p.get("episodeCount") if p.get("episodeCount") is not None else ""),
                str(p.get("lastSyncAt") or ""),
                status,
                str(p.get("tag") or ""),
            ]
        )
    session.say(
        format_table(["ID", "TITLE", "EPISODES", "LAST SYNC", "STATUS", "TAG"], rows, [40, 50, 8, 24, 50, 20])
    )
    return EXIT_OK


def cmd_podcasts_remove(session: Session) -> int:
    """Unsubscribe; episodes already added stay on the list."""
    podcast_id = urllib.parse.quote(session.args.podcast_id, safe="")
    answer = session.api().call("DELETE", f"/api/podcasts/{podcast_id}")
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"removed {session.args.podcast_id}")
    return EXIT_OK


# ---- commands that go to AWS (or the local stack's moto) -------------------------------------------
