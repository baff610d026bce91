"""The `watcharr` command against a tiny fake HTTP API on 127.0.0.1.

The fake API is a stand-in for the ApiFunction behind API Gateway: it answers canned JSON per route, in
the shapes functions/api/app.py answers, and records every request. That keeps these tests fast; the
real API behind the real local stack is exercised in tests/integration/test_cli.py and tests/e2e.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from watcharr import cli
from watcharr.cli import jobs, render, sync

TOKEN = "ab" * 32
JOB_ID = "0123456789abcdef0123456789abcdef"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
OTHER = "https://youtu.be/aaaaaaaaaaa"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FakeApi:
    """Canned answers per (method, path); each reply is served once, the last one for good."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], list[tuple[int, Any]]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append(
                        Request(
                            self.command,
                            split.path,
                            parse_qs(split.query),
                            {k.lower(): v for k, v in self.headers.items()},
                            json.loads(raw) if raw else None,
                        )
                    )
                    queue = fake.replies.get((self.command, split.path))
                    status, body = (
                        (queue.pop(0) if len(queue) > 1 else queue[0])
                        if queue
                        else (404, {"message": "Not Found"})
                    )
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "text/html" if isinstance(body, bytes) else "application/json"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def reply(self, method: str, path: str, *replies: tuple[int, Any]) -> None:
        self.replies[(method, path)] = list(replies)

    def only(self, method: str, path: str) -> Request:
        (request,) = [r for r in self.requests if (r.method, r.path) == (method, path)]
        return request


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    fake.thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()
    fake.thread.join()


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration from the machine: an empty working directory and no WATCHARR_* variables."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "WATCHARR_API_URL",
        "WATCHARR_TOKEN",
        "WATCHARR_RESULTS_QUEUE_URL",
        "WATCHARR_SYNC_FUNCTION_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(jobs, "POLL_SECONDS", 0.01)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def invoke(*argv: str, stdin: str = "") -> Outcome:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


def with_api(api: FakeApi, *argv: str) -> list[str]:
    return ["--api", api.url, "--token", TOKEN, *argv]


def job(status: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {
        s: sum(1 for i in items if i["state"] == s)
        for s in ("queued", "expanded", "added", "restored", "failed")
    }
    done = len(items) - totals["queued"]
    return {
        "success": True,
        "jobId": JOB_ID,
        "status": status,
        "total": len(items),
        "done": done,
        "leftOut": 0,
        "totals": totals,
        "items": items,
    }


def item(url: str, state: str, title: str | None = None, reason: str | None = None) -> dict[str, Any]:
    return {"id": url[-11:], "url": url, "kind": "video", "state": state, "title": title, "reason": reason}


# ---- parsing and configuration ----------------------------------------------------------------------


def test_help_lists_commands_and_exit_codes(run: Any) -> None:
    outcome = run("--help")
    assert outcome.code == 0
    for word in ("add", "jobs", "episodes", "podcasts", "sync", "users", "local", "exit codes"):
        assert word in outcome.out


def test_sync_help_says_it_needs_aws_credentials(run: Any) -> None:
    outcome = run("sync", "now", "--help")
    assert outcome.code == 0
    assert "AWS credentials" in " ".join(outcome.out.split())


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "COMMAND"),
        (["add"], "URL"),
        (["episodes", "list", "--watched", "--unwatched"], "not allowed with"),
        (["episodes", "list", "--limit", "0"], "between 1 and 500"),
        (["episodes", "list", "--type", "audio"], "invalid choice"),
        (["podcasts", "add", "https://example.com/feed", "--backfill", "some"], "'all'"),
        (["users", "create", "bad name"], "letters, digits"),
        (["users", "create", "x" * 65], "1 to 64"),
        (["users", "rotate-token", ""], "1 to 64"),
    ],
)
def test_usage_errors_exit_2_with_a_reason(run: Any, argv: list[str], complaint: str) -> None:
    outcome = run(*argv)
    assert outcome.code == 2
    assert complaint in outcome.err


