"""`watcharr users` against moto's SQS server on 127.0.0.1, with the queues template.yaml declares.

The CLI makes its own boto3 client, so moto runs as a real server (ThreadedMotoServer) that the CLI
reaches through the local stack's state file, as it would reach the local runner's moto.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import Moto, moto_server, write_local_state
from tests.support.origin import OriginServer
from tests.support.stack import running_stack
from watcharr import cli
from watcharr.adapters.queues import RESULTS_MESSAGE_GROUP
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.domain.tokens import hash_token, new_token
from watcharr.logic.persist import apply_result
from watcharr.models.messages import TokenRotated, UserCreated, parse_result

HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def moto() -> Iterator[Moto]:
    with moto_server() as server:
        yield server


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("WATCHARR_RESULTS_QUEUE_URL", "WATCHARR_API_URL", "WATCHARR_TOKEN", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path, moto: Moto) -> Path:
    """A data directory holding the state file a running local stack writes, pointing at moto."""
    data = tmp_path / "data"
    data.mkdir()
    write_local_state(data, moto)
    return data


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    def invoke(*argv: str) -> Outcome:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


def persist(data_dir: Path, moto: Moto) -> list[Any]:
    """What the persister would do next: apply every message waiting on the FIFO queue."""
    store = WriteStore(connect_writer(data_dir / "watcharr.db"))
    try:
        messages = [parse_result(m["Body"]) for m in moto.drain("ResultsQueue")]
        for message in messages:
            apply_result(store, message)
        return messages
    finally:
        store.conn.close()


def stored_hash(data_dir: Path, username: str) -> str:
    store = WriteStore(connect_writer(data_dir / "watcharr.db"))
    try:
        return store.conn.execute("SELECT token_hash FROM users WHERE username = ?", (username,)).fetchone()[
            "token_hash"
        ]
    finally:
        store.conn.close()


def test_users_create_sends_only_the_hash_and_prints_the_token_once(
    run: Any, moto: Moto, data_dir: Path
) -> None:
    outcome = run("users", "create", "alice")

    assert outcome.code == 0
    token = outcome.out.strip()
    assert HEX64.fullmatch(token) and outcome.out == token + "\n"
    assert "cannot be shown again" in outcome.err and token not in outcome.err
    (message,) = moto.drain("ResultsQueue")
    assert token not in json.dumps(message)
    created = parse_result(message["Body"])
    assert isinstance(created, UserCreated)
    assert (created.username, created.token_hash) == ("alice", hash_token(token))
    assert message["Attributes"]["MessageGroupId"] == RESULTS_MESSAGE_GROUP
    assert message["Attributes"]["MessageDeduplicationId"] == created.dedup_id()
    assert moto.drain("ExtractQueue") == []


def test_existing_name_is_refused_and_rotate_token_replaces_the_hash(
    run: Any, moto: Moto, data_dir: Path
) -> None:
    first = run("users", "create", "alice")
    assert first.code == 0
    persist(data_dir, moto)

    again = run("users", "create", "alice")
    assert again.code == 1
    assert "already exists" in again.err and again.out == ""
    assert moto.drain("ResultsQueue") == []

    rotated = run("--json", "users", "rotate-token", "alice")
    assert rotated.code == 0
    answer = json.loads(rotated.out)
    assert answer["username"] == "alice" and HEX64.fullmatch(answer["token"])
    assert answer["token"] != first.out.strip()
    (message,) = persist(data_dir, moto)
    assert isinstance(message, TokenRotated) and answer["token"] not in message.model_dump_json()
    assert stored_hash(data_dir, "alice") == hash_token(answer["token"])


def test_rotating_the_local_user_rewrites_the_token_file_the_cli_and_runner_read(
    run: Any, moto: Moto, data_dir: Path
) -> None:
    # Given the local user, made by the runner with the token in data/local-token
    token_file = data_dir / "local-token"
    old = new_token()
    token_file.write_text(old + "\n")
    apply_result(
        WriteStore(connect_writer(data_dir / "watcharr.db")),
        UserCreated(username="local", token_hash=hash_token(old)),
    )

    # When its token is rotated
    rotated = run("users", "rotate-token", "local")

    # Then the new token is printed once, applied by the writer, and now the file's, readable only by its owner
    assert rotated.code == 0, rotated.err
    new = rotated.out.strip()
    assert new != old and HEX64.fullmatch(new)
    persist(data_dir, moto)
    assert stored_hash(data_dir, "local") == hash_token(new)
    assert token_file.read_text().strip() == new
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert f"{token_file} now holds the new token" in rotated.err


def test_rotating_another_user_leaves_the_local_token_file_alone(
    run: Any, moto: Moto, data_dir: Path
) -> None:
    token_file = data_dir / "local-token"
    token_file.write_text("kept\n")
    assert run("users", "create", "dave").code == 0
    persist(data_dir, moto)

    assert run("users", "rotate-token", "dave").code == 0

    assert token_file.read_text() == "kept\n"


def test_users_help_says_how_long_an_old_token_keeps_working(run: Any) -> None:
    outcome = run("users", "--help")
    assert outcome.code == 0
    assert "old token keeps working for up to 60 s" in " ".join(outcome.out.split())


def test_rotate_token_of_an_unknown_user_is_refused(run: Any, moto: Moto, data_dir: Path) -> None:
    outcome = run("users", "rotate-token", "nobody")
    assert outcome.code == 1
    assert "no user 'nobody'" in outcome.err
    assert moto.drain("ResultsQueue") == []


def test_deployed_queue_from_the_environment(run: Any, moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    # On AWS the caller's credentials and endpoint apply; boto3 reads the endpoint from this variable.
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto.endpoint)
    monkeypatch.setenv("WATCHARR_RESULTS_QUEUE_URL", moto.queue_urls["ResultsQueue"])
    outcome = run("users", "create", "bob")
    assert outcome.code == 0
    assert "could not check" in outcome.err
    (message,) = moto.drain("ResultsQueue")
    created = parse_result(message["Body"])
    assert isinstance(created, UserCreated) and created.token_hash == hash_token(outcome.out.strip())


def test_unreachable_queue_is_exit_3_and_prints_no_token(run: Any, moto: Moto, data_dir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the released port: every connection is refused, as when the stack has stopped.
    state = json.loads((data_dir / "local.json").read_text())
    state["sqsEndpoint"] = f"http://127.0.0.1:{port}"
    (data_dir / "local.json").write_text(json.dumps(state))
    outcome = run("users", "create", "carol")
    assert outcome.code == 3
    assert f"cannot reach {moto.queue_urls['ResultsQueue']}" in outcome.err
    assert outcome.out == "" and "Traceback" not in outcome.err


# ---- end to end: the console script against the local stack ------------------------------------------------


def watcharr(cwd: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `watcharr` console script, run as a person would run it from ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHARR_")}
    if token is not None:
        env["WATCHARR_TOKEN"] = token
    script = Path(sys.executable).with_name("watcharr")
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e
def test_cli_against_the_local_stack(tmp_path: Path) -> None:
    # Given the local stack running on ./data, as `make run` starts it, and a web site to add from
    data = tmp_path / "data"
    with OriginServer() as origin, running_stack(data, args=("--api-workers", "1", "--retry-delay", "1")):
        page = origin.url("/video/cli-e2e?title=Added%20from%20the%20CLI&duration=3725")
        gone = origin.url("/status/404")

        # When a person adds a page and a dead link and waits, with no option but the links
        added = watcharr(tmp_path, "add", page, gone, "--tag", "cli", "--wait")

        # Then the summary names what was added and why the other failed, and the exit code says so
        assert added.returncode == 4, added.stderr
        assert f"added     Added from the CLI  <{page}>" in added.stdout
        assert f"failed    {gone}: " in added.stdout
        assert "2 item(s): 1 added, 0 restored, 1 failed" in added.stdout
        # And the list shows it as a table row
        listing = watcharr(tmp_path, "episodes", "list", "--tag", "cli")
        assert listing.returncode == 0, listing.stderr
        (row,) = listing.stdout.splitlines()[1:]
        episode_id, rest = row.split(maxsplit=1)
        assert episode_id.isdigit() and rest.startswith("Added from the CLI")
        assert "1:02:05" in row and row.endswith("cli")

        # When a new user is created through the queue
        created = watcharr(tmp_path, "users", "create", "bob")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()

        # Then, once the writer applied it, the token works and bob's list is his own (empty)
        deadline = time.monotonic() + 20
        while (mine := watcharr(tmp_path, "episodes", "list", token=token)).returncode == 1:
            assert "invalid API token" in mine.stderr
            assert time.monotonic() < deadline, "the new user's token never started to work"
            time.sleep(0.2)
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout == "no episodes\n"
