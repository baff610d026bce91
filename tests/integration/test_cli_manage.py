"""`watcharr watched|unwatched|fav|rm|restore|tag|tags|jobs list|jobs retry` against the in-process stack.

The CLI speaks HTTP to local mode's gateway (watcharr.local.gateway, the template's routes and CORS)
in front of the real ApiFunction; moto holds the queues, the real persister applies every command from
the FIFO queue in a thread, and the database is a real SQLite file. Nothing is faked.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import media
from tests.support.http_world import gateway_for, persister_polling
from tests.support.lambda_env import LambdaWorld, create_user
from watcharr import cli
from watcharr.adapters.queues import QueuePublisher
from watcharr.local.functions import REPO_ROOT
from watcharr.local.template import load_template
from watcharr.models.messages import EpisodeExtracted, ExtractRequest, ItemFailed, JobCreated, JobItemSpec

JOB_ID = "f" * 32


@dataclass
class Outcome:
    code: int
    out: str
    err: str


class MainThreadOnly(io.StringIO):
    """What the CLI prints; the handlers' log and metric lines, printed from their own threads, left out."""

    def write(self, text: str) -> int:
        if threading.current_thread() is threading.main_thread():
            return super().write(text)
        return len(text)


@dataclass
class Cli:
    """The `watcharr` command pointed at the gateway with one user's token."""

    url: str
    token: str

    def __call__(self, *argv: str, token: str | None = None) -> Outcome:
        out, err = MainThreadOnly(), MainThreadOnly()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["--api", self.url, "--token", token or self.token, *argv])
        return Outcome(code, out.getvalue(), err.getvalue())


