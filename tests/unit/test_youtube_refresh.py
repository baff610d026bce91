"""The persister's rule for EpisodeExtracted(origin="refresh"): complete partial metadata, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.builders import extracted, job, media, user
from tests.support.db import snapshot
from watcharr.adapters.store import WriteStore, connect_writer
from watcharr.logic.persist import apply_result
from watcharr.models.media import ChannelInfo
from watcharr.models.messages import EpisodeExtracted

KEY = "youtube:tJ51nR4-tLs"
LATER = "2026-11-28T13:00:00.000Z"


@pytest.fixture
def store(tmp_path: Path) -> WriteStore:
    store = WriteStore(connect_writer(tmp_path / "watcharr.db"))
    apply_result(store, user())
    apply_result(store, job("j1", 1, ["u1"]))
    # Added from oEmbed: a title, a channel handle, no duration.
    partial = media(KEY, "From oEmbed", partial=True, duration=None, description=None)
    apply_result(store, extracted("j1", 0, 1, KEY, "From oEmbed").model_copy(update={"media": partial}))
    store.conn.execute("UPDATE episodes SET watched = 1, watch_status = 'watched'")
    return store


def refresh(title: str, *, partial: bool = False, at: str = LATER) -> EpisodeExtracted:
    channel = ChannelInfo(id="UCSMOQeBJ2RAnuFungnQOxLg", type="video", name="Blender")
    complete = media(KEY, title, duration=597, description="Full text.", partial=partial, channel=channel)
    return EpisodeExtracted(at=at, user_id=1, media=complete, origin="refresh")


def episode(store: WriteStore) -> dict:
    (row,) = store.conn.execute("SELECT * FROM episodes").fetchall()
    return row


def test_a_refresh_completes_the_row_and_touches_nothing_the_user_sees_otherwise(store: WriteStore) -> None:
    before = episode(store)
    events = store.conn.execute("SELECT COUNT(*) AS n FROM media_events").fetchone()["n"]

    assert apply_result(store, refresh("Full title")) == "applied"

    after = episode(store)
    assert (after["title"], after["duration"], after["partial_metadata"]) == ("Full title", 597, 0)
    assert after["channel_id"] == "UCSMOQeBJ2RAnuFungnQOxLg"
    for column in ("watched", "watch_status", "is_deleted", "created_at", "id"):
        assert after[column] == before[column], column
    assert store.conn.execute("SELECT COUNT(*) AS n FROM media_events").fetchone()["n"] == events
    assert store.conn.execute("SELECT COUNT(*) AS n FROM job_items").fetchone()["n"] == 1


def test_a_redelivered_refresh_changes_nothing(store: WriteStore, tmp_path: Path) -> None:
    apply_result(store, refresh("Full title"))
    once = snapshot(tmp_path / "watcharr.db")

    assert apply_result(store, refresh("Full title")) == "duplicate"
    assert snapshot(tmp_path / "watcharr.db") == once


def test_a_late_refresh_never_overwrites_complete_metadata(store: WriteStore) -> None:
    apply_result(store, refresh("Complete"))
    apply_result(store, refresh("Stale partial answer", partial=True, at="2026-11-28T14:00:00.000Z"))

    assert (episode(store)["title"], episode(store)["partial_metadata"]) == ("Complete", 0)


def test_a_partial_refresh_fills_in_and_stays_partial(store: WriteStore) -> None:
    apply_result(store, refresh("Better title", partial=True))

    row = episode(store)
    assert (row["title"], row["duration"], row["partial_metadata"]) == ("Better title", 597, 1)


def test_a_refresh_for_an_episode_the_user_does_not_have_adds_nothing(store: WriteStore) -> None:
    other = refresh("Someone else's").model_copy(update={"user_id": 2})

    apply_result(store, other)

    assert store.conn.execute("SELECT COUNT(*) AS n FROM episodes").fetchone()["n"] == 1
