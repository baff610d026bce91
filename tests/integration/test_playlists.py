"""Playlists end to end: a link that yt-dlp lists as several entries becomes child items of its job.

Real yt-dlp lists the local origin's ``/playlist/<n>`` RSS page (entries linking to ``/video/<i>``);
the API takes that link for one video, and the extractor finds out it is a playlist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.lambda_env import LambdaWorld, create_user
from tests.support.origin import OriginServer, StaticRoute
from watcharr.logic.extract import extract
from watcharr.models.messages import ExtractRequest, JobItemsAdded
from watcharr.settings import Settings, get_settings


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with OriginServer() as server:
        yield server


def add(world: LambdaWorld, token: str, url: str) -> str:
    status, answer = world.call_api("POST", "/api/shortcuts/add-episode", body={"url": url}, token=token)
    assert status == 202, answer
    return str(answer["jobId"])


def job(world: LambdaWorld, token: str, job_id: str) -> dict[str, Any]:
    status, answer = world.call_api("GET", f"/api/jobs/{job_id}", token=token)
    assert status == 200, answer
    return answer


def test_playlist_link_becomes_child_items_of_its_job(
    lambda_world: LambdaWorld, origin: OriginServer
) -> None:
    # Given a link the API takes for one video, which is a playlist of 4 entries
    token = create_user(lambda_world, "alice")
    job_id = add(lambda_world, token, origin.url("/playlist/4?title=Road%20trip"))
    lambda_world.run_persister()
    assert job(lambda_world, token, job_id)["total"] == 1

    # When the extractor handles it
    lambda_world.deliver("ExtractQueue", "extractor", 1, "ExtractorFunction")

    # Then it was listed without fetching any entry page, and one request per entry was queued
    assert origin.hits_under("/video/") == 0
    assert lambda_world.queue_depth("ExtractQueue") == 4

    # And once the writer knows the entries the job's total has grown, with progress towards it
    lambda_world.run_persister()
    grown = job(lambda_world, token, job_id)
    assert (grown["total"], grown["done"], grown["status"]) == (5, 1, "running")
    assert grown["totals"]["expanded"] == 1 and grown["totals"]["queued"] == 4
    parent = grown["items"][0]
    children = grown["items"][1:]
    assert {c["parentId"] for c in children} == {parent["id"]}
    assert [c["url"] for c in children] == [origin.url(f"/video/{i}") for i in range(1, 5)]

    # And each entry is then extracted on its own, as one item of the same job
    lambda_world.run_pipeline()
    done = job(lambda_world, token, job_id)
    assert (done["total"], done["done"], done["status"], done["leftOut"]) == (5, 5, "done", 0)
    assert done["totals"] == {"queued": 0, "expanded": 1, "added": 4, "restored": 0, "failed": 0}
    assert sorted(i["title"] for i in done["items"][1:]) == [f"Test video {i}" for i in range(1, 5)]
    status, listing = lambda_world.call_api("GET", "/api/episodes", token=token)
    assert status == 200 and len(listing["episodes"]) == 4


def test_entries_past_the_limit_are_left_out_and_reported(
    lambda_world: LambdaWorld, origin: OriginServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHARR_PLAYLIST_LIMIT", "3")
    get_settings.cache_clear()
    token = create_user(lambda_world, "alice")
    job_id = add(lambda_world, token, origin.url("/playlist/5"))
    lambda_world.run_pipeline()

    done = job(lambda_world, token, job_id)
    assert (done["total"], done["leftOut"], done["status"]) == (4, 2, "done")
    assert done["items"][0]["state"] == "expanded"
    assert done["items"][0]["reason"] == "2 entries beyond the playlist limit left out"
    assert [i["url"] for i in done["items"][1:]] == [origin.url(f"/video/{i}") for i in range(1, 4)]
    assert origin.hits("/video/4") == origin.hits("/video/5") == 0


def test_a_playlist_inside_a_playlist_is_not_expanded_again(
    lambda_world: LambdaWorld, origin: OriginServer
) -> None:
    # Given a playlist whose second entry is itself a playlist
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Outer</title>'
        f"<link>{origin.url('/')}</link><description>outer</description>"
        f"<item><title>One</title><link>{origin.url('/video/one')}</link><guid>one</guid></item>"
        f"<item><title>Inner</title><link>{origin.url('/playlist/3')}</link><guid>inner</guid></item>"
        "</channel></rss>"
    )
    origin.add("/outer.xml", StaticRoute(feed.encode(), "application/rss+xml; charset=utf-8"))
    token = create_user(lambda_world, "alice")
    job_id = add(lambda_world, token, origin.url("/outer.xml"))
    lambda_world.run_pipeline()

    # Then one level is expanded, as the person shared it; the inner playlist fails with the reason
    done = job(lambda_world, token, job_id)
    assert (done["total"], done["status"]) == (3, "done")
    states = [(i["url"].removeprefix(origin.base_url), i["state"]) for i in done["items"]]
    assert states == [("/outer.xml", "expanded"), ("/video/one", "added"), ("/playlist/3", "failed")]
    assert "playlist" in done["items"][2]["reason"]
    assert origin.hits_under("/video/") == 1


def test_a_request_of_kind_playlist_is_listed_flat(origin: OriginServer) -> None:
    # What a YouTube playlist link (kind "playlist" from the API) goes through, without the network
    settings = Settings(allow_private_network=True, socket_timeout=2, playlist_limit=500)
    request = ExtractRequest(
        user_id=1, job_id="a" * 32, item_id="a" * 32 + "-0000", url=origin.url("/playlist/3"), kind="playlist"
    )

    extraction = extract(request, settings, attempt=1)

    (added,) = extraction.results
    assert isinstance(added, JobItemsAdded) and added.parent_item_id == request.item_id
    assert [i.item_id for i in added.items] == [f"{request.item_id}-{i:04d}" for i in range(3)]
    assert [r.url for r in extraction.requests] == [origin.url(f"/video/{i}") for i in range(1, 4)]
    assert {r.job_id for r in extraction.requests} == {request.job_id}
    assert origin.hits_under("/video/") == 0
