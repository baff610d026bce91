"""One invocation of the CLI: its arguments and streams, and where the API and the queues are."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from watcharr.cli.client import EXIT_USAGE, ApiClient, CliError, region_in
from watcharr.cli.render import json_text, printable_lines
from watcharr.local.state import STATE_FILE, DataDir, LocalState, StateError, read_token

LOCAL_STOPPED_HINT = " (is `watcharr local run` still running?)"


@dataclass
class Session:
    """What one invocation works with: its arguments, its streams and where the stack is."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    stdin: TextIO

    @property
    def data_dir(self) -> Path:
        """The local stack's data directory (--data-dir, ./data by default)."""
        return Path(self.args.data_dir or "data")

    @property
    def as_json(self) -> bool:
        """Whether to print JSON for scripts."""
        return bool(self.args.json)

    def local_stack(self) -> LocalState | None:
        """The running local stack that the data directory's local.json describes, if any."""
        try:
            return LocalState.load(DataDir(self.data_dir))
        except StateError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc

    def api(self) -> ApiClient:
        """The API client from --api/--token, the environment, or the local stack."""
        local = self.local_stack()
        url = self.args.api or os.environ.get("WATCHARR_API_URL") or (local.api_url if local else None)
        if not url:
            raise CliError(
                "no API URL: pass --api URL or set WATCHARR_API_URL (the stack's ApiUrl output), "
                + local_stack_hint(self.data_dir),
                EXIT_USAGE,
            )
        is_local = local is not None and url.rstrip("/") == local.api_url.rstrip("/")
        token = self.args.token or os.environ.get("WATCHARR_TOKEN")
        if not token and local is not None and is_local:
            try:
                token = read_token(local.token_path)
            except StateError as exc:
                raise CliError(str(exc), EXIT_USAGE) from exc
        if not token:
            raise CliError("no API token: set WATCHARR_TOKEN (or pass --token)", EXIT_USAGE)
        return ApiClient(url, token, hint=LOCAL_STOPPED_HINT if is_local else "")

    def emit_json(self, value: Any) -> None:
        """Print ``value`` as JSON on stdout."""
        self.out.write(json_text(value) + "\n")

    def say(self, line: str = "") -> None:
        """Print a line (or lines) on stdout, with no raw control character."""
        self.out.write(printable_lines(line) + "\n")

    def note(self, line: str) -> None:
        """Print a line on stderr, with no raw control character."""
        self.err.write(printable_lines(line) + "\n")


def local_stack_hint(data_dir: Path) -> str:
    """The end of a "nothing configured" message: how to start the local stack."""
    return f"or start the local stack with `watcharr local run` (it writes {data_dir / STATE_FILE})"


@dataclass(frozen=True)
class QueueTarget:
    """The FIFO results queue a user command goes to, and how to reach it."""

    results_queue_url: str
    extract_queue_url: str
    endpoint_url: str | None
    region: str | None
    local: LocalState | None


def queue_target(session: Session) -> QueueTarget:
    """The deployed results queue (--queue-url or the environment), else the local stack's."""
    url = session.args.queue_url or os.environ.get("WATCHARR_RESULTS_QUEUE_URL")
    if url:
        return QueueTarget(url, "", None, region_in(url), None)
    local = session.local_stack()
    if local is not None:
        return QueueTarget(
            local.results_queue_url, local.extract_queue_url, local.sqs_endpoint, local.region, local
        )
    raise CliError(
        "no results queue: pass --queue-url or set WATCHARR_RESULTS_QUEUE_URL "
        "(the stack's ResultsQueue.fifo URL), " + local_stack_hint(session.data_dir),
        EXIT_USAGE,
    )
