"""Stopping the local stack, cleanly or by a crash, and starting it again on the same data directory."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.origin import OriginServer
from tests.support.stack import StackProcess, running_stack, start_stack
from tests.support.stack_fixtures import STACK_ARGS
from watcharr import cli
from watcharr.models.messages import TERMINAL_STATES

pytestmark = pytest.mark.e2e

JOB_SIZE = 50
KILLS = 20
LINKS_PER_KILLED_JOB = 3
# Fewer containers start faster: twenty starts stay near two minutes on a two-core machine.
KILL_STACK_ARGS = (*STACK_ARGS, "--api-workers", "1", "--parameter", "ExtractionConcurrency=2")
# Slow pages keep the job running long enough to be caught in the middle.
PAGE_LATENCY_SECONDS = 0.5


@pytest.fixture
def slow_origin() -> Iterator[OriginServer]:
    with OriginServer(
        latency=lambda path: PAGE_LATENCY_SECONDS if path.startswith("/video/") else 0.0
    ) as server:
        yield server


def episode_rows(database: Path) -> list[tuple[str, int]]:
    """(external_id, rows with that id and user) for every episode, read from the SQLite file read-only."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT external_id, COUNT(*) FROM episodes GROUP BY external_id, user_id"
        ).fetchall()
    finally:
        conn.close()


