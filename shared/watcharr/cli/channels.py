"""`watcharr channels add|list|rm`: followed YouTube channels and playlists."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

from watcharr import limits
from watcharr.cli.client import EXIT_OK
from watcharr.cli.render import format_table
from watcharr.cli.session import Session


def channel_backfill(value: str) -> int:
    """The --backfill option: how many of the newest uploads to add now (0 to 15)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of uploads") from None
    if not 0 <= number <= limits.MAX_CHANNEL_BACKFILL:
        raise argparse.ArgumentTypeError(f"must be from 0 to {limits.MAX_CHANNEL_BACKFILL}")
    return number


def cmd_channels_add(session: Session) -> int:
    """Follow a channel or playlist; its newest uploads are added as its feed is read."""
    args = session.args
    body: dict[str, Any] = {"url": args.url, "includeShorts": not args.no_shorts}
    if args.tag is not None:
        body["tag"] = args.tag
    if args.backfill is not None:
        body["backfill"] = args.backfill
    answer = session.api().call("POST", "/api/channels", body)
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"following: {answer.get('subscriptionId')} ({answer.get('feedUrl') or args.url})")
    return EXIT_OK


def cmd_channels_list(session: Session) -> int:
    """List the caller's followed channels and playlists with their last sync."""
    answer = session.api().call("GET", "/api/channels")
    channels = answer.get("channels") or []
    if session.as_json:
        session.emit_json(answer)
        return EXIT_OK
    if not channels:
        session.say("no channels")
        return EXIT_OK
    rows = []
    for c in channels:
        status = str(c.get("lastStatus") or "never synced")
        if c.get("lastError"):
            status += f": {c['lastError']}"
        rows.append(
            [
                str(c.get("id") or ""),
                str(c.get("title") or c.get("feedUrl") or ""),
                "playlist" if c.get("kind") == "youtube_playlist" else "channel",
                "yes" if c.get("includeShorts") else "no",
                str(c.get("episodeCount") if c.get("episodeCount") is not None else ""),
                str(c.get("lastSyncAt") or ""),
                status,
                str(c.get("tag") or ""),
            ]
        )
    session.say(
        format_table(
            ["ID", "TITLE", "KIND", "SHORTS", "EPISODES", "LAST SYNC", "STATUS", "TAG"],
            rows,
            [20, 50, 8, 6, 8, 24, 50, 20],
        )
    )
    return EXIT_OK


def cmd_channels_remove(session: Session) -> int:
    """Stop following; episodes already added stay on the list."""
    channel_id = urllib.parse.quote(session.args.channel_id, safe="")
    answer = session.api().call("DELETE", f"/api/channels/{channel_id}")
    if session.as_json:
        session.emit_json(answer)
    else:
        session.say(f"removed {session.args.channel_id}")
    return EXIT_OK


def add_channel_commands(group: Any, common: argparse.ArgumentParser) -> None:
    """The `channels` subcommands, under the parser ``group`` made for them."""
    add = group.add_parser(
        "add",
        parents=[common],
        help="follow a YouTube channel (@handle, /channel/UC…, /c/, /user/) or playlist",
    )
    add.add_argument("url", metavar="URL")
    add.add_argument("--tag", help="tag every episode of this channel")
    add.add_argument(
        "--backfill",
        type=channel_backfill,
        metavar="N",
        help=f"how many of the newest uploads to add now, 0 to {limits.MAX_CHANNEL_BACKFILL} (API default: 1)",
    )
    add.add_argument("--no-shorts", action="store_true", help="leave the channel's Shorts out")
    add.set_defaults(func=cmd_channels_add)
    group.add_parser(
        "list", parents=[common], help="the channels you follow and their last sync"
    ).set_defaults(func=cmd_channels_list)
    remove = group.add_parser("rm", parents=[common], help="stop following (added episodes stay)")
    remove.add_argument("channel_id", metavar="ID")
    remove.set_defaults(func=cmd_channels_remove)
