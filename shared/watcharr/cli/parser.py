"""The `watcharr` command line: global options, one command (and sub-command) per action, and main."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from watcharr.cli.channels import add_channel_commands
from watcharr.cli.client import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError
from watcharr.cli.dead_letters import cmd_dead_letters_list, cmd_dead_letters_redrive
from watcharr.cli.episodes import cmd_episodes_list
from watcharr.cli.imports import add_import_commands
from watcharr.cli.jobs import DEFAULT_WAIT_TIMEOUT_SECONDS, cmd_add, cmd_jobs_show
from watcharr.cli.podcasts import backfill, cmd_podcasts_add, cmd_podcasts_list, cmd_podcasts_remove
from watcharr.cli.session import Session
from watcharr.cli.sync import cmd_sync_now
from watcharr.cli.users import cmd_users_create, cmd_users_rotate_token, username
from watcharr.logic.auth import AUTH_CACHE_SECONDS


def cmd_local_run(args: Sequence[str]) -> int:
    """Start the local stack (moto SQS, the API on 127.0.0.1, pollers, the schedule) until Ctrl-C."""
    from watcharr.local.runner import main as run_local

    return run_local(list(args))


EXIT_CODES_HELP = """\
exit codes:
  0  success
  1  the request failed (the API's or AWS's reason is printed)
  2  usage error (bad arguments, no API URL or token configured)
  3  the API or the queue cannot be reached (connection refused, timeout, 502/503/504)
  4  some items failed or were refused (add), or were not finished within --timeout (add --wait)

