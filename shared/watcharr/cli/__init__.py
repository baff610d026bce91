"""The `watcharr` command: add links and follow their jobs, read and change the list, podcasts and users.

Reads and adds go to the HTTP API (urllib, ``X-API-Token``); user commands travel as messages on the
FIFO results queue to the one writer (invariant 1); ``local run`` starts the local stack. Without
``--api`` the command uses the local stack that ``./data/local.json`` describes.

Modules: ``client`` (HTTP API and AWS clients, errors and exit codes), ``render`` (tables, progress,
terminal-safe text), ``session`` (one invocation and where the stack is), one module per verb group
(``jobs``, ``episodes``, ``changes`` for watched/unwatched/fav/rm/restore, ``tags``, ``podcasts``,
``users``, ``sync``) and ``parser`` (the command line and main).

Exit codes: 0 success, 1 the request failed, 2 usage error, 3 the API or queue cannot be reached,
4 some items failed (for a change: recorded as failed, or not applied within ``--wait``).
"""

from watcharr.cli.parser import main

__all__ = ["main"]
