"""The one description of a local stack's data directory and of ``local.json``, for the runner and the CLI.

The runner writes ``local.json`` when the stack is ready and removes it on a clean stop; the CLI reads it
to find the API, the queues and the database. Both name the files of the data directory through
``DataDir``, so the two sides cannot drift apart. Standard library only: the CLI imports it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# moto accepts any account and region; these are the ones every local ARN and URL is built with.
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
LOCAL_USERNAME = "local"
STATE_FILE = "local.json"
TOKEN_FILE = "local-token"
DATABASE_FILE = "watcharr.db"
LOCK_FILE = "local.lock"
JOURNAL_FILE = "accepted.db"


class StateError(RuntimeError):
    """``local.json`` or the token file exists but cannot be read as what it should be."""


@dataclass(frozen=True)
class DataDir:
    """The files of one local stack's data directory."""

    root: Path

    @property
    def state_path(self) -> Path:
        """``local.json``: where the running stack's endpoints are."""
        return self.root / STATE_FILE

    @property
    def token_path(self) -> Path:
        """The ``local`` user's API token (mode 0600)."""
        return self.root / TOKEN_FILE

    @property
    def database_path(self) -> Path:
        """The SQLite database the persister writes."""
        return self.root / DATABASE_FILE

    @property
    def lock_path(self) -> Path:
        """Held by the running stack, so that two stacks never share one database."""
        return self.root / LOCK_FILE

    @property
    def journal_path(self) -> Path:
        """The journal of queue messages accepted and not yet deleted (see ``local.journal``)."""
        return self.root / JOURNAL_FILE


@dataclass(frozen=True)
class LocalState:
    """What ``local.json`` says about a running local stack."""

    api_url: str
    sqs_endpoint: str
    queue_urls: dict[str, str]
    database_path: Path
    token_path: Path
    region: str = REGION
    pid: int = 0
    started_at: str = ""

    @property
    def extract_queue_url(self) -> str:
        """The URL of the template's ExtractQueue in moto."""
        return self.queue_urls["ExtractQueue"]

    @property
    def results_queue_url(self) -> str:
        """The URL of the template's ResultsQueue (FIFO) in moto."""
        return self.queue_urls["ResultsQueue"]

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``local.json``."""
        return {
            "pid": self.pid,
            "apiUrl": self.api_url,
            "sqsEndpoint": self.sqs_endpoint,
            "region": self.region,
            "queueUrls": dict(self.queue_urls),
            "databasePath": str(self.database_path),
            "tokenFile": str(self.token_path),
            "startedAt": self.started_at,
        }

    def write(self, data_dir: DataDir) -> None:
        """Replace ``local.json`` atomically, so a reader never sees half of it."""
        temporary = data_dir.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        temporary.replace(data_dir.state_path)

    @classmethod
    def load(cls, data_dir: DataDir) -> LocalState | None:
        """The stack described in the data directory, or None when it has no ``local.json``."""
        path = data_dir.state_path
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read {path}: {exc}") from exc
        try:
            queues = {str(k): str(v) for k, v in raw["queueUrls"].items()}
            for logical_id in ("ExtractQueue", "ResultsQueue"):
                if logical_id not in queues:
                    raise KeyError(logical_id)
            state = cls(
                api_url=str(raw["apiUrl"]),
                sqs_endpoint=str(raw["sqsEndpoint"]),
                queue_urls=queues,
                database_path=Path(raw.get("databasePath") or data_dir.database_path),
                token_path=Path(raw.get("tokenFile") or data_dir.token_path),
                region=str(raw.get("region") or REGION),
                pid=int(raw.get("pid") or 0),
                started_at=str(raw.get("startedAt") or ""),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise StateError(f"{path} does not describe a local stack (missing {exc})") from exc
        return state


def read_token(path: Path) -> str | None:
    """The token kept in ``path``, or None when there is no such file (or it is empty)."""
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the local token {path}: {exc}") from exc


def write_token(path: Path, token: str) -> None:
    """Keep ``token`` in ``path`` (mode 0600), replacing the file atomically."""
    temporary = path.with_name(path.name + ".tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        f.write(token + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(temporary, 0o600)
    temporary.replace(path)
