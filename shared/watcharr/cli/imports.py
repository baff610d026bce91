"""`watcharr import 2watcharr|takeout`, `watcharr podcasts import` and `watcharr export`: moving in and out.

Imports publish their messages to the FIFO results queue (and, for new links, the extract queue) like
every user change, so the one writer applies them (``logic.importing``). The target is the local
stack by default, or a deployed one with ``--queue-url`` (and ``--extract-queue-url``) and the
caller's AWS credentials. Reports and exports read through the query function's logic: in-process on
the local database, or the deployed QueryFunction by ``--query-function`` (``lambda:InvokeFunction``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from watcharr.adapters.query_client import QueryClient
from watcharr.cli.client import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, aws_call, aws_client, region_in
from watcharr.cli.session import QueueTarget, Session, local_stack_hint, queue_target
from watcharr.local.state import LOCAL_USERNAME

REPORT_WAIT_SECONDS = 120.0


def _publisher(session: Session, *, extract: bool) -> tuple[Any, QueueTarget]:
    from watcharr.adapters.queues import QueuePublisher

    target = queue_target(session)
    extract_url = (
        target.extract_queue_url
        or session.args.extract_queue_url
        or os.environ.get("WATCHARR_EXTRACT_QUEUE_URL", "")
    )
    if extract and not extract_url:
        raise CliError(
            "new links also go to the extract queue: pass --extract-queue-url (the stack's ExtractQueueUrl "
            "output) or set WATCHARR_EXTRACT_QUEUE_URL",
            EXIT_USAGE,
        )
    client = aws_client(
        "sqs", endpoint_url=target.endpoint_url, region=target.region, read_timeout=20, attempts=3
    )
    return QueuePublisher(extract_url, target.results_queue_url, client), target


def _query(session: Session, target: QueueTarget | None = None) -> QueryClient | None:
    """The QueryFunction's answers: the deployed one when named, else read-only on the local database."""
    name = session.args.query_function or os.environ.get("WATCHARR_QUERY_FUNCTION_NAME")
    if name:
        from watcharr.adapters.query_client import LambdaQueryClient

        lambda_client = aws_client(
            "lambda", endpoint_url=None, region=region_in(name), read_timeout=60, attempts=3
        )
        client = LambdaQueryClient(name, lambda_client)
        return lambda query: aws_call("asking the QueryFunction", name, lambda: client(query))
    local = target.local if target is not None else session.local_stack()
    if local is None:
        return None
    from watcharr.adapters.store import ReadStore, connect_reader
    from watcharr.logic.queries import answer_query

    def ask_local(query: Any) -> dict[str, Any]:
        conn = connect_reader(local.database_path)
        try:
            return answer_query(ReadStore(conn) if conn is not None else None, query).wire()
        finally:
            if conn is not None:
                conn.close()

    return ask_local


def _user_id(session: Session, query: QueryClient | None) -> int:
    from watcharr.models.queries import UserByName, ask

    if query is None:
        raise CliError(
            "this needs to find the user: pass --query-function (the stack's QueryFunction), "
            + local_stack_hint(session.data_dir),
            EXIT_USAGE,
        )
    name = session.args.user or LOCAL_USERNAME
    answer = ask(query, UserByName(username=name))
    if not answer.found or answer.user is None:
        raise CliError(f"no user {name!r}; create it with `watcharr users create {name}`")
    return answer.user.id


def cmd_import_2watcharr(session: Session) -> int:
    """Bring a reference app database's users and lists over, then print each user's report."""
    from watcharr.adapters.reference_db import ReferenceDbError
    from watcharr.logic.importing import import_reference_db, wait_for_reference_import

    publisher, target = _publisher(session, extract=False)
    try:
        sent = aws_call(
            "sending to the results queue",
            target.results_queue_url,
            lambda: import_reference_db(session.args.path, publisher),
        )
    except ReferenceDbError as exc:
        raise CliError(f"nothing imported: {exc}") from None
    session.note(
        f"sent {sent.messages} import messages ({sent.episodes} episodes of {len(sent.import_ids)} users)"
    )
    query = _query(session, target)
    reports = wait_for_reference_import(query, sent, session.args.wait) if query is not None else {}
    result = {
        "users": {
            name: {
                "importId": sent.import_ids[name],
                "chunksSent": sent.chunks[name],
                **_wire(reports.get(name)),
            }
            for name in sent.import_ids
        },
        "orphanEventsSkipped": sent.orphan_events,
    }
    if session.as_json:
        session.emit_json(result)
    else:
        for name, report in result["users"].items():
            session.say(_report_line(name, report))
            for reason in report.get("skipped", []):
                session.say(f"  skipped: {reason}")
        if sent.orphan_events:
            session.say(
                f"skipped: {sent.orphan_events} events of episodes deleted for good (no user can be told)"
            )
        if query is None:
            session.say("no report: pass --query-function to read it from the deployed stack")
    incomplete = any(r.get("chunks", 0) < r["chunksSent"] for r in result["users"].values())
    return EXIT_FAILED if query is not None and incomplete else EXIT_OK


def _wire(report: Any) -> dict[str, Any]:
    """The report as JSON; its ``chunks`` are the chunks applied so far."""
    return {} if report is None else dict(report.wire())


def _report_line(name: str, report: dict[str, Any]) -> str:
    if "episodesImported" not in report:
        return f"{name}: sent, not applied yet (import id {report['importId']})"
    return (
        f"{name} ({report['userOutcome']}): {report['episodesImported']} episodes imported, "
        f"{report['episodesMerged']} merged, {report['tagsImported']} tags imported, {report['tagsMerged']} merged, "
        f"{report['tagLinks']} tag links, {report['events']} events, {len(report['skipped'])} skipped"
    )