@pytest.fixture
def world(lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LambdaWorld:
    monkeypatch.chdir(tmp_path)
    for name in ("WATCHARR_API_URL", "WATCHARR_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return lambda_world


@pytest.fixture
def alice(world: LambdaWorld) -> str:
    return create_user(world, "alice")


@pytest.fixture
def run(world: LambdaWorld, alice: str) -> Iterator[Cli]:
    with gateway_for(world) as gateway, persister_polling(world):
        yield Cli(gateway.url, alice)


def publisher(world: LambdaWorld) -> QueuePublisher:
    return QueuePublisher(world.queue_urls["ExtractQueue"], world.queue_urls["ResultsQueue"], world.sqs)


def seed(world: LambdaWorld, title: str, key: str, user_id: int = 1) -> int:
    """An episode on the user's list, written by the persister as an extraction result would be."""
    publisher(world).send_results([EpisodeExtracted(user_id=user_id, media=media(key, title))])
    # The persister thread of `run` may be the one that applies it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        world.run_persister()
        row = sqlite3.connect(world.database).execute(
            "SELECT id FROM episodes WHERE user_id = ? AND title = ?", (user_id, title)
        )
        found = row.fetchone()
        if found is not None:
            return int(found[0])
        time.sleep(0.02)
    raise AssertionError(f"{title!r} never reached the list")


def row_of(db: Path, episode_id: int) -> dict[str, Any] | None:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    found = conn.execute("SELECT * FROM episodes WHERE id = ?", (episode_id,)).fetchone()
    return dict(found) if found else None


def tag_names(db: Path, episode_id: int) -> set[str]:
    rows = sqlite3.connect(db).execute(
        "SELECT t.name FROM tags t JOIN episode_tags et ON et.tag_id = t.id WHERE et.episode_id = ?",
        (episode_id,),
    )
    return {name for (name,) in rows}


def table(out: str) -> list[dict[str, str]]:
    """A printed table as rows keyed by header, cut at the header's column starts."""
    header, *lines = out.splitlines()
    names = header.split()
    starts = [header.index(name) for name in names]
    ends = [*starts[1:], None]
    return [{n: line[s:e].strip() for n, s, e in zip(names, starts, ends, strict=True)} for line in lines]


# ---- watched, unwatched, fav -------------------------------------------------------------------------------


def test_watched_and_unwatched_wait_for_the_writer_and_print_the_episode(
    world: LambdaWorld, run: Cli
) -> None:
    first = seed(world, "First video", "youtube:aaaaaaaaaaa")
    second = seed(world, "Second video", "youtube:bbbbbbbbbbb")
    # When both are marked watched in one command
    done = run("watched", str(first), str(second))
    # Then each line says so, and the rows say watched as soon as the command returns
    assert done.code == 0, done.err
    assert done.out.splitlines() == [f"watched    {first}  First video", f"watched    {second}  Second video"]
    assert [row_of(world.database, i)["watch_status"] for i in (first, second)] == ["watched", "watched"]
    # When one is marked unwatched again
    undone = run("unwatched", str(second))
    assert (undone.code, undone.out) == (0, f"unwatched  {second}  Second video\n")
    assert row_of(world.database, second)["watched"] == 0
    # Then the list shows each one's state beside its id
    listed = {r["ID"]: r for r in table(run("episodes", "list").out)}
    assert (listed[str(first)]["STATE"], listed[str(second)]["STATE"]) == ("watched", "")


def test_fav_and_fav_off(world: LambdaWorld, run: Cli) -> None:
    episode = seed(world, "A video", "youtube:aaaaaaaaaaa")
    assert run("fav", str(episode)).out == f"favourite  {episode}  A video\n"
    assert row_of(world.database, episode)["favorite"] == 1
    assert [r["ID"] for r in table(run("episodes", "list", "--favorite").out)] == [str(episode)]
    assert run("fav", str(episode), "--off").out == f"not favourite  {episode}  A video\n"
    assert row_of(world.database, episode)["favorite"] == 0
    assert run("episodes", "list", "--favorite").out == "no episodes\n"


def test_an_episode_that_is_not_yours_is_refused_and_the_others_still_change(
    world: LambdaWorld, run: Cli
) -> None:
    mine = seed(world, "Mine", "youtube:aaaaaaaaaaa")
    create_user(world, "bob")
    theirs = seed(world, "Bob's", "youtube:bbbbbbbbbbb", user_id=2)
    # When alice marks her episode, bob's and one that does not exist
    outcome = run("watched", str(theirs), str(mine), "999")
    # Then hers changed, the other two are named on stderr with the writer's reason (a waited change is
    # checked by the writer alone), and the exit code is 4: the writer recorded those two as failed
    assert outcome.code == 4
    assert outcome.out == f"watched    {mine}  Mine\n"
    assert outcome.err.splitlines() == [
        f"watcharr: episode {theirs}: no such episode",
        "watcharr: episode 999: no such episode",
    ]
    assert row_of(world.database, theirs)["watched"] == 0


def test_not_an_id_is_a_usage_error(run: Cli) -> None:
    outcome = run("watched", "first")
    assert outcome.code == 2 and "not a whole number: 'first'" in outcome.err


# ---- rm, restore -------------------------------------------------------------------------------------------


def test_rm_moves_to_the_bin_and_restore_brings_it_back(world: LambdaWorld, run: Cli) -> None:
    kept = seed(world, "Kept", "youtube:aaaaaaaaaaa")
    binned = seed(world, "Binned", "youtube:bbbbbbbbbbb")
    removed = run("rm", str(binned))
    assert removed.code == 0, removed.err
    assert removed.out == f"in the bin  {binned}  Binned  (watcharr restore {binned})\n"
    # Then the list hides it, and the bin shows it
    assert [r["ID"] for r in table(run("episodes", "list").out)] == [str(kept)]
    (in_bin,) = table(run("episodes", "list", "--deleted").out)
    assert (in_bin["ID"], in_bin["TITLE"], in_bin["STATE"]) == (str(binned), "Binned", "deleted")
    # When it is restored, it is back on the list
    restored = run("restore", str(binned))
    assert (restored.code, restored.out) == (0, f"restored  {binned}  Binned\n")
    assert sorted(r["ID"] for r in table(run("episodes", "list").out)) == sorted([str(kept), str(binned)])


def test_rm_permanent_removes_the_row_for_good(world: LambdaWorld, run: Cli) -> None:
    episode = seed(world, "Gone", "youtube:aaaaaaaaaaa")
    outcome = run("rm", str(episode), "--permanent")
    assert (outcome.code, outcome.out) == (0, f"{episode}  deleted for good\n")
    assert row_of(world.database, episode) is None
    again = run("restore", str(episode))
    assert again.code == 4 and f"episode {episode}: no such episode\n" in again.err


# ---- tag, tags ---------------------------------------------------------------------------------------------


def test_tag_creates_missing_tags_sets_them_and_tags_counts_them(world: LambdaWorld, run: Cli) -> None:
    first = seed(world, "First", "youtube:aaaaaaaaaaa")
    second = seed(world, "Second", "youtube:bbbbbbbbbbb")
    # When the first is tagged with two new tags
    tagged = run("tag", str(first), "music", "Later")
    assert tagged.code == 0, tagged.err
    assert tagged.out == f"tagged  {first}  First  [Later, music]\n"
    # And the second with one of them, spelt in another case, and nothing else
    assert run("tag", str(second), "MUSIC").out == f"tagged  {second}  Second  [music]\n"
    # Then one tag per name exists, and each episode carries exactly the tags given
    assert (tag_names(world.database, first), tag_names(world.database, second)) == (
        {"music", "Later"},
        {"music"},
    )
    counts = {r["NAME"]: r["EPISODES"] for r in table(run("tags").out)}
    assert counts == {"Later": "1", "music": "2"}
    # When the first is tagged again with one name, it keeps only that one
    assert run("tag", str(first), "later").out == f"tagged  {first}  First  [Later]\n"
    # And --clear removes every tag; the tags themselves stay
    assert run("tag", str(first), "--clear").out == f"tagged  {first}  First\n"
    assert tag_names(world.database, first) == set()
    assert {r["NAME"]: r["EPISODES"] for r in table(run("tags").out)} == {"Later": "0", "music": "1"}
    # And the list filters by tag and shows the tags
    (row,) = table(run("episodes", "list", "--tag", "music").out)
    assert (row["ID"], row["TAGS"]) == (str(second), "music")


def test_tag_needs_names_or_clear(run: Cli) -> None:
    outcome = run("tag", "1")
    assert outcome.code == 2 and "give the tag names, or --clear" in outcome.err


def test_a_bad_tag_name_is_refused_with_the_api_reason(world: LambdaWorld, run: Cli) -> None:
    episode = seed(world, "A video", "youtube:aaaaaaaaaaa")
    outcome = run("tag", str(episode), "x" * 65)
    assert outcome.code == 1 and "(HTTP 422)" in outcome.err
    assert tag_names(world.database, episode) == set()


# ---- waiting -----------------------------------------------------------------------------------------------


def test_a_change_not_applied_within_wait_exits_4_and_wait_0_only_queues(
    world: LambdaWorld, alice: str
) -> None:
    episode = seed(world, "A video", "youtube:aaaaaaaaaaa")
    # Given no persister running: nothing applies
    with gateway_for(world) as gateway:
        run = Cli(gateway.url, alice)
        waited = run("watched", str(episode), "--wait", "1")
        assert waited.code == 4 and waited.out == ""
        assert f"episode {episode}: not applied within 1 s (it may still be): command " in waited.err
        queued = run("fav", str(episode), "--wait", "0")
        assert queued.code == 0 and queued.out.startswith(f"{episode}  queued as command ")
    # And once the writer runs, both apply in the order they were sent
    world.run_persister()
    assert (row_of(world.database, episode)["watched"], row_of(world.database, episode)["favorite"]) == (1, 1)


def test_a_change_the_writer_records_as_failed_exits_4_with_its_reason(
    world: LambdaWorld, alice: str
) -> None:
    episode = seed(world, "A video", "youtube:aaaaaaaaaaa")
    with gateway_for(world) as gateway:
        run = Cli(gateway.url, alice)
        # Given a permanent delete queued and not yet applied
        assert run("rm", str(episode), "--permanent", "--wait", "0").code == 0
        # When the episode is marked watched (the API still sees it) and the writer then applies both
        with persister_polling(world, after_messages=2):
            outcome = run("watched", str(episode), "--json")
    # Then the writer recorded the change as failed: exit 4, and the JSON carries the reason and command
    assert outcome.code == 4
    (result,) = json.loads(outcome.out)["results"]
    assert result["episodeId"] == episode and result["success"] is False
    assert "no such episode" in result["error"] and len(result["commandId"]) == 32


# ---- jobs --------------------------------------------------------------------------------------------------


def failed_job(world: LambdaWorld) -> None:
    video = "https://www.youtube.com/watch?v=aaaaaaaaaaa"
    items = [JobItemSpec(item_id=f"{JOB_ID}-0000", url=video, kind="video", media_key="youtube:aaaaaaaaaaa")]
    publisher(world).send_results(
        [
            JobCreated(job_id=JOB_ID, user_id=1, source="batch", items=items),
            ItemFailed(job_id=JOB_ID, item_id=f"{JOB_ID}-0000", reason="HTTP 404"),
        ]
    )
    while world.queue_depth("ResultsQueue"):
        world.run_persister()


def test_jobs_list_and_retry(world: LambdaWorld, run: Cli) -> None:
    failed_job(world)
    (job,) = table(run("jobs", "list").out)
    assert (job["JOB"], job["STATUS"], job["DONE"], job["FAILED"]) == (JOB_ID, "done", "1/1", "1")
    # When its failed item is retried
    retried = run("jobs", "retry", JOB_ID)
    assert retried.code == 0, retried.err
    assert retried.out == (
        f"job {JOB_ID}: 1 failed item(s) queued again; follow it with: watcharr jobs show {JOB_ID}\n"
    )
    # Then the item is queued again in the database and its extraction is on the queue
    (state,) = sqlite3.connect(world.database).execute("SELECT state FROM job_items").fetchone()
    assert state == "queued"
    (request,) = [ExtractRequest.model_validate_json(m["Body"]) for m in world.receive("ExtractQueue")]
    assert request.item_id == f"{JOB_ID}-0000"
    # And a second retry has nothing to retry
    again = run("jobs", "retry", JOB_ID)
    assert again.code == 1 and "nothing to retry" in again.err


# ---- the gateway: paths outside /api and CORS ----------------------------------------------------------------


def http(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def test_a_path_outside_the_api_is_answered_by_the_function_in_the_json_error_shape(
    world: LambdaWorld,
) -> None:
    with gateway_for(world) as gateway:
        for method, path in (("GET", "/nope"), ("POST", "/api"), ("DELETE", "/app")):
            status, _, body = http(gateway.url + path, method)
            answer = json.loads(body)
            assert (status, answer["success"]) == (404, False), (method, path, body)
            assert "the API lives under /api/" in answer["error"]


def test_without_allowed_origins_no_cors_header_and_the_preflight_reaches_the_function(
    world: LambdaWorld, alice: str
) -> None:
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"}
    with gateway_for(world) as gateway:
        status, headers, body = http(gateway.url + "/api/episodes/1", "OPTIONS", preflight)
        assert (status, body) == (204, "")
        assert not any(name.startswith("access-control-") for name in headers)
        status, headers, _ = http(
            gateway.url + "/api/tags", headers={"Origin": "https://app.example.com", "X-API-Token": alice}
        )
        assert status == 200 and "access-control-allow-origin" not in headers


def test_allowed_origins_from_the_parameter_answer_preflights_and_mark_answers(
    world: LambdaWorld, alice: str
) -> None:
    stack = load_template(
        REPO_ROOT / "template.yaml",
        parameter_overrides={"AllowedOrigins": "https://app.example.com,https://b.example.org"},
    )
    with gateway_for(world, stack) as gateway:
        # A preflight from an allowed origin is answered by the gateway, with the template's lists
        preflight = {
            "Origin": "https://b.example.org",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "content-type,x-api-token",
        }
        status, headers, body = http(gateway.url + "/api/episodes/1", "OPTIONS", preflight)
        assert (status, body) == (204, "")
        assert headers["access-control-allow-origin"] == "https://b.example.org"
        assert set(headers["access-control-allow-methods"].split(",")) >= {"GET", "POST", "PATCH", "DELETE"}
        assert "x-api-token" in headers["access-control-allow-headers"].split(",")
        assert headers["access-control-max-age"] == "600"
        # One from another origin gets no CORS header, so the browser refuses the call
        status, headers, _ = http(
            gateway.url + "/api/episodes/1", "OPTIONS", {**preflight, "Origin": "https://evil.example"}
        )
        assert status == 204 and "access-control-allow-origin" not in headers
        # An answer to an allowed origin carries the header; to another origin it does not
        token = {"X-API-Token": alice}
        status, headers, _ = http(
            gateway.url + "/api/tags", headers={**token, "Origin": "https://app.example.com"}
        )
        assert (status, headers["access-control-allow-origin"]) == (200, "https://app.example.com")
        status, headers, _ = http(
            gateway.url + "/api/tags", headers={**token, "Origin": "https://evil.example"}
        )
        assert status == 200 and "access-control-allow-origin" not in headers
