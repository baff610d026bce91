"""The options of `watcharr local run` (and `python -m watcharr.local`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watcharr.local.functions import REPO_ROOT

DEFAULT_PORT = 3000
DEFAULT_API_WORKERS = 4
DEFAULT_RETRY_DELAY = 2
DEFAULT_SHUTDOWN_GRACE = 5.0
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class LocalOptions:
    """How to run the local stack (the command line's options)."""

    port: int = DEFAULT_PORT
    sqs_port: int = 0
    data_dir: Path = Path("data")
    template: Path = REPO_ROOT / "template.yaml"
    parameters: dict[str, str] = field(default_factory=dict)
    api_workers: int = DEFAULT_API_WORKERS
    retry_delay: int = DEFAULT_RETRY_DELAY
    visibility_timeout: int | None = None
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    log_level: str = "WARNING"
    log_format: str = "text"


def build_parser() -> argparse.ArgumentParser:
    """The options of `watcharr local run` (and `python -m watcharr.local`)."""
    parser = argparse.ArgumentParser(
        prog="watcharr local run",
        description="Run the whole stack on 127.0.0.1: moto SQS, pollers, the HTTP API, the schedule.",
        epilog=(
            "Local-only routes besides /api: POST /_local/sync runs the podcast sync now; "
            "GET /_local/health answers while the stack runs."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP API port (0 picks a free one)")
    parser.add_argument("--sqs-port", type=int, default=0, help="moto SQS port (default: a free one)")
    parser.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="database, token and state (./data)"
    )
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml", help="the SAM template")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter, e.g. ExtractionConcurrency=2 or 'SyncRate=rate(5 minutes)'",
    )
    parser.add_argument("--api-workers", type=int, default=DEFAULT_API_WORKERS, help="ApiFunction containers")
    parser.add_argument(
        "--retry-delay",
        type=int,
        default=DEFAULT_RETRY_DELAY,
        help="seconds before a failed SQS record is delivered again (AWS waits the visibility timeout)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="visibility timeout of received messages (default: the queue's, from the template)",
    )
    parser.add_argument(
        "--shutdown-grace",
        type=float,
        default=DEFAULT_SHUTDOWN_GRACE,
        help="seconds running invocations get to finish",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the handlers and the runner (INFO also prints the handlers' metrics)",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=LOG_FORMATS,
        help="text: one readable line per request and per finished item (default); "
        "json: the handlers' JSON log lines, as on Lambda",
    )
    return parser


def options_from(argv: Sequence[str] | None) -> LocalOptions:
    """Parse the command line into LocalOptions."""
    parser = build_parser()
    args = parser.parse_args(argv)
    parameters: dict[str, str] = {}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--parameter takes NAME=VALUE, not {item!r}")
        parameters[name] = value
    if args.api_workers < 1:
        parser.error("--api-workers must be at least 1")
    return LocalOptions(
        port=args.port,
        sqs_port=args.sqs_port,
        data_dir=args.data_dir,
        template=args.template,
        parameters=parameters,
        api_workers=args.api_workers,
        retry_delay=max(0, args.retry_delay),
        visibility_timeout=args.visibility_timeout,
        shutdown_grace=max(0.0, args.shutdown_grace),
        log_level=args.log_level,
        log_format=args.log_format,
    )