def wait_until_partly_done(stack: StackProcess, job_id: str, at_least: int, timeout: float = 60) -> int:
    """Poll the job until at least ``at_least`` items are terminal; how many are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = stack.request("GET", f"/api/jobs/{job_id}")
        if status == 200:
            done = sum(item["state"] in TERMINAL_STATES for item in job["items"])
            if done >= at_least:
                return done
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} items done after {timeout:.0f} s\n{stack.output}")


def test_a_job_survives_a_crash_of_the_whole_stack(data_dir: Path, slow_origin: OriginServer) -> None:
    # Given a 50-link job under way
    urls = [slow_origin.url(f"/video/crash-{n:02d}?title=Crash%20test%20{n:02d}") for n in range(JOB_SIZE)]
    first = start_stack(data_dir, args=STACK_ARGS)
    try:
        status, answer = first.request("POST", "/api/shortcuts/add-videos", [{"url": url} for url in urls])
        assert status == 202, answer
        job_id = answer["jobId"]
        done_before = wait_until_partly_done(first, job_id, at_least=5)
    finally:
        # When every process of the stack dies at once
        first.kill()
    assert done_before < JOB_SIZE, "the job finished before the crash; slow the origin down"

    # Then a new start on the same data finishes the job...
    with running_stack(data_dir, args=STACK_ARGS) as second:
        job = second.wait_for_job(job_id, timeout=90)
        assert job["total"] == JOB_SIZE
        assert {item["state"] for item in job["items"]} == {"added"}
        # ...with every video in the list once
        status, listing = second.request("GET", "/api/episodes?limit=500")
        assert status == 200
        titles = sorted(e["title"] for e in listing["episodes"] if e["title"].startswith("Crash test"))
        assert titles == [f"Crash test {n:02d}" for n in range(JOB_SIZE)]
    rows = episode_rows(data_dir / "watcharr.db")
    assert len(rows) == JOB_SIZE
    assert all(count == 1 for _, count in rows)


def test_sigterm_stops_the_stack_cleanly_and_the_next_start_reuses_the_token(
    data_dir: Path, origin: OriginServer
) -> None:
    # Given a running stack with some work in flight
    stack = start_stack(data_dir, args=STACK_ARGS)
    token = stack.token
    status, answer = stack.request(
        "POST", "/api/shortcuts/add-episode", {"url": origin.url("/video/in-flight")}
    )
    assert status == 202, answer

    # When it receives SIGTERM
    code = stack.terminate(timeout=20)

    # Then it exits with 0 and forgets its endpoints
    assert code == 0, stack.output
    assert not (data_dir / "local.json").exists()
    # And the next start keeps the same user and token, and finishes what was in flight
    with running_stack(data_dir, args=STACK_ARGS) as again:
        assert again.token == token
        job = again.wait_for_job(answer["jobId"])
        assert [item["state"] for item in job["items"]] == ["added"]


def test_ctrl_c_stops_the_stack_and_a_lost_database_comes_back_with_the_same_token(data_dir: Path) -> None:
    # Given a stack stopped with Ctrl-C, which reaches every process of the group, workers included
    first = start_stack(data_dir, args=STACK_ARGS)
    token = first.token
    code = first.interrupt()
    assert code == 0, first.output
    assert "Traceback" not in first.output

    # When its database is lost but the token file is kept
    (data_dir / "watcharr.db").unlink()

    # Then the next start makes the local user again, with the same token
    with running_stack(data_dir, args=STACK_ARGS) as second:
        status, answer = second.request("GET", "/api/episodes", token=token)

    assert status == 200, answer
    assert answer["episodes"] == []


def kill_delays(seed: int) -> list[float]:
    """When each of the KILLS runs dies after its 202: a quarter at once (JobCreated still on its way to
    the persister), a quarter within 0.2 s (the persister applying it, the fan-out landing), the rest
    within 1.5 s (extractions and their results in flight), in a shuffled order."""
    rng = random.Random(seed)
    quarter = KILLS // 4
    delays = [0.0] * quarter + [rng.uniform(0.0, 0.2) for _ in range(quarter)]
    delays += [rng.uniform(0.2, 1.5) for _ in range(KILLS - len(delays))]
    rng.shuffle(delays)
    return delays


def test_every_accepted_item_ends_terminal_once_after_twenty_kills_of_the_whole_stack(
    data_dir: Path, origin: OriginServer
) -> None:
    # Given a stack that is killed (SIGKILL, every process) at a random moment after each 202
    seed = random.randrange(1_000_000)
    accepted: dict[str, list[str]] = {}
    starts: list[float] = []
    for run, delay in enumerate(kill_delays(seed)):
        stack = start_stack(data_dir, args=KILL_STACK_ARGS)
        starts.append(stack.ready_seconds)
        try:
            urls = [
                origin.url(f"/video/kill-{run:02d}-{n}?title=Kill%20{run:02d}-{n}")
                for n in range(LINKS_PER_KILLED_JOB)
            ]
            status, answer = stack.request("POST", "/api/shortcuts/add-videos", [{"url": u} for u in urls])
            assert status == 202, answer
            accepted[answer["jobId"]] = urls
            time.sleep(delay)
        finally:
            stack.kill()

    # When it starts once more on the same data
    with running_stack(data_dir, args=KILL_STACK_ARGS) as last:
        jobs = {job_id: last.wait_for_job(job_id, timeout=120) for job_id in accepted}

    # Then every accepted item ended, each link is in the list once, and no job counts an item twice
    note = f"(seed {seed}; starts took {sum(starts):.0f} s)"
    for job in jobs.values():
        assert job["total"] == LINKS_PER_KILLED_JOB, note
        assert [item["state"] for item in job["items"]] == ["added"] * LINKS_PER_KILLED_JOB, (note, job)
    rows = episode_rows(data_dir / "watcharr.db")
    assert len(rows) == KILLS * LINKS_PER_KILLED_JOB, note
    assert all(count == 1 for _, count in rows), note


def wait_until_accepted(stack: StackProcess, token: str, timeout: float = 30) -> None:
    """Poll until ``token`` opens the API (the writer has applied it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.request("GET", "/api/episodes", token=token)[0] == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"the token was not accepted within {timeout:.0f} s\n{stack.output}")


def test_a_rotated_local_token_sticks_and_a_stale_token_file_is_never_installed(data_dir: Path) -> None:
    # Given the local user's token rotated with the CLI while the stack runs
    with running_stack(data_dir, args=STACK_ARGS) as first:
        old = first.token
        assert cli.main(["--data-dir", str(data_dir), "users", "rotate-token", "local"]) == 0
        new = (data_dir / "local-token").read_text().strip()
        assert new != old
        wait_until_accepted(first, new)

    # When the stack starts again, the new token is the one that works
    with running_stack(data_dir, args=STACK_ARGS) as second:
        assert second.token == new
        assert second.request("GET", "/api/episodes", token=new)[0] == 200
        assert second.request("GET", "/api/episodes", token=old)[0] == 401

    # And a token file that disagrees with the database (here: the old token put back) is reported, not
    # installed: the old token stays refused
    (data_dir / "local-token").write_text(old + "\n")
    with running_stack(data_dir, args=STACK_ARGS) as third:
        assert "does not hold the current token of the user 'local'" in third.output
        assert "watcharr users rotate-token local" in third.output
        assert third.request("GET", "/api/episodes", token=old)[0] == 401
        assert third.request("GET", "/api/episodes", token=new)[0] == 200
