"""How the API waits for a command: how soon after the writer records it the wait sees it, and how
few looks a long wait costs. The clock is simulated (a fake ``time`` module) so the schedule itself
is what is checked, not the load on the machine; the query function is a stand-in that finds the
command's row once the simulated writer has recorded it."""

from __future__ import annotations

from typing import Any

import pytest

from watcharr.logic import changes
from watcharr.models.queries import GetCommand

COMMAND = "c" * 32
ROW = {
    "id": COMMAND, "type": "EpisodeUpdated", "state": "applied", "reason": None, "episodeId": 1,
    "tagId": None, "createdAt": "2026-11-28T12:00:00.000Z", "appliedAt": "2026-11-28T12:00:00.000Z",
}  # fmt: skip


class Clock:
    """time.monotonic and time.sleep on a simulated clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(changes, "time", fake)
    return fake


# One in-process query as local mode's API makes it (0.1 ms measured alone; a lambda:Invoke on AWS).
QUERY_SECONDS = 0.0001


def writer_applying_at(clock: Clock, applied_at: float | None, looks: list[float]) -> Any:
    def query(question: GetCommand) -> dict[str, Any]:
        looks.append(clock.now)
        clock.now += QUERY_SECONDS
        if applied_at is not None and clock.now >= applied_at:
            return {"found": True, "command": ROW}
        return {"found": False}

    return query


@pytest.mark.parametrize("applied_at", [0.012, 0.024, 0.045, 0.150])
def test_a_command_applied_in_the_first_200_ms_is_seen_within_6_ms(clock: Clock, applied_at: float) -> None:
    looks: list[float] = []
    outcome = changes.wait_for_command(writer_applying_at(clock, applied_at, looks), 1, COMMAND, 5)
    assert outcome is not None and outcome.command is not None and outcome.command.state == "applied"
    assert clock.now - applied_at <= 0.006


@pytest.mark.parametrize("applied_at", [0.0004, 0.0011, 0.0035, 0.008, 0.019])
def test_a_command_applied_in_the_first_20_ms_is_seen_within_half_a_ms(
    clock: Clock, applied_at: float
) -> None:
    # Where local mode's writer is (about 1 ms after the send is answered): a 5 ms pause here was
    # most of the wait, a 1 ms one still 0.4 ms of a waited PATCH.
    looks: list[float] = []
    outcome = changes.wait_for_command(writer_applying_at(clock, applied_at, looks), 1, COMMAND, 5)
    assert outcome is not None and outcome.command is not None
    assert clock.now - applied_at <= 0.0005


def test_a_long_wait_backs_off_to_a_few_looks_a_second(clock: Clock) -> None:
    looks: list[float] = []
    assert changes.wait_for_command(writer_applying_at(clock, None, looks), 1, COMMAND, 10) is None
    assert clock.now == pytest.approx(10, abs=0.01)
    assert len([t for t in looks if t < 0.02]) <= 60  # every quarter of a millisecond
    assert len([t for t in looks if t < 0.2]) <= 60 + 37  # then every 5 ms
    assert len([t for t in looks if t >= 5]) <= 11