def cmd_import_takeout(session: Session) -> int:
    """Add a Takeout's playlists (each a tag) as one job; optionally mark or add the watch history."""
    from watcharr.domain.takeout import TakeoutError, read_takeout
    from watcharr.logic.importing import plan_takeout_import, submit_takeout_import

    publisher, target = _publisher(session, extract=True)
    user_id = _user_id(session, _query(session, target))
    try:
        contents = read_takeout(session.args.path)
    except TakeoutError as exc:
        raise CliError(f"nothing imported: {exc}") from None
    takeout = plan_takeout_import(
        user_id,
        contents,
        history=session.args.history or session.args.add_history,
        add_history=session.args.add_history,
    )
    aws_call(
        "sending to the queues", target.results_queue_url, lambda: submit_takeout_import(publisher, takeout)
    )
    result = {
        "jobId": takeout.plan.job_id if takeout.plan else None,
        "items": len(takeout.plan.requests) if takeout.plan else 0,
        "playlists": takeout.playlists,
        "historyEntries": takeout.history_entries,
        "historyMarkMessages": len(takeout.history),
        "problems": takeout.problems,
    }
    if session.as_json:
        session.emit_json(result)
    else:
        for name, count in takeout.playlists.items():
            session.say(f"playlist {name!r}: {count} videos, tagged {name!r}")
        if takeout.plan:
            session.say(
                f"job {takeout.plan.job_id}: {result['items']} videos; follow it with `watcharr jobs show`"
            )
        for problem in takeout.problems:
            session.say(f"skipped: {problem}")
    return EXIT_OK


def cmd_podcasts_import(session: Session) -> int:
    """Subscribe to every feed of an OPML file (duplicates and feeds already followed are left alone)."""
    from watcharr.domain.opml import OpmlError
    from watcharr.logic.importing import import_opml

    publisher, target = _publisher(session, extract=True)
    query = _query(session, target)
    user_id = _user_id(session, query)
    assert query is not None
    try:
        body = Path(session.args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {session.args.file}: {exc.strerror}", EXIT_USAGE) from None
    try:
        result = aws_call(
            "sending to the queues",
            target.results_queue_url,
            lambda: import_opml(query, publisher, user_id, body),
        )
    except OpmlError as exc:
        raise CliError(f"nothing imported: {exc}") from None
    if session.as_json:
        session.emit_json(vars(result))
    else:
        session.say(
            f"{len(result.subscribed)} subscribed, {len(result.already)} already followed, "
            f"{result.duplicates} repeated in the file, {len(result.skipped)} left out"
        )
        for reason in result.skipped:
            session.say(f"skipped: {reason}")
    return EXIT_OK


def cmd_export(session: Session) -> int:
    """Write the user's whole list (with the archive and the bin) as JSON or CSV."""
    from watcharr.logic.importing import export_list

    query = _query(session)
    user_id = _user_id(session, query)
    assert query is not None
    chunks = export_list(query, user_id, session.args.format)
    if session.args.output in (None, "-"):
        for chunk in chunks:
            session.out.write(chunk)
        return EXIT_OK
    path = Path(session.args.output)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)
    # Renamed once complete, so a failed export never leaves a file that looks whole.
    partial.replace(path)
    session.note(f"wrote {path}")
    return EXIT_OK


def _target_options(parser: argparse.ArgumentParser, *, extract: bool) -> None:
    parser.add_argument(
        "--queue-url",
        metavar="URL",
        help="the deployed ResultsQueue.fifo URL (env WATCHARR_RESULTS_QUEUE_URL)",
    )
    if extract:
        parser.add_argument(
            "--extract-queue-url",
            metavar="URL",
            help="the deployed ExtractQueue URL (env WATCHARR_EXTRACT_QUEUE_URL)",
        )
    _query_options(parser)


def _query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--query-function",
        metavar="NAME",
        help="the deployed QueryFunction, for reports and reads (env WATCHARR_QUERY_FUNCTION_NAME)",
    )


def _user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help=f"whose list (default: {LOCAL_USERNAME})")


def add_import_commands(commands: Any, podcasts: Any, common: argparse.ArgumentParser) -> None:
    """Register `import 2watcharr|takeout`, `podcasts import` and `export` on the command line."""
    group = commands.add_parser("import", help="bring your list along", description="Bring your list along.")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    reference = actions.add_parser(
        "2watcharr", parents=[common], help="a 2watcharr (v0.6.5) database: users, episodes, tags, history"
    )
    reference.add_argument("path", metavar="PATH", help="the reference app's SQLite file")
    reference.add_argument(
        "--wait",
        type=float,
        default=REPORT_WAIT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for the report",
    )
    _target_options(reference, extract=False)
    reference.set_defaults(func=cmd_import_2watcharr, extract_queue_url=None)

    takeout = actions.add_parser(
        "takeout", parents=[common], help="Google Takeout: playlists (and watch history)"
    )
    takeout.add_argument("path", metavar="PATH", help="the Takeout .zip or its extracted folder")
    takeout.add_argument("--history", action="store_true", help="mark episodes in the watch history watched")
    takeout.add_argument(
        "--add-history", action="store_true", help="also add the history's videos to the list"
    )
    _target_options(takeout, extract=True)
    _user_option(takeout)
    takeout.set_defaults(func=cmd_import_takeout)

    opml = podcasts.add_parser("import", parents=[common], help="subscribe to every feed of an OPML file")
    opml.add_argument("file", metavar="FILE.opml")
    _target_options(opml, extract=True)
    _user_option(opml)
    opml.set_defaults(func=cmd_podcasts_import)

    export = commands.add_parser(
        "export", parents=[common], help="your whole list as JSON or CSV", description="Your whole list, out."
    )
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _query_options(export)
    _user_option(export)
    export.set_defaults(func=cmd_export)