Without --api, the command uses the local stack that `watcharr local run` describes in
<data-dir>/local.json, with the `local` user's token from <data-dir>/local-token. For a deployed
stack set WATCHARR_API_URL and WATCHARR_TOKEN (prefer the variable: --token shows in `ps`).
"""


USERS_HELP = (
    f"After rotate-token the old token keeps working for up to {AUTH_CACHE_SECONDS:.0f} s: each API "
    "container caches a token it has checked for that long. Rotating the local stack's user `local` "
    "also rewrites <data-dir>/local-token (mode 0600)."
)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number between ``low`` and ``high``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return number

    return parse


def _add_global_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    # Given again after the command, each option must not reset what was given before it.
    default: Any = argparse.SUPPRESS if in_command else None
    parser.add_argument("--api", metavar="URL", default=default, help="API base URL (env WATCHARR_API_URL)")
    parser.add_argument("--token", metavar="TOKEN", default=default, help="API token (env WATCHARR_TOKEN)")
    parser.add_argument(
        "--data-dir", metavar="DIR", default=default, help="the local stack's data directory (./data)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if in_command else False,
        help="print JSON for scripts instead of text (errors stay on stderr)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then one command (and sub-command) per action."""
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, in_command=True)
    parser = argparse.ArgumentParser(
        prog="watcharr",
        description="Your watch-later list from the command line: add links, follow jobs, "
        "manage podcasts and users.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, in_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def group(name: str, help_text: str, epilog: str | None = None) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=epilog)
        return sub.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = commands.add_parser(
        "add",
        parents=[common],
        help="add links to your list as one job",
        description="Add links (videos, playlists, podcast episodes) to your list as one job.",
    )
    add.add_argument(
        "urls", nargs="+", metavar="URL", help="a link, or - to read links from stdin (one a line)"
    )
    add.add_argument("--tag", help="tag every added episode")
    add.add_argument("--wait", action="store_true", help="follow the job until every item is finished")
    add.add_argument(
        "--timeout",
        type=bounded_int(1, 86_400),
        default=DEFAULT_WAIT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"with --wait, give up waiting after this long (default {DEFAULT_WAIT_TIMEOUT_SECONDS})",
    )
    add.set_defaults(func=cmd_add)

    jobs = group("jobs", "follow what happened to added links")
    show = jobs.add_parser("show", parents=[common], help="a job's status and every item with its state")
    show.add_argument("job_id", metavar="ID")
    show.set_defaults(func=cmd_jobs_show)

    episodes = group("episodes", "read your list")
    listing = episodes.add_parser("list", parents=[common], help="your episodes, newest first")
    listing.add_argument("--type", choices=["video", "podcast"])
    watched = listing.add_mutually_exclusive_group()
    watched.add_argument("--watched", dest="watched", action="store_const", const=True, default=None)
    watched.add_argument("--unwatched", dest="watched", action="store_const", const=False)
    listing.add_argument("--tag")
    listing.add_argument("--limit", type=bounded_int(1, 500), default=50)
    listing.add_argument("--offset", type=bounded_int(0, 1_000_000), default=0)
    listing.set_defaults(func=cmd_episodes_list)

    podcasts = group("podcasts", "subscribe to podcast feeds")
    subscribe = podcasts.add_parser(
        "add", parents=[common], help="subscribe to a feed (RSS/Atom or Apple Podcasts link)"
    )
    subscribe.add_argument("feed_url", metavar="FEED_URL")
    subscribe.add_argument("--tag", help="tag every episode of this feed")
    subscribe.add_argument(
        "--backfill",
        type=backfill,
        metavar="N|all",
        help="how many of the newest episodes to add now (API default: 1)",
    )
    subscribe.set_defaults(func=cmd_podcasts_add)
    podcasts.add_parser("list", parents=[common], help="your subscriptions and their last sync").set_defaults(
        func=cmd_podcasts_list
    )
    remove = podcasts.add_parser("remove", parents=[common], help="unsubscribe (added episodes stay)")
    remove.add_argument("podcast_id", metavar="ID")
    remove.set_defaults(func=cmd_podcasts_remove)
    add_import_commands(commands, podcasts, common)

    add_channel_commands(group("channels", "follow YouTube channels and playlists"), common)

    sync = group("sync", "sync podcast feeds outside the schedule")
    now = sync.add_parser(
        "now",
        parents=[common],
        help="sync every subscription now",
        description="Sync every subscription now. Local stack: asks the local runner. "
        "Deployed stack: invokes "
        "the PodcastSyncFunction with boto3, which needs AWS credentials allowed lambda:InvokeFunction.",
    )
    now.add_argument(
        "--function-name",
        metavar="NAME",
        help="the deployed PodcastSyncFunction (env WATCHARR_SYNC_FUNCTION_NAME)",
    )
    now.set_defaults(func=cmd_sync_now)

    users = group("users", "create users and rotate their tokens", USERS_HELP)
    queue_help = (
        "the deployed ResultsQueue.fifo URL (env WATCHARR_RESULTS_QUEUE_URL); needs AWS credentials allowed "
        "sqs:SendMessage. Without it, the local stack's queue"
    )
    for action, help_text, func in (
        ("create", "create a user and print its API token once", cmd_users_create),
        (
            "rotate-token",
            f"give a user a new API token (the old one stops working within {AUTH_CACHE_SECONDS:.0f} s)",
            cmd_users_rotate_token,
        ),
    ):
        command = users.add_parser(action, parents=[common], help=help_text, description=help_text)
        command.add_argument("name", metavar="NAME", type=username)
        command.add_argument("--queue-url", metavar="URL", help=queue_help)
        command.set_defaults(func=func)

    dead = group("dead-letters", "results messages the writer refused for good: list them, send one again")
    function_help = (
        "the deployed QueryFunction (env WATCHARR_QUERY_FUNCTION_NAME); needs AWS credentials allowed "
        "lambda:InvokeFunction. Without it, the local stack's database is read"
    )
    listed = dead.add_parser("list", parents=[common], help="refused messages, newest first, with the reason")
    listed.add_argument("--limit", type=bounded_int(1, 500), default=50)
    listed.add_argument("--offset", type=bounded_int(0, 1_000_000), default=0)
    listed.add_argument("--query-function", metavar="NAME", help=function_help)
    listed.set_defaults(func=cmd_dead_letters_list)
    redrive = dead.add_parser(
        "redrive",
        parents=[common],
        help="send a refused message's body to the results queue again (after fixing the cause)",
    )
    redrive.add_argument("message_id", metavar="ID")
    redrive.add_argument("--query-function", metavar="NAME", help=function_help)
    redrive.add_argument("--queue-url", metavar="URL", help=queue_help)
    redrive.set_defaults(func=cmd_dead_letters_redrive)

    local = group("local", "the local stack: no AWS account, no Docker")
    run = local.add_parser("run", help="start the local stack until Ctrl-C (options go to the runner)")
    run.add_argument("runner_args", nargs=argparse.REMAINDER, metavar="ARGS")
    run.set_defaults(func=lambda session: cmd_local_run(session.args.runner_args))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script passes it to sys.exit)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The runner parses its own options, which argparse would take for ours.
    if arguments[:2] == ["local", "run"]:
        return _run_guarded(lambda: cmd_local_run(arguments[2:]))
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    session = Session(args=args, out=sys.stdout, err=sys.stderr, stdin=sys.stdin)
    return _run_guarded(lambda: args.func(session))


def _run_guarded(command: Callable[[], int]) -> int:
    try:
        return command()
    except CliError as exc:
        sys.stderr.write(f"watcharr: {exc}\n")
        return exc.code
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("watcharr.local"):
            raise
        sys.stderr.write(f"watcharr: local mode is not available in this install ({exc})\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("watcharr: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`watcharr episodes list | head`): stop writing, quietly.
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        return