def test_without_an_api_url_it_says_how_to_set_one(run: Any) -> None:
    outcome = run("episodes", "list")
    assert outcome.code == 2
    assert "WATCHARR_API_URL" in outcome.err and "watcharr local run" in outcome.err
    assert "Traceback" not in outcome.err


def test_without_a_token_it_says_how_to_set_one(run: Any, api: FakeApi) -> None:
    outcome = run("--api", api.url, "episodes", "list")
    assert outcome.code == 2
    assert "WATCHARR_TOKEN" in outcome.err
    assert api.requests == []


def test_environment_and_options_after_the_command(
    run: Any, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHARR_API_URL", "http://127.0.0.1:9/unused")
    monkeypatch.setenv("WATCHARR_TOKEN", TOKEN)
    api.reply("GET", "/api/episodes", (200, {"success": True, "episodes": [], "limit": 50, "offset": 0}))
    outcome = run("episodes", "list", "--api", api.url, "--json")
    assert outcome.code == 0
    assert json.loads(outcome.out)["episodes"] == []
    assert api.only("GET", "/api/episodes").headers["x-api-token"] == TOKEN


def write_local_json(data: Path, api_url: str) -> None:
    """The state file the local runner writes while it runs (watcharr.local.runner)."""
    data.mkdir(exist_ok=True)
    state = {
        "pid": 1,
        "apiUrl": api_url,
        "sqsEndpoint": "http://127.0.0.1:9",
        "queueUrls": {"ExtractQueue": "http://q/extract", "ResultsQueue": "http://q/results.fifo"},
        "databasePath": str(data / "watcharr.db"),
        "tokenFile": str(data / "local-token"),
    }
    (data / "local.json").write_text(json.dumps(state))
    (data / "local-token").write_text(TOKEN + "\n")


def free_port() -> int:
    """A port nothing listens on: bound once to find it, then released, so connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_local_stack_gives_url_and_token(run: Any, api: FakeApi, tmp_path: Path) -> None:
    write_local_json(tmp_path / "data", api.url)
    api.reply("GET", "/api/episodes", (200, {"success": True, "episodes": []}))
    outcome = run("episodes", "list")
    assert outcome.code == 0
    assert api.only("GET", "/api/episodes").headers["x-api-token"] == TOKEN

    # The local token never goes to another API.
    outcome = run("--api", "http://127.0.0.1:9", "episodes", "list")
    assert outcome.code == 2 and "WATCHARR_TOKEN" in outcome.err


def test_a_stopped_local_stack_is_exit_3_with_a_hint(run: Any, tmp_path: Path) -> None:
    write_local_json(tmp_path / "data", f"http://127.0.0.1:{free_port()}")
    outcome = run("episodes", "list")
    assert outcome.code == 3
    assert "watcharr local run` still running?" in outcome.err


def test_a_broken_local_json_is_a_clear_error(run: Any, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "local.json").write_text("{not json")
    outcome = run("episodes", "list")
    assert outcome.code == 2
    assert "local.json" in outcome.err and "Traceback" not in outcome.err


# ---- errors from the API ----------------------------------------------------------------------------


def test_unreachable_api_exits_3_naming_the_url(run: Any) -> None:
    port = free_port()
    outcome = run("--api", f"http://127.0.0.1:{port}", "--token", TOKEN, "jobs", "show", JOB_ID)
    assert outcome.code == 3
    assert f"cannot reach the API at http://127.0.0.1:{port}" in outcome.err
    assert "Traceback" not in outcome.err


def test_refused_request_prints_the_api_error_and_exits_1(run: Any, api: FakeApi) -> None:
    api.reply("GET", f"/api/jobs/{JOB_ID}", (401, {"success": False, "error": "invalid API token"}))
    outcome = run(*with_api(api, "jobs", "show", JOB_ID))
    assert outcome.code == 1
    assert "invalid API token" in outcome.err and "401" in outcome.err
    assert outcome.out == ""


def test_unavailable_gateway_exits_3_even_without_json(run: Any, api: FakeApi) -> None:
    api.reply("GET", "/api/episodes", (503, b"<html>Service Unavailable</html>"))
    outcome = run(*with_api(api, "episodes", "list"))
    assert outcome.code == 3
    assert "Service Unavailable" in outcome.err and "503" in outcome.err


# ---- add ----------------------------------------------------------------------------------------------


def test_add_one_link_uses_add_episode(run: Any, api: FakeApi) -> None:
    api.reply(
        "POST", "/api/shortcuts/add-episode", (202, {"success": True, "jobId": JOB_ID, "status": "queued"})
    )
    outcome = run(*with_api(api, "add", VIDEO, "--tag", "music"))
    assert outcome.code == 0
    request = api.only("POST", "/api/shortcuts/add-episode")
    assert request.body == {"url": VIDEO, "tag": "music"}
    assert request.headers["x-api-token"] == TOKEN
    assert f"job {JOB_ID}: 1 link(s) queued" in outcome.out


def test_add_one_unsupported_link_prints_the_reason(run: Any, api: FakeApi) -> None:
    api.reply(
        "POST",
        "/api/shortcuts/add-episode",
        (422, {"success": False, "error": "a channel page is not an episode"}),
    )
    outcome = run(*with_api(api, "add", "https://www.youtube.com/@chan"))
    assert outcome.code == 1
    assert "https://www.youtube.com/@chan: a channel page is not an episode" in outcome.err


def test_add_from_stdin_sends_one_batch_and_shows_refused_links(run: Any, api: FakeApi) -> None:
    results = [
        {"url": VIDEO, "status": "QUEUED"},
        {"url": "no link here", "status": "NOK", "reason": "no link found"},
        {"url": OTHER, "status": "QUEUED"},
    ]
    api.reply(
        "POST", "/api/shortcuts/add-videos", (202, {"success": True, "jobId": JOB_ID, "results": results})
    )
    outcome = run(*with_api(api, "add", "-", OTHER), stdin=f"{VIDEO}\n\n# a comment\nno link here\n")
    request = api.only("POST", "/api/shortcuts/add-videos")
    assert request.body == [{"url": VIDEO}, {"url": "no link here"}, {"url": OTHER}]
    assert outcome.code == 4
    assert "2 link(s) queued, 1 refused" in outcome.out
    assert "NOK  no link here: no link found" in outcome.out


def test_add_batch_with_no_supported_link_lists_each_reason(run: Any, api: FakeApi) -> None:
    results = [
        {"url": "a", "status": "NOK", "reason": "no link found"},
        {"url": "b", "status": "NOK", "reason": "no link found"},
    ]
    api.reply(
        "POST",
        "/api/shortcuts/add-videos",
        (422, {"success": False, "error": "none of the links is supported", "results": results}),
    )
    outcome = run(*with_api(api, "add", "a", "b"))
    assert outcome.code == 1
    assert outcome.out.count("NOK") == 2
    assert "none of the links is supported" in outcome.err


def test_add_refuses_more_links_than_the_api_takes(run: Any, api: FakeApi) -> None:
    outcome = run(
        *with_api(api, "add", "-"), stdin="\n".join(f"https://youtu.be/{i:011d}" for i in range(501))
    )
    assert outcome.code == 2
    assert "at most 500" in outcome.err
    assert api.requests == []


def test_add_wait_follows_the_job_and_summarises_failures(run: Any, api: FakeApi) -> None:
    api.reply(
        "POST",
        "/api/shortcuts/add-videos",
        (
            202,
            {
                "success": True,
                "jobId": JOB_ID,
                "results": [{"url": VIDEO, "status": "QUEUED"}, {"url": OTHER, "status": "QUEUED"}],
            },
        ),
    )
    api.reply(
        "GET",
        f"/api/jobs/{JOB_ID}",
        (404, {"success": False, "error": "no such job"}),
        (200, job("running", [item(VIDEO, "queued"), item(OTHER, "queued")])),
        (200, job("running", [item(VIDEO, "added", "Never Gonna Give You Up"), item(OTHER, "queued")])),
        (
            200,
            job(
                "done",
                [
                    item(VIDEO, "added", "Never Gonna Give You Up"),
                    item(OTHER, "failed", reason="Video unavailable"),
                ],
            ),
        ),
    )
    outcome = run(*with_api(api, "add", VIDEO, OTHER, "--wait"))
    assert outcome.code == 4
    # Not a terminal: plain progress lines on stderr, one per change.
    assert f"job {JOB_ID}: 0/2 finished" in outcome.err
    assert f"job {JOB_ID}: 1/2 finished (1 added)" in outcome.err
    assert "\r" not in outcome.err
    assert f"added     Never Gonna Give You Up  <{VIDEO}>" in outcome.out
    assert f"failed    {OTHER}: Video unavailable" in outcome.out
    assert f"job {JOB_ID}: 2 item(s): 1 added, 0 restored, 1 failed" in outcome.out


def test_add_wait_all_added_exits_0_and_json_carries_the_job(run: Any, api: FakeApi) -> None:
    api.reply(
        "POST", "/api/shortcuts/add-episode", (202, {"success": True, "jobId": JOB_ID, "status": "queued"})
    )
    api.reply("GET", f"/api/jobs/{JOB_ID}", (200, job("done", [item(VIDEO, "restored", "Again")])))
    outcome = run(*with_api(api, "--json", "add", VIDEO, "--wait"))
    assert outcome.code == 0
    answer = json.loads(outcome.out)
    assert answer["jobId"] == JOB_ID
    assert answer["results"] == [{"url": VIDEO, "status": "QUEUED"}]
    assert answer["job"]["totals"]["restored"] == 1


def test_add_wait_gives_up_after_the_timeout(run: Any, api: FakeApi) -> None:
    api.reply(
        "POST", "/api/shortcuts/add-episode", (202, {"success": True, "jobId": JOB_ID, "status": "queued"})
    )
    api.reply("GET", f"/api/jobs/{JOB_ID}", (200, job("running", [item(VIDEO, "queued")])))
    outcome = run(*with_api(api, "add", VIDEO, "--wait", "--timeout", "1"))
    assert outcome.code == 4
    assert f"watcharr jobs show {JOB_ID}" in outcome.err
    assert "1 still queued" in outcome.out


# ---- reading --------------------------------------------------------------------------------------------


def test_jobs_show(run: Any, api: FakeApi) -> None:
    api.reply(
        "GET", f"/api/jobs/{JOB_ID}", (200, job("done", [item(VIDEO, "failed", reason="Private video")]))
    )
    outcome = run(*with_api(api, "jobs", "show", JOB_ID))
    assert outcome.code == 0
    assert outcome.out.splitlines()[0] == f"job {JOB_ID}: done (1/1 finished)"
    assert f"failed    {VIDEO}: Private video" in outcome.out


def test_episodes_list_passes_filters_and_prints_a_table(run: Any, api: FakeApi) -> None:
    episodes = [
        {
            "title": "Episode 12: a long talk",
            "type": "podcast",
            "duration": 3725,
            "tags": [{"id": 1, "name": "later", "color": None}, {"id": 2, "name": "talks", "color": None}],
            "channel": {"name": "The Show"},
        },
        {"title": "Short", "type": "podcast", "duration": 59, "tags": [], "channel": None},
        {"title": "x" * 80, "type": "podcast", "duration": None, "tags": [], "channel": {"name": "Other"}},
    ]
    api.reply(
        "GET", "/api/episodes", (200, {"success": True, "episodes": episodes, "limit": 10, "offset": 5})
    )
    outcome = run(
        *with_api(
            api,
            "episodes",
            "list",
            "--type",
            "podcast",
            "--unwatched",
            "--tag",
            "later",
            "--limit",
            "10",
            "--offset",
            "5",
        )
    )
    assert outcome.code == 0
    assert api.only("GET", "/api/episodes").query == {
        "type": ["podcast"],
        "watched": ["false"],
        "tag": ["later"],
        "limit": ["10"],
        "offset": ["5"],
    }
    header, first, second, third = outcome.out.splitlines()
    assert header.split() == ["TITLE", "TYPE", "CHANNEL", "DURATION", "TAGS"]
    assert "1:02:05" in first and "later, talks" in first and "The Show" in first
    assert "0:00:59" in second
    # Columns line up: every row's TYPE starts where the header's does.
    assert first.index("podcast") == header.index("TYPE") == second.index("podcast")
    assert ("x" * 59 + "…") in third and "x" * 61 not in third


def test_episodes_list_empty(run: Any, api: FakeApi) -> None:
    api.reply("GET", "/api/episodes", (200, {"success": True, "episodes": []}))
    outcome = run(*with_api(api, "episodes", "list", "--watched"))
    assert outcome.code == 0 and outcome.out == "no episodes\n"
    assert api.only("GET", "/api/episodes").query["watched"] == ["true"]


# ---- podcasts and sync ------------------------------------------------------------------------------------


def test_podcasts_add_list_remove(run: Any, api: FakeApi) -> None:
    api.reply("POST", "/api/podcasts", (202, {"success": True, "subscriptionId": "sub-1"}))
    api.reply(
        "GET",
        "/api/podcasts",
        (
            200,
            {
                "success": True,
                "podcasts": [
                    {
                        "id": "sub-1",
                        "feedUrl": "https://example.com/feed.xml",
                        "title": "The Show",
                        "lastSyncAt": "2026-11-28T12:00:00.000Z",
                        "lastStatus": "failed",
                        "lastError": "HTTP 404",
                        "episodeCount": 3,
                        "tag": "pods",
                    },
                ],
            },
        ),
    )
    api.reply("DELETE", "/api/podcasts/sub-1", (200, {"success": True}))

    added = run(
        *with_api(
            api, "podcasts", "add", "https://example.com/feed.xml", "--tag", "pods", "--backfill", "all"
        )
    )
    assert added.code == 0 and "sub-1" in added.out
    assert api.only("POST", "/api/podcasts").body == {
        "feedUrl": "https://example.com/feed.xml",
        "tag": "pods",
        "backfill": "all",
    }

    listed = run(*with_api(api, "podcasts", "list"))
    assert listed.code == 0
    assert "The Show" in listed.out and "failed: HTTP 404" in listed.out and "pods" in listed.out

    removed = run(*with_api(api, "podcasts", "remove", "sub-1"))
    assert removed.code == 0 and "removed sub-1" in removed.out


def test_podcasts_add_backfill_number(run: Any, api: FakeApi) -> None:
    api.reply("POST", "/api/podcasts", (202, {"success": True, "subscriptionId": "sub-2"}))
    assert run(*with_api(api, "podcasts", "add", "https://example.com/f", "--backfill", "3")).code == 0
    assert api.only("POST", "/api/podcasts").body == {"feedUrl": "https://example.com/f", "backfill": 3}


def test_podcasts_remove_unknown_is_exit_1(run: Any, api: FakeApi) -> None:
    api.reply("DELETE", "/api/podcasts/nope", (404, {"success": False, "error": "no such podcast"}))
    outcome = run(*with_api(api, "podcasts", "remove", "nope"))
    assert outcome.code == 1 and "no such podcast" in outcome.err


def test_sync_now_on_the_local_stack_calls_the_admin_route(run: Any, api: FakeApi, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    write_local_json(data, api.url)
    api.reply(
        "POST",
        sync.LOCAL_SYNC_PATH,
        (
            200,
            {
                "success": True,
                "PodcastSyncFunction": {"feedsQueued": 2, "itemsRequeued": 1, "itemsGivenUp": 0},
            },
        ),
    )
    outcome = run("--data-dir", str(data), "sync", "now")
    assert outcome.code == 0
    assert outcome.out == "PodcastSyncFunction: 2 feed(s) queued, 1 stale item(s) queued again\n"
    assert "x-api-token" not in api.only("POST", sync.LOCAL_SYNC_PATH).headers


def test_sync_now_without_a_stack_says_what_to_set(run: Any) -> None:
    outcome = run("sync", "now")
    assert outcome.code == 2
    assert "WATCHARR_SYNC_FUNCTION_NAME" in outcome.err


def test_users_without_a_queue_says_what_to_set(run: Any) -> None:
    outcome = run("users", "create", "alice")
    assert outcome.code == 2
    assert "WATCHARR_RESULTS_QUEUE_URL" in outcome.err
    assert outcome.out == ""


# ---- formatting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "0:00:00"), (65, "0:01:05"), (3725, "1:02:05"), (36000.7, "10:00:00")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert render.format_duration(seconds) == text


def test_render_progress() -> None:
    line = render.render_progress(3, 12, {"added": 2, "restored": 0, "failed": 1}, 80)
    assert line == "[#######.......................] 3/12  2 added, 1 failed"
    assert render.render_progress(0, 0, {}, 80) == "[" + "." * 30 + "] 0/0"
    assert render.render_progress(5, 5, {"added": 5}, 80).startswith("[" + "#" * 30 + "]")
    narrow = render.render_progress(1, 2, {"added": 1}, 20)
    assert len(narrow) <= 20 and narrow.startswith("[#")


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = TerminalStream()
    progress = render.Progress(stream)
    progress.update(job("running", [item(VIDEO, "added", "A"), item(OTHER, "queued")]))
    progress.update(job("done", [item(VIDEO, "added", "A"), item(OTHER, "added", "B")]))
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "1/2  1 added" in text and "2/2  2 added" in text


# ---- the deployed sync -----------------------------------------------------------------------------------


def test_sync_now_deployed_needs_aws_credentials(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No credentials anywhere boto3 looks, and no instance metadata lookup (that would leave 127.0.0.1).
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outcome = run("sync", "now", "--function-name", "arn:aws:lambda:eu-west-1:123456789012:function:sync")
    assert outcome.code == 1
    assert "needs AWS credentials" in outcome.err and "Traceback" not in outcome.err


def stubbed_lambda(
    monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], function_error: bool = False
) -> Any:
    """A real botocore Lambda client whose Invoke answers from a Stubber.

    Running the PodcastSyncFunction itself cannot happen here: moto's Lambda needs Docker to run code.
    """
    import boto3
    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(client)
    payload = json.dumps(answer).encode()
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
    }
    if function_error:
        response["FunctionError"] = "Unhandled"
    stubber.add_response("invoke", response, {"FunctionName": "watcharr-sync", "Payload": b"{}"})
    stubber.activate()
    monkeypatch.setattr(sync, "aws_client", lambda service, **_: client)
    return stubber


def test_sync_now_deployed_invokes_the_function(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stubber = stubbed_lambda(monkeypatch, {"feedsQueued": 4, "itemsRequeued": 2, "itemsGivenUp": 0})
    monkeypatch.setenv("WATCHARR_SYNC_FUNCTION_NAME", "watcharr-sync")
    outcome = run("sync", "now")
    assert outcome.code == 0
    assert outcome.out == "watcharr-sync: 4 feed(s) queued, 2 stale item(s) queued again\n"
    stubber.assert_no_pending_responses()


def test_sync_now_deployed_function_error_is_exit_1(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stubbed_lambda(monkeypatch, {"errorMessage": "Task timed out after 120.00 seconds"}, function_error=True)
    outcome = run("sync", "now", "--function-name", "watcharr-sync")
    assert outcome.code == 1
    assert "Task timed out after 120.00 seconds" in outcome.err


def test_add_batch_refused_in_json_mode_prints_the_api_answer(run: Any, api: FakeApi) -> None:
    results = [
        {"url": "a", "status": "NOK", "reason": "no link found"},
        {"url": "b", "status": "NOK", "reason": "x"},
    ]
    body = {"success": False, "error": "none of the links is supported", "results": results}
    api.reply("POST", "/api/shortcuts/add-videos", (422, body))
    outcome = run(*with_api(api, "--json", "add", "a", "b"))
    assert outcome.code == 1
    assert json.loads(outcome.out) == body


# What a hostile page could put in a title: a colour change, a window-title change (OSC), a CSI in
# its C1 form, a right-to-left override and a bare carriage return that would overwrite the line.
HOSTILE = "Nice\x1b[31m video\x1b]0;pwned\x07 \x9b2J\u202edrawkcab\rfake"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def test_control_and_bidi_characters_from_a_page_never_reach_the_terminal(run: Any, api: FakeApi) -> None:
    episode = {
        "title": HOSTILE,
        "type": "video",
        "channel": {"name": HOSTILE},
        "tags": [{"id": 1, "name": HOSTILE, "color": None}],
    }
    api.reply("GET", "/api/episodes", (200, {"success": True, "episodes": [episode]}))
    item = {"state": "failed", "url": "https://example.com/v", "title": HOSTILE, "reason": HOSTILE}
    job = {"jobId": JOB_ID, "status": "done", "total": 1, "done": 1, "totals": {"failed": 1}, "items": [item]}
    api.reply("GET", f"/api/jobs/{JOB_ID}", (200, job))

    table = run(*with_api(api, "episodes", "list"))
    lines = run(*with_api(api, "jobs", "show", JOB_ID))
    as_json = run(*with_api(api, "--json", "jobs", "show", JOB_ID))

    for outcome in (table, lines, as_json):
        assert outcome.code == 0, outcome.err
        assert not any(raw in outcome.out for raw in RAW_CONTROLS), repr(outcome.out)
    assert "Nice\\x1b[31m video" in table.out and "\\u202edrawkcab" in lines.out
    # The JSON stays JSON and says the same title.
    assert json.loads(as_json.out)["items"][0]["title"] == HOSTILE


# ---- channels ----------------------------------------------------------------------------------------------


def test_channels_add_list_rm(run: Any, api: FakeApi) -> None:
    feed = "https://www.youtube.com/feeds/videos.xml?channel_id=UCSMOQeBJ2RAnuFungnQOxLg"
    api.reply("POST", "/api/channels", (202, {"success": True, "subscriptionId": "c0ffee", "feedUrl": feed}))
    api.reply(
        "GET",
        "/api/channels",
        (
            200,
            {
                "success": True,
                "channels": [
                    {
                        "id": "c0ffee",
                        "kind": "youtube_channel",
                        "feedUrl": feed,
                        "title": "Blender",
                        "includeShorts": False,
                        "lastSyncAt": "2026-11-28T12:00:00.000Z",
                        "lastStatus": "failed",
                        "lastError": "YouTube has no such channel (any more)",
                        "episodeCount": 2,
                        "tag": "3d",
                    },
                ],
            },
        ),
    )
    api.reply("DELETE", "/api/channels/c0ffee", (200, {"success": True, "subscriptionId": "c0ffee"}))

    added = run(
        *with_api(api, "channels", "add", "@BlenderOfficial", "--tag", "3d", "--backfill", "5", "--no-shorts")
    )
    assert added.code == 0 and "c0ffee" in added.out and feed in added.out
    assert api.only("POST", "/api/channels").body == {
        "url": "@BlenderOfficial",
        "tag": "3d",
        "backfill": 5,
        "includeShorts": False,
    }

    listed = run(*with_api(api, "channels", "list"))
    assert listed.code == 0
    assert (
        "Blender" in listed.out and "failed: YouTube has no such channel" in listed.out and "3d" in listed.out
    )

    removed = run(*with_api(api, "channels", "rm", "c0ffee"))
    assert removed.code == 0 and "removed c0ffee" in removed.out


@pytest.mark.parametrize("backfill", ["16", "-1", "all"])
def test_channels_add_backfill_outside_0_to_15_is_a_usage_error(
    run: Any, api: FakeApi, backfill: str
) -> None:
    outcome = run(*with_api(api, "channels", "add", "@BlenderOfficial", "--backfill", backfill))
    assert outcome.code == 2 and "--backfill" in outcome.err
    assert api.requests == []
