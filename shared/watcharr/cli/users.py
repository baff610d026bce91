"""`watcharr users create|rotate-token`: the token's hash goes to the one writer over the FIFO queue."""

from __future__ import annotations

import argparse
import re

from watcharr import limits
from watcharr.cli.client import EXIT_OK, CliError, aws_call, aws_client
from watcharr.cli.session import Session, queue_target
from watcharr.local.state import LOCAL_USERNAME, LocalState, write_token

USERNAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{limits.MAX_USERNAME_LENGTH}}}")


def username(value: str) -> str:
    """The NAME argument: a user name the API accepts."""
    if USERNAME.fullmatch(value) is None:
        raise argparse.ArgumentTypeError(
            f"1 to {limits.MAX_USERNAME_LENGTH} characters among letters, digits, '_', '.' and '-'"
        )
    return value


def local_user_exists(local: LocalState, username: str) -> bool:
    """Whether the local database has the user, read through a read-only connection."""
    import sqlite3

    from watcharr.adapters.store import ReadStore, connect_reader

    try:
        conn = connect_reader(local.database_path)
        if conn is None:
            return False
        try:
            return ReadStore(conn).user_by_name(username) is not None
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CliError(f"cannot read the local database {local.database_path}: {exc}") from None


def send_token_message(session: Session, *, create: bool) -> int:
    """Create a user or give it a new token: the hash goes through the queue, the token to stdout once."""
    from watcharr.adapters.queues import QueuePublisher
    from watcharr.domain.tokens import hash_token, new_token
    from watcharr.models.messages import TokenRotated, UserCreated

    username = session.args.name
    target = queue_target(session)
    if target.local is not None:
        exists = local_user_exists(target.local, username)
        if create and exists:
            raise CliError(
                f"user {username!r} already exists; give it a new token with `watcharr users rotate-token`"
            )
        if not create and not exists:
            raise CliError(f"no user {username!r}; create it with `watcharr users create`")
    else:
        session.note(
            f"note: could not check that user {username!r} {'is free' if create else 'exists'} on the "
            "deployed stack; if not, the writer ignores this and the token below will not work"
        )
    token = new_token()
    message = (UserCreated if create else TokenRotated)(username=username, token_hash=hash_token(token))
    client = aws_client(
        "sqs", endpoint_url=target.endpoint_url, region=target.region, read_timeout=20, attempts=3
    )
    publisher = QueuePublisher(target.extract_queue_url, target.results_queue_url, client)
    aws_call(
        "sending to the results queue", target.results_queue_url, lambda: publisher.send_results([message])
    )
    if session.as_json:
        session.emit_json({"username": username, "token": token})
    else:
        session.say(token)
    session.out.flush()
    if target.local is not None and username == LOCAL_USERNAME:
        keep_local_token(session, target.local, token)
    session.note(
        f"{'created user' if create else 'new token for'} {username!r}: the token above cannot be shown "
        "again; the writer applies the change within seconds"
    )
    return EXIT_OK


def keep_local_token(session: Session, local: LocalState, token: str) -> None:
    """Write the local user's new token where the runner and the CLI read it, so the rotation sticks.

    The message is sent first: a file holding a token the writer never heard of would lock the CLI out.
    """
    try:
        write_token(local.token_path, token)
    except OSError as exc:
        raise CliError(
            f"the new token is sent, but {local.token_path} could not be updated ({exc}); "
            "put the token printed above in that file"
        ) from None
    session.note(f"{local.token_path} now holds the new token")


def cmd_users_create(session: Session) -> int:
    """Create a user and print its token once."""
    return send_token_message(session, create=True)


def cmd_users_rotate_token(session: Session) -> int:
    """Give an existing user a new token (the old one stops working) and print it once."""
    return send_token_message(session, create=False)
