"""The user ``local``: created on the first start, its token kept in ``<data dir>/local-token``.

The token file is the CLI's and the runner's shared record of the current token. The runner writes it
only when it makes a token (first start, or the file was deleted); `watcharr users rotate-token local`
rewrites it. A file that disagrees with the database is never installed over it: that would undo a
rotation and make an old, perhaps stolen, token work again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watcharr.local.container import LOGGER_NAME
from watcharr.local.state import LOCAL_USERNAME

log = logging.getLogger(LOGGER_NAME)

# How long start-up waits for the persister to create the local user (or to apply a rotation).
USER_READY_TIMEOUT = 60.0


class LocalUserError(RuntimeError):
    """The local user could not be made ready; the message says why and what to do."""


def read_or_create_token(path: Path) -> tuple[str, bool]:
    """The token kept in ``path`` and False; or a new one (file mode 0600) and True when there is none."""
    from watcharr.domain.tokens import is_well_formed, new_token

    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if not is_well_formed(token):
            raise LocalUserError(f"{path} does not hold a token; delete it to get a new one")
        return token, False
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token, True


def ensure_local_user(
    token_path: Path,
    query: Callable[[Any], dict[str, Any]],
    publisher: Any,
    results_drained: Callable[[], bool],
    stop: threading.Event,
) -> str:
    """The local user's token; the user is created (or given a new token file's token) through the queue.

    ``results_drained`` says whether the FIFO results queue is empty: a rotation re-sent from the
    journal may still be on its way to the writer, and is waited for before the file is called wrong.
    """
    from watcharr.adapters.query_client import QueryFailed
    from watcharr.domain.tokens import hash_token
    from watcharr.models.messages import TokenRotated, UserCreated
    from watcharr.models.queries import Authenticate, UserByName

    token, created = read_or_create_token(token_path)
    token_hash = hash_token(token)

    def known() -> bool:
        try:
            return bool(query(Authenticate(token_hash=token_hash)).get("found"))
        except QueryFailed:
            return False  # the persister is creating the database right now

    def wait_for(done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + USER_READY_TIMEOUT
        while not done() and not stop.is_set():
            if time.monotonic() > deadline:
                raise LocalUserError(f"{what} within {USER_READY_TIMEOUT:.0f} s")
            time.sleep(0.05)

    if known():
        return token
    try:
        exists = bool(query(UserByName(username=LOCAL_USERNAME)).get("found"))
    except QueryFailed as exc:
        raise LocalUserError(f"cannot read the database: {exc}") from exc
    if not exists or created:
        # A new user, or a user kept from before while its token file was deleted: the file's new token.
        message_type = TokenRotated if exists else UserCreated
        publisher.send_results([message_type(username=LOCAL_USERNAME, token_hash=token_hash)])
        wait_for(known, f"the persister did not set up the user {LOCAL_USERNAME!r}")
        return token
    wait_for(lambda: known() or results_drained(), "the results queue was not applied")
    if not known():
        log.warning(
            "%s does not hold the current token of the user %r (was it rotated with another data "
            "directory, or the file edited?); the stack keeps the database's token. Fix: put the current "
            "token in the file, or run `watcharr users rotate-token %s` to get a new one written there.",
            token_path,
            LOCAL_USERNAME,
            LOCAL_USERNAME,
        )
    return token
