"""`watcharr dead-letters list|redrive`: the results messages the persister refused for good.

The persister keeps each one in the database's ``dead_letters`` table (logic/poison.py). There is no
API route for them (they belong to the operator, not to a user), so the CLI reads them the way the
QueryFunction answers: a deployed stack's QueryFunction is invoked (--query-function or
WATCHARR_QUERY_FUNCTION_NAME, which needs lambda:InvokeFunction); without one, the local stack's
database is read through a read-only connection, with the QueryFunction's own code.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from watcharr.cli.client import EXIT_OK, EXIT_USAGE, CliError, aws_call, aws_client, json_object, region_in
from watcharr.cli.render import format_table
from watcharr.cli.session import Session, local_stack_hint, queue_target
from watcharr.models.queries import DeadLetter, DeadLettersAnswer, ListDeadLetters

# SQS keeps a deduplication id for 5 minutes: a redrive repeated within that time is sent once.
REDRIVE_DEDUP_PREFIX = "redrive-"


def ask_dead_letters(session: Session, query: ListDeadLetters) -> DeadLettersAnswer:
    """The answer to ``query`` from the deployed QueryFunction, else from the local database."""
    function_name = session.args.query_function or os.environ.get("WATCHARR_QUERY_FUNCTION_NAME")
    if function_name:
        return query.answer(_invoke_query_function(function_name, query))
    local = session.local_stack()
    if local is None:
        raise CliError(
            "no stack to read: pass --query-function or set WATCHARR_QUERY_FUNCTION_NAME for a deployed "
            "stack, " + local_stack_hint(session.data_dir),
            EXIT_USAGE,
        )
    from watcharr.adapters.store import ReadStore, connect_reader
    from watcharr.logic.queries import answer_query

    try:
        conn = connect_reader(local.database_path)
        try:
            answer = answer_query(ReadStore(conn) if conn is not None else None, query)
        finally:
            if conn is not None:
                conn.close()
    except sqlite3.Error as exc:
        raise CliError(f"cannot read the local database {local.database_path}: {exc}") from None
    return query.answer(answer.wire())


def _invoke_query_function(function_name: str, query: ListDeadLetters) -> dict[str, Any]:
    client = aws_client(
        "lambda", endpoint_url=None, region=region_in(function_name), read_timeout=20, attempts=3
    )
    response = aws_call(
        "invoking the query function",
        function_name,
        lambda: client.invoke(FunctionName=function_name, Payload=query.model_dump_json().encode()),
    )
    payload = json_object(response["Payload"].read())
    if response.get("FunctionError"):
        raise CliError(f"the query function failed: {payload.get('errorMessage') or payload}")
    return payload


def cmd_dead_letters_list(session: Session) -> int:
    """List the refused messages, newest first, with the reason each was refused."""
    answer = ask_dead_letters(session, ListDeadLetters(limit=session.args.limit, offset=session.args.offset))
    if session.as_json:
        session.emit_json(answer.wire())
        return EXIT_OK
    if not answer.dead_letters:
        session.say("no dead letters")
        return EXIT_OK
    rows = [[d.message_id, d.received_at, d.type or "?", d.reason, d.body] for d in answer.dead_letters]
    session.say(format_table(["ID", "RECEIVED", "TYPE", "REASON", "BODY"], rows, [40, 24, 24, 60, 40]))
    if answer.total > len(answer.dead_letters):
        session.note(f"{len(answer.dead_letters)} of {answer.total} shown; see --limit and --offset")
    return EXIT_OK


def cmd_dead_letters_redrive(session: Session) -> int:
    """Send a refused message's stored body to the results queue again, once its cause is fixed."""
    from watcharr.adapters.queues import RESULTS_MESSAGE_GROUP

    message_id = session.args.message_id
    found = ask_dead_letters(session, ListDeadLetters(message_id=message_id)).dead_letters
    if not found:
        raise CliError(f"no dead letter {message_id!r}; `watcharr dead-letters list` shows them")
    letter: DeadLetter = found[0]
    target = queue_target(session)
    client = aws_client(
        "sqs", endpoint_url=target.endpoint_url, region=target.region, read_timeout=20, attempts=3
    )
    sent = aws_call(
        "sending to the results queue",
        target.results_queue_url,
        lambda: client.send_message(
            QueueUrl=target.results_queue_url,
            MessageBody=letter.body,
            MessageGroupId=RESULTS_MESSAGE_GROUP,
            MessageDeduplicationId=(REDRIVE_DEDUP_PREFIX + letter.message_id)[:128],
        ),
    )
    if session.as_json:
        session.emit_json({"messageId": letter.message_id, "sentAs": sent.get("MessageId")})
    else:
        session.say(f"sent {letter.message_id} to the results queue again as {sent.get('MessageId')}")
    session.note("the row stays in dead_letters; if the message is refused again it is kept under its new id")
    return EXIT_OK
